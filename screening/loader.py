"""Load questionnaire and ruleset files, check everything, and report every problem at once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from . import stored
from .definition import Definition
from .error_codes import ErrorCode, by_code
from .errors import DefinitionError, Problem
from .limits import DEFINITION_LIMITS, LimitError, read_bounded
from .yamlio import Path_, YamlSyntaxError, line_for, load_with_lines

if TYPE_CHECKING:  # the definition format's models are built only for files not checked before
    from pydantic import BaseModel, ValidationError

    from .checks import Issue
    from .model import Questionnaire

RULES_SUFFIX = ".rules.yaml"
DEFAULT_QUESTIONNAIRE = "cervicogenic_headache"
M = TypeVar("M", bound="BaseModel")


def bundled_dir(name: str) -> Path:
    """A data folder shipped with the package (``questionnaires`` or ``reports``).

    In a wheel the folders sit inside the package; in a source checkout they sit beside it.
    """
    here = Path(__file__).resolve().parent
    inside = here / name
    return inside if inside.is_dir() else here.parent / name


def default_questionnaire_path() -> Path:
    return bundled_dir("questionnaires") / f"{DEFAULT_QUESTIONNAIRE}.yaml"


def ruleset_path_for(questionnaire_path: Path) -> Path:
    """``foo.yaml`` is scored by ``foo.rules.yaml`` beside it."""
    return questionnaire_path.with_name(
        questionnaire_path.name.removesuffix(".yaml").removesuffix(".yml") + RULES_SUFFIX
    )


def questionnaire_path_for(ruleset_path: Path) -> Path:
    return ruleset_path.with_name(ruleset_path.name.removesuffix(RULES_SUFFIX) + ".yaml")


@dataclass(frozen=True)
class Document:
    """One parsed file: its data, the line of each key, and its hash."""

    file: str
    data: Any
    lines: dict[Path_, int]
    sha256: str

    def problem(self, path: Path_, subject: str, message: str, fix: str = "", *, code: ErrorCode) -> Problem:
        return Problem(self.file, line_for(path, self.data, self.lines), subject, message, fix, code=code)


def read_document(path: Path) -> Document:
    """Read a YAML (or JSON) file; unreadable or malformed files become a DefinitionError."""
    return parse_document(path, read_definition_bytes(path))


def read_definition_bytes(path: Path) -> bytes:
    """The bytes of a definition file within its size limit; else a DefinitionError."""
    name = str(path)
    try:
        return read_bounded(path, DEFINITION_LIMITS)
    except LimitError as exc:
        raise DefinitionError([exc.problem(name)]) from exc
    except OSError as exc:
        message, fix = f"cannot read the file ({exc.strerror})", "check the path"
        raise DefinitionError([Problem(name, None, "", message, fix, code=ErrorCode.FILE_UNREADABLE)]) from exc


def parse_document(path: Path, raw: bytes) -> Document:
    """A definition file's bytes parsed as YAML, with the line of each key; malformed text is a DefinitionError."""
    name = str(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        message, fix = "the file is not UTF-8 text", "save it as UTF-8"
        raise DefinitionError([Problem(name, None, "", message, fix, code=ErrorCode.NOT_UTF8)]) from exc
    try:
        data, lines = load_with_lines(text, DEFINITION_LIMITS)
    except LimitError as exc:
        raise DefinitionError([exc.problem(name)]) from exc
    except YamlSyntaxError as exc:
        message, fix = f"not valid YAML: {exc}", "fix the YAML syntax"
        raise DefinitionError([Problem(name, exc.line, "", message, fix, code=ErrorCode.YAML_SYNTAX)]) from exc
    return Document(name, data, lines, hashlib.sha256(raw).hexdigest())


_KINDS = {
    "sections": "section",
    "items": "item",
    "options": "option",
    "findings": "finding",
    "red_flags": "red flag",
    "features": "feature",
    "differentials": "differential",
    "caps": "grade cap",
}


def subject_at(data: Any, loc: tuple[Any, ...]) -> str:
    """The innermost item or rule that a location falls inside, e.g. ``item 'neck_stiffness'``."""
    subject = ""
    current, parent_key = data, None
    for part in loc:
        if isinstance(current, dict) and part in current:
            parent_key, current = part, current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
            if isinstance(current, dict) and parent_key in _KINDS:
                ident = current.get("id") or current.get("code")
                subject = f"{_KINDS[str(parent_key)]} '{ident}'" if ident else f"{_KINDS[str(parent_key)]} {part + 1}"
        else:
            continue
    return subject


def _validation_problems(doc: Document, exc: ValidationError) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        key = next((p for p in reversed(loc) if isinstance(p, str)), "")
        kind = err["type"]
        if kind == "missing":
            message, fix, code = f"'{key}' is missing", f"add '{key}'", ErrorCode.KEY_MISSING
        elif kind == "extra_forbidden":
            message, fix, code = f"unknown key '{key}'", "remove it or check its spelling", ErrorCode.KEY_UNKNOWN
        elif (kind == "string_pattern_mismatch" and key in ("id", "code", "item")) or "Id" in str(err.get("ctx", "")):
            message, fix = f"'{err['input']}' is not a valid id", "use snake_case: lower-case letters, digits and _"
            code = ErrorCode.BAD_ID
        elif kind == "string_pattern_mismatch" and key == "version":
            message, fix = f"version '{err['input']}' is not semantic (MAJOR.MINOR.PATCH)", "write it like 1.0.0"
            code = ErrorCode.BAD_VERSION
        elif kind == "string_type":
            message, fix = f"'{key}' must be text, not {err['input']!r}", "put the value in quotes"
            code = ErrorCode.NOT_TEXT
        elif kind == "union_tag_invalid":
            message, fix, code = err["msg"], "use one of the listed kinds", ErrorCode.UNKNOWN_KIND
        else:
            # a model's own checks raise errors whose type is a catalogue code (see ``model.problem``)
            message, fix, code = err["msg"][0].lower() + err["msg"][1:], "", by_code(kind) or ErrorCode.BAD_VALUE
            if message.startswith("value error, "):
                message = message.removeprefix("value error, ")
        problems.append(doc.problem(loc, subject_at(doc.data, loc), message, fix, code=code))
    return problems


def _validate(doc: Document, model: type[M], what: str) -> tuple[M | None, list[Problem]]:
    if doc.data is None:
        message, fix = f"the {what} file is empty", f"write the {what} keys, starting with 'id:'"
        return None, [Problem(doc.file, 1, "", message, fix, code=ErrorCode.EMPTY_FILE)]
    if not isinstance(doc.data, dict):
        return None, [
            doc.problem(
                (),
                "",
                f"a {what} file must be a mapping of keys at the top level",
                f"start the file with 'id:' and the other {what} keys",
                code=ErrorCode.NOT_A_MAPPING,
            )
        ]
    from pydantic import ValidationError

    try:
        return model.model_validate(doc.data), []
    except ValidationError as exc:
        return None, _validation_problems(doc, exc)


def _issue_problems(issues: list[Issue], docs: dict[str, Document]) -> list[Problem]:
    problems = []
    for issue in issues:
        doc = docs[issue.document]
        message = issue.message
        if issue.first is not None:
            message += f" (first used at line {line_for(issue.first, doc.data, doc.lines)})"
        problems.append(doc.problem(issue.path, issue.subject, message, issue.fix, code=issue.code))
    return problems


def load_questionnaire(path: Path) -> Questionnaire:
    """Load and check a questionnaire on its own."""
    from .checks import check_questionnaire
    from .model import Questionnaire

    doc = read_document(path)
    q, problems = _validate(doc, Questionnaire, "questionnaire")
    if q is not None:
        problems += _issue_problems(check_questionnaire(q), {"questionnaire": doc})
    if problems or q is None:
        raise DefinitionError(problems)
    return q


def load_definition(questionnaire_path: Path | None = None, ruleset_path: Path | None = None) -> Definition:
    """Load a questionnaire and its ruleset, check both, and compile them for scoring.

    Files checked before (the same bytes, by the same engine) are taken from ``screening.stored``.
    """
    q_path = questionnaire_path or default_questionnaire_path()
    r_path = ruleset_path or ruleset_path_for(q_path)
    problems: list[Problem] = []
    raw: dict[str, bytes] = {}
    for key, path in (("questionnaire", q_path), ("ruleset", r_path)):
        try:
            raw[key] = read_definition_bytes(path)
        except DefinitionError as exc:
            problems += exc.problems
    if problems:
        raise DefinitionError(problems)
    return definition_from_sources(raw["questionnaire"], raw["ruleset"], q_path, r_path)


def definition_from_sources(
    questionnaire: bytes, ruleset: bytes, questionnaire_path: Path, ruleset_path: Path
) -> Definition:
    """A definition from the bytes of its two files (``questionnaire_path`` and ``ruleset_path`` name them in
    problems). The bytes are kept (see ``source_of``) so that a database can store what a submission used."""
    raw = {"questionnaire": questionnaire, "ruleset": ruleset}
    q_sha, r_sha = (hashlib.sha256(raw[key]).hexdigest() for key in ("questionnaire", "ruleset"))
    definition = stored.fetch(q_sha, r_sha, str(questionnaire_path), str(ruleset_path))
    if definition is None:
        definition = _check_definition(questionnaire_path, ruleset_path, raw)
        stored.store(definition)
    _keep_source(q_sha, questionnaire)
    _keep_source(r_sha, ruleset)
    return definition


# The bytes of the definition files loaded lately, by sha256: what was loaded is what gets stored, even when a
# file changes on disk afterwards. A few dozen at most (a server loads one pair).
_sources: dict[str, bytes] = {}
_SOURCES_KEPT = 64


def _keep_source(sha256: str, data: bytes) -> None:
    _sources.pop(sha256, None)
    if len(_sources) >= _SOURCES_KEPT:
        _sources.pop(next(iter(_sources)))
    _sources[sha256] = data


def source_of(sha256: str) -> bytes | None:
    """The bytes of a definition file loaded in this process with this sha256, if still kept."""
    return _sources.get(sha256)


def known_sources() -> dict[str, bytes]:
    """Every definition file kept in this process, by sha256 (a copy)."""
    return dict(_sources)


def _check_definition(q_path: Path, r_path: Path, raw: dict[str, bytes]) -> Definition:
    from .checks import check_questionnaire, check_ruleset  # only for files not checked before
    from .compiler import compile_definition
    from .model import Questionnaire, Ruleset

    problems: list[Problem] = []
    docs: dict[str, Document] = {}
    for key, path in (("questionnaire", q_path), ("ruleset", r_path)):
        try:
            docs[key] = parse_document(path, raw[key])
        except DefinitionError as exc:
            problems += exc.problems
    q = r = None
    if "questionnaire" in docs:
        q, found = _validate(docs["questionnaire"], Questionnaire, "questionnaire")
        problems += found
    if "ruleset" in docs:
        r, found = _validate(docs["ruleset"], Ruleset, "ruleset")
        problems += found
    q_issues = check_questionnaire(q) if q is not None else []
    problems += _issue_problems(q_issues, docs)
    if r is not None:
        problems += _issue_problems(check_ruleset(r, q, reachability=not q_issues), docs)
    if problems or q is None or r is None:
        raise DefinitionError(problems)
    return compile_definition(q, r, docs["questionnaire"].sha256, docs["ruleset"].sha256, str(q_path), str(r_path))
