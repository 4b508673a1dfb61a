"""The error tree and the catalogue of problem codes: complete, unique, documented, and used."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from screening import errors
from screening.error_codes import GROUPS, ErrorCode, by_code, catalogue_markdown
from screening.errors import EXIT_CODES, Problem, ProblemsError, ScreeningError

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "screening"
DOCS = ROOT / "docs" / "error-codes.md"

# exceptions defined outside errors.py on purpose: none of them reaches the command line or a user as such
NOT_IN_THE_TREE = {
    "StrictJsonError": "a json.JSONDecodeError, so callers that handle bad JSON handle it too",
    "NeedsLogin": "a redirect to the sign-in page",
    "TooLarge": "answered with HTTP 413 by the security middleware",
    "StaleDefinition": "answered with a page asking to start again",
    "NotALocalTime": "a ValueError the form layer turns into a field message",
}


def _python_files() -> list[Path]:
    return sorted(SOURCE.rglob("*.py"))


def test_every_code_is_well_formed_unique_and_titled() -> None:
    members = list(ErrorCode)
    assert len(members) >= 60
    codes = [m.code for m in members]
    assert len(set(codes)) == len(codes), "two members share a code"
    assert len(ErrorCode.__members__) == len(members), "an alias hides a duplicate code"
    for member in members:
        assert re.fullmatch(r"SCR\d{3}", member.code), member
        assert member.code[3] in GROUPS, f"{member.code} is in no group"
        assert member.title and member.title[0].isupper() and not member.title.endswith("."), member
        assert by_code(member.code) is member
    assert codes == sorted(codes), "keep the catalogue in code order"
    assert by_code("SCR999") is None


def test_the_docs_page_is_the_catalogue() -> None:
    assert DOCS.read_text(encoding="utf-8") == catalogue_markdown(), (
        "docs/error-codes.md is out of date: run `python -m screening.error_codes > docs/error-codes.md`"
    )
    for member in ErrorCode:
        assert f"| {member.code} | `{member.name}` | {member.title} |" in catalogue_markdown()


def test_every_code_is_used_by_the_engine() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in _python_files() if p.name != "error_codes.py")
    unused = [m.name for m in ErrorCode if not re.search(rf"ErrorCode\.{m.name}\b", text)]
    assert not unused, f"catalogue entries no problem uses: {unused}"


def test_a_problem_cannot_be_built_without_a_code() -> None:
    with pytest.raises(TypeError, match="code"):
        Problem("def.yaml", 3, "item 'age'", "min 16 must be below max 16")  # type: ignore[call-arg]
    problem = Problem(
        "def.yaml", 3, "item 'age'", "min 16 must be below max 16", "swap them", code=ErrorCode.RANGE_REVERSED
    )
    assert str(problem) == "def.yaml:3: [SCR108] item 'age': min 16 must be below max 16 — swap them"
    assert problem.as_json()["code"] == "SCR108"
    anywhere = Problem("", None, "--since", "'soon' is not a date", code=ErrorCode.BAD_OPTION_VALUE)
    assert str(anywhere) == "[SCR803] --since: 'soon' is not a date"


def test_every_problem_and_issue_built_in_the_engine_names_its_code() -> None:
    missing = []
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id in ("Problem", "Issue") and not any(k.arg == "code" for k in node.keywords):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not missing, f"built without code=: {missing}"


def test_every_error_class_lives_in_errors_py_with_a_documented_exit_code() -> None:
    elsewhere = []
    for path in _python_files():
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef) or node.name in NOT_IN_THE_TREE:
                continue
            bases = [b.id for b in node.bases if isinstance(b, ast.Name)]
            if node.name.endswith("Error") or any(b.endswith(("Error", "Exception")) for b in bases):
                elsewhere.append(f"{path.relative_to(ROOT)}: {node.name}")
    assert not elsewhere, f"error classes outside screening/errors.py: {elsewhere}"
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, ScreeningError)]
    assert len(classes) >= 14
    for cls in classes:
        assert cls.exit_code in EXIT_CODES, cls
        assert cls.__doc__, cls
    assert errors.UsageError.exit_code == 64 != errors.DefinitionError.exit_code == 2
    assert issubclass(errors.ClinicSettingsError, errors.ReportError)
    assert all(issubclass(c, ProblemsError) for c in (errors.CasesError, errors.SettingsError, errors.ExportError))


def test_the_command_line_uses_the_exit_codes_of_the_error_tree() -> None:
    from screening.cli import common  # kept apart so `screening --help` imports nothing heavy

    assert (common.EXIT_OK, common.EXIT_FAILURE, common.EXIT_INVALID, common.EXIT_USAGE) == (
        errors.EXIT_OK,
        errors.EXIT_FAILURE,
        errors.EXIT_INVALID,
        errors.EXIT_USAGE,
    )
    with pytest.raises(SystemExit) as caught:
        common.Parser(prog="screening").parse_args(["--no-such-option"])
    assert caught.value.code == errors.EXIT_USAGE


def test_the_exit_codes_are_documented_in_errors_py_and_the_readme() -> None:
    module_doc = errors.__doc__ or ""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for code in EXIT_CODES:
        assert re.search(rf"^{code}\s", module_doc, re.MULTILINE), f"exit code {code} not in errors.py's docstring"
        assert f"| {code} " in readme, f"exit code {code} not in the README's table"


def test_old_homes_of_the_error_classes_still_work() -> None:
    from screening.cases import CasesError
    from screening.intake.drafts import IntakeError
    from screening.limits import LimitError
    from screening.web.archive import RebuildError
    from screening.web.auth import AccountError
    from screening.web.exports import ExportError
    from screening.web.mail import AlertConfigError
    from screening.web.settings import SettingsError
    from screening.yamlio import YamlSyntaxError

    assert (CasesError, IntakeError, LimitError, AccountError) == (
        errors.CasesError,
        errors.IntakeError,
        errors.LimitError,
        errors.AccountError,
    )
    assert (ExportError, AlertConfigError, SettingsError, YamlSyntaxError, RebuildError) == (
        errors.ExportError,
        errors.AlertConfigError,
        errors.SettingsError,
        errors.YamlSyntaxError,
        errors.RebuildError,
    )
