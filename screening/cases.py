"""Definition-level golden tests: cases (answers → expected outcome) run against a questionnaire and ruleset.

A cases file sits beside its questionnaire as ``NAME.cases.yaml`` with a ``cases:`` list. Each case has a
``title``, an optional ``why``, the ``response`` (a response document, as for ``screening score``) and what to
``expect``. ``screening test DEFINITION`` runs them and reports which rules never fired and which questions
no case answered: coverage of the definition, not of Python.

Keys under ``expect``: ``disposition`` and ``likelihood`` (exact); ``red_flags``, ``to_check``,
``differentials``, ``fired`` (must be present, others may be too); ``red_flags_exactly``, ``to_check_exactly``
(the exact set); ``not_red_flags``, ``not_differentials``, ``not_fired`` (must be absent); ``features_met``,
``features_not_met``; and ``points_at_least``. ``fired`` names any rule of the ruleset (finding, red flag,
feature, differential or grade cap) that must come out true. An unknown key or id fails the case.

A case taken from the literature also carries ``id`` (unique across every cases file run together),
``category`` (cervicogenic, primary or secondary), ``diagnosis``, ``citation``, ``link`` (an http(s) URL),
``sex`` (female, male or not stated), ``history`` and ``acceptable``: every disposition a careful clinician
would accept, which must include ``expect.disposition``. A case without ``acceptable`` accepts only its
expected disposition. ``screening evaluate`` measures triage against these sets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .assessment import Assessment
from .definition import Definition
from .error_codes import ErrorCode
from .errors import CasesError as CasesError  # importable from here as before
from .errors import Problem, ResponseError
from .expectations import check_expectations as check_expectations
from .limits import DEFINITION_LIMITS, LimitError, read_text_bounded
from .model import Disposition
from .response import parse_response
from .scorer import assess
from .yamlio import Path_, YamlSyntaxError, load_with_lines

CASES_SUFFIX = ".cases.yaml"
LITERATURE_KEYS = {"id", "category", "diagnosis", "citation", "link", "sex", "history", "acceptable"}
CASE_KEYS = {"title", "why", "response", "expect"} | LITERATURE_KEYS
CATEGORIES = ("cervicogenic", "primary", "secondary")
SEXES = ("female", "male", "not stated")
DISPOSITIONS = tuple(d.value for d in Disposition)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_URL = re.compile(r"^https?://[^\s/]+\.[^\s/]+(/\S*)?$")


@dataclass(frozen=True)
class Case:
    title: str
    why: str
    response: dict[str, Any]
    expect: dict[str, Any]
    source: str  # file:line of the case
    response_lines: dict[Path_, int] = field(default_factory=dict)
    id: str | None = None
    category: str | None = None
    diagnosis: str = ""
    citation: str = ""
    link: str = ""
    sex: str | None = None
    history: str = ""
    acceptable: tuple[str, ...] = ()  # dispositions a careful clinician would accept; () if none is expected

    @property
    def name(self) -> str:
        """How the case is named in reports: its id and title, or the title alone."""
        return f"{self.id}: {self.title}" if self.id else self.title

    @property
    def where(self) -> tuple[str, int | None]:
        """The file and line of the case, from its ``source``."""
        file, _, line = self.source.rpartition(":")
        return file, int(line) if line.isdigit() else None


@dataclass
class CaseResult:
    case: Case
    failures: list[str]
    assessment: Assessment | None


@dataclass
class Coverage:
    """Rules that no case made true, and questions that no case answered."""

    rules_never_fired: list[tuple[str, str]]  # (kind, id)
    items_never_answered: list[str]
    rules_total: int
    items_total: int


def cases_path_for(questionnaire_path: Path) -> Path:
    name = questionnaire_path.name
    stem = name.removesuffix(".rules.yaml").removesuffix(".yaml").removesuffix(".yml")
    return questionnaire_path.with_name(stem + CASES_SUFFIX)


def load_cases(path: Path) -> list[Case]:
    """The cases of a ``cases:`` file, each remembering its line; literature keys are checked all at once."""
    name = str(path)
    try:
        data, lines = load_with_lines(read_text_bounded(path, DEFINITION_LIMITS), DEFINITION_LIMITS)
    except OSError as exc:
        message, fix = f"cannot read the cases file ({exc.strerror})", "check the path"
        raise CasesError(Problem(name, None, "", message, fix, code=ErrorCode.FILE_UNREADABLE)) from exc
    except UnicodeDecodeError as exc:
        message, fix = "the cases file is not UTF-8 text", "save it as UTF-8"
        raise CasesError(Problem(name, None, "", message, fix, code=ErrorCode.NOT_UTF8)) from exc
    except LimitError as exc:
        raise CasesError(exc.problem(name)) from exc
    except YamlSyntaxError as exc:
        raise CasesError(Problem(name, exc.line, "", f"not valid YAML: {exc}", code=ErrorCode.YAML_SYNTAX)) from exc
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        message = "a cases file is a mapping with a 'cases:' list"
        raise CasesError(Problem(name, lines.get(()), "", message, code=ErrorCode.CASES_NOT_MAPPING))
    cases = []
    problems: list[Problem] = []
    for k, raw in enumerate(data["cases"]):
        where = f"{path}:{lines.get(('cases', k), '?')}"
        if not isinstance(raw, dict) or not {"title", "response", "expect"} <= set(raw) or set(raw) - CASE_KEYS:
            unknown = sorted(map(str, set(raw) - CASE_KEYS)) if isinstance(raw, dict) else []
            extra = f" (unknown keys: {', '.join(unknown)})" if unknown else ""
            message = (
                "a case has title, why (optional), response and expect, and may have the literature keys "
                f"{', '.join(sorted(LITERATURE_KEYS))}{extra}"
            )
            raise CasesError(Problem(name, lines.get(("cases", k)), "", message, code=ErrorCode.CASE_BAD_ENTRY))
        if not isinstance(raw["expect"], dict) or not isinstance(raw["response"], dict):
            message = "'response' and 'expect' must be mappings"
            raise CasesError(Problem(name, lines.get(("cases", k)), "", message, code=ErrorCode.CASE_BAD_ENTRY))
        prefix = ("cases", k, "response")
        response_lines = {loc[3:]: line for loc, line in lines.items() if loc[:3] == prefix}

        def at(key: str, message: str, fix: str = "", k: int = k) -> Problem:
            line = lines.get(("cases", k, key), lines.get(("cases", k)))
            return Problem(name, line, "", message, fix, code=ErrorCode.CASE_BAD_ENTRY)

        extra_fields, found = _literature_fields(raw, at)
        problems += found
        cases.append(
            Case(
                str(raw["title"]),
                str(raw.get("why", "")),
                raw["response"],
                raw["expect"],
                where,
                response_lines,
                **extra_fields,
            )
        )
    problems += _repeated_ids(cases)
    if problems:
        raise CasesError(problems)
    return cases


def load_case_files(paths: list[Path]) -> list[Case]:
    """The cases of several files, in order; a literature id may appear only once across all of them."""
    cases = [case for path in paths for case in load_cases(path)]
    problems = _repeated_ids(cases)
    if problems:
        raise CasesError(problems)
    return cases


def _repeated_ids(cases: list[Case]) -> list[Problem]:
    first: dict[str, str] = {}
    problems = []
    for case in cases:
        if case.id is None:
            continue
        if case.id in first:
            file, line = case.where
            message = f"case id '{case.id}' is already used at {first[case.id]}"
            fix = "give each case its own id"
            problems.append(Problem(file, line, "", message, fix, code=ErrorCode.CASE_DUPLICATE_ID))
        else:
            first[case.id] = case.source
    return problems


def _literature_fields(
    raw: dict[str, Any], at: Callable[[str, str, str], Problem]
) -> tuple[dict[str, Any], list[Problem]]:
    """The literature keys of one case, checked; and every problem with them, at the line of its key."""
    problems: list[Problem] = []
    fields: dict[str, Any] = {}

    def text(key: str, *, required: bool = False) -> str:
        value = raw.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            problems.append(at(key, f"'{key}' must be non-empty text", ""))
            return ""
        return value.strip()

    if "id" in raw:
        case_id = raw["id"]
        if isinstance(case_id, str) and _ID.match(case_id):
            fields["id"] = case_id
        else:
            message = f"'id' must be a word of letters, digits and _ (e.g. lit_pri_cluster), not {case_id!r}"
            problems.append(at("id", message, ""))
    if "category" in raw:
        if raw["category"] in CATEGORIES:
            fields["category"] = raw["category"]
        else:
            fix = f"write one of {', '.join(CATEGORIES)}"
            problems.append(at("category", f"'category' is {raw['category']!r}", fix))
    if "sex" in raw:
        if raw["sex"] in SEXES:
            fields["sex"] = raw["sex"]
        else:
            problems.append(at("sex", f"'sex' is {raw['sex']!r}", f"write one of {', '.join(SEXES)}"))
    if "citation" in raw:
        fields["citation"] = text("citation", required=True)
    for key in ("diagnosis", "history"):
        if key in raw:
            fields[key] = text(key, required=True)
    if "link" in raw:
        link = raw["link"]
        if isinstance(link, str) and _URL.match(link.strip()):
            fields["link"] = link.strip()
        else:
            message = f"'link' must be an http(s) URL (a DOI as https://doi.org/...), not {link!r}"
            problems.append(at("link", message, ""))

    expected = raw["expect"].get("disposition")
    if "acceptable" in raw:
        acceptable = raw["acceptable"]
        if not isinstance(acceptable, list) or not acceptable:
            problems.append(at("acceptable", "'acceptable' must be a non-empty list of dispositions", ""))
        else:
            wrong = [d for d in acceptable if d not in DISPOSITIONS]
            if wrong:
                fix = f"use {', '.join(DISPOSITIONS[::-1])}"
                problems.append(at("acceptable", f"{wrong} are not dispositions", fix))
            elif expected is None:
                problems.append(at("acceptable", "a case with 'acceptable' needs expect.disposition too", ""))
            elif expected not in acceptable:
                message = f"the expected disposition {expected!r} is not in acceptable {acceptable}"
                problems.append(at("acceptable", message, "add it, or change expect.disposition"))
            else:
                fields["acceptable"] = tuple(dict.fromkeys(acceptable))
    elif expected in DISPOSITIONS:
        fields["acceptable"] = (expected,)
    return fields, problems


def run_case(definition: Definition, case: Case) -> CaseResult:
    try:
        response = parse_response(case.response, definition, source=case.source, lines=case.response_lines)
    except ResponseError as exc:
        return CaseResult(case, [f"the response does not fit the questionnaire: {p}" for p in exc.problems], None)
    assessment = assess(definition, response)
    return CaseResult(case, check_expectations(assessment, case.expect, definition), assessment)


def coverage(definition: Definition, results: list[CaseResult]) -> Coverage:
    fired: set[str] = set()
    answered: set[str] = set()
    for result in results:
        if result.assessment is None:
            continue
        fired.update(t.id for t in result.assessment.explanation if t.result == "true")
        answered.update(a.item for a in result.assessment.answers if a.status == "answered")
    r = definition.ruleset
    rules = [
        *(("finding", f.id) for f in r.findings),
        *(("red flag", f.id) for f in r.red_flags),
        *(("feature", f.id) for f in r.features),
        *(("differential", d.id) for d in r.differentials),
        *(("grade cap", c.id) for c in r.grading.caps),
    ]
    items = [i for i in definition.items if definition.is_answerable(i)]
    return Coverage(
        [(kind, rule_id) for kind, rule_id in rules if rule_id not in fired],
        [i for i in items if i not in answered],
        len(rules),
        len(items),
    )


def summary(a: Assessment) -> str:
    g = a.likelihood
    met = [f.id for f in a.features if f.status == "met"]
    return (
        f"disposition {a.disposition}, likelihood {g.grade} ({g.points}/{g.maximum}, {g.unknown_points} unknown, "
        f"capped by {list(g.capped_by)})\n  red flags {[f.id for f in a.red_flags]}\n"
        f"  to check {[f.id for f in a.to_check]}\n  differentials {[d.id for d in a.differentials]}\n"
        f"  features met {met}"
    )


def problems_of(results: list[CaseResult]) -> list[Problem]:
    """Failing cases as problems (file, line, title, what differs)."""
    out = []
    for result in results:
        file, line = result.case.where
        for failure in result.failures:
            out.append(Problem(file, line, result.case.title, failure, code=ErrorCode.CASE_FAILED))
    return out
