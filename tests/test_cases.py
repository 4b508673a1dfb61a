"""Clinical cases as data: each ``tests/cases/NN_name.yaml`` is a response and the outcome the reference expects.

Keys under ``expect``: ``disposition`` and ``likelihood`` (exact, both required); ``red_flags``, ``to_check``,
``differentials`` (must be present, others may be too); ``red_flags_exactly``, ``to_check_exactly`` (the exact
set); ``not_red_flags``, ``not_differentials`` (must be absent); ``features_met``, ``features_not_met``; and
``points_at_least``. An unknown key fails the case, and so does an id (red flag, feature, differential) that the
ruleset does not define, so a typo can never pass silently. Coverage tests make sure every red flag and every
differential in the ruleset is expected, and raised, by at least one case.

Expectations come from the clinical reference and the documented policy, not from the program's output: a
failing case is a disagreement to settle with the clinical lead, not a number to copy.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from screening.assessment import Assessment
from screening.definition import Definition
from screening.loader import load_definition
from screening.model import Disposition, Likelihood
from screening.response import parse_response
from screening.scorer import assess
from screening.yamlio import Path_, load_with_lines

CASES_DIR = Path(__file__).parent / "cases"
CASE_FILES = sorted(CASES_DIR.glob("*.yaml"))
CASE_KEYS = {"title", "why", "response", "expect"}
FILE_NAME = re.compile(r"^\d{2}_[a-z0-9_]+\.yaml$")
MIN_CASES = 30


@pytest.fixture(scope="module")
def bundled_definition() -> Definition:
    """The bundled questionnaire and ruleset, loaded the way the CLI loads them."""
    return load_definition()


def read_case(path: Path) -> tuple[dict[str, Any], dict[Path_, int]]:
    """The case as data (YAML 1.2 booleans, so yes/no stay answers) and the line of every key."""
    data, lines = load_with_lines(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: a case file is a mapping of {', '.join(sorted(CASE_KEYS))}"
    return data, lines


def assess_case(path: Path, definition: Definition) -> tuple[dict[str, Any], Assessment]:
    data, lines = read_case(path)
    response_lines = {loc[1:]: line for loc, line in lines.items() if loc[:1] == ("response",)}
    response = parse_response(data["response"], definition, source=str(path), lines=response_lines)
    return data, assess(definition, response)


# ---------------------------------------------------------------------------------------------
# Expectations


def _ids(value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"'{key}' must be a list of ids, not {value!r}")
    return value


def check_expectations(a: Assessment, expect: dict[str, Any], definition: Definition) -> list[str]:
    """Every way the assessment differs from ``expect``; unknown keys and unknown ids are failures too."""
    r = definition.ruleset
    known = {
        "red flag": {f.id for f in r.red_flags},
        "differential": {d.id for d in r.differentials},
        "feature": {f.id for f in r.features},
    }
    raised = [f.id for f in a.red_flags]
    unsure = [f.id for f in a.to_check]
    named = [d.id for d in a.differentials]
    status = {f.id: f.status for f in a.features}
    failures: list[str] = []

    def must_know(kind: str, ids: list[str]) -> list[str]:
        unknown = [i for i in ids if i not in known[kind]]
        failures.extend(f"unknown {kind} id '{i}' in the expectations" for i in unknown)
        return [i for i in ids if i not in unknown]

    def includes(kind: str, label: str, got: list[str]) -> Callable[[Any, str], None]:
        def check(value: Any, key: str) -> None:
            missing = [i for i in must_know(kind, _ids(value, key)) if i not in got]
            if missing:
                failures.append(f"{key}: expected {label} {missing}, got {sorted(got)}")

        return check

    def excludes(kind: str, label: str, got: list[str]) -> Callable[[Any, str], None]:
        def check(value: Any, key: str) -> None:
            present = [i for i in must_know(kind, _ids(value, key)) if i in got]
            if present:
                failures.append(f"{key}: {present} must not be {label}")

        return check

    def exactly(kind: str, got: list[str]) -> Callable[[Any, str], None]:
        def check(value: Any, key: str) -> None:
            want = set(must_know(kind, _ids(value, key)))
            if want != set(got):
                failures.append(
                    f"{key}: expected exactly {sorted(want)}, got {sorted(got)} "
                    f"(missing {sorted(want - set(got))}, extra {sorted(set(got) - want)})"
                )

        return check

    def features(wanted: str) -> Callable[[Any, str], None]:
        def check(value: Any, key: str) -> None:
            wrong = {i: status[i] for i in must_know("feature", _ids(value, key)) if status[i] != wanted}
            if wrong:
                failures.append(f"{key}: expected {wanted}, got {wrong}")

        return check

    def disposition(value: Any, key: str) -> None:
        if value not in {d.value for d in Disposition}:
            failures.append(f"{key}: '{value}' is not a disposition")
        elif a.disposition != value:
            reasons = [f"{x.kind}:{x.id}->{x.disposition}" for x in a.disposition_reasons]
            failures.append(f"disposition: expected {value}, got {a.disposition} (reasons {reasons})")

    def likelihood(value: Any, key: str) -> None:
        if value not in {g.value for g in Likelihood}:
            failures.append(f"{key}: '{value}' is not a likelihood grade")
        elif a.likelihood.grade != value:
            g = a.likelihood
            failures.append(
                f"likelihood: expected {value}, got {g.grade} ({g.points}/{g.maximum} points, "
                f"{g.unknown_points} unknown, capped by {list(g.capped_by)})"
            )

    def points_at_least(value: Any, key: str) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            failures.append(f"{key}: must be a whole number, not {value!r}")
        elif a.likelihood.points < value:
            failures.append(f"{key}: expected at least {value} points, got {a.likelihood.points}")

    checks: dict[str, Callable[[Any, str], None]] = {
        "disposition": disposition,
        "likelihood": likelihood,
        "red_flags": includes("red flag", "raised", raised),
        "red_flags_exactly": exactly("red flag", raised),
        "not_red_flags": excludes("red flag", "raised", raised),
        "to_check": includes("red flag", "listed to check", unsure),
        "to_check_exactly": exactly("red flag", unsure),
        "differentials": includes("differential", "named", named),
        "not_differentials": excludes("differential", "named", named),
        "features_met": features("met"),
        "features_not_met": features("not_met"),
        "points_at_least": points_at_least,
    }
    for key, value in expect.items():
        check = checks.get(key)
        if check is None:
            failures.append(f"unknown expect key '{key}' (known: {', '.join(checks)})")
            continue
        try:
            check(value, key)
        except TypeError as exc:
            failures.append(str(exc))
    return failures


def summary(a: Assessment) -> str:
    g = a.likelihood
    met = [f.id for f in a.features if f.status == "met"]
    return (
        f"disposition {a.disposition}, likelihood {g.grade} ({g.points}/{g.maximum}, {g.unknown_points} unknown, "
        f"capped by {list(g.capped_by)})\n  red flags {[f.id for f in a.red_flags]}\n"
        f"  to check {[f.id for f in a.to_check]}\n  differentials {[d.id for d in a.differentials]}\n"
        f"  features met {met}"
    )


# ---------------------------------------------------------------------------------------------
# The cases


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_case(path: Path, bundled_definition: Definition) -> None:
    assert FILE_NAME.match(path.name), f"{path.name}: name case files NN_short_name.yaml"
    data, _ = read_case(path)
    assert set(data) == CASE_KEYS, f"{path.name}: keys must be exactly {sorted(CASE_KEYS)}, got {sorted(data)}"
    assert isinstance(data["title"], str) and data["title"].strip(), f"{path.name}: give the case a title"
    assert isinstance(data["why"], str) and len(data["why"]) > 80, f"{path.name}: explain the clinical reasoning"
    expect = data["expect"]
    assert isinstance(expect, dict), f"{path.name}: 'expect' must be a mapping"
    assert {"disposition", "likelihood"} <= set(expect), f"{path.name}: expect a disposition and a likelihood"
    _, assessment = assess_case(path, bundled_definition)
    failures = check_expectations(assessment, expect, bundled_definition)
    assert not failures, f"{path.name}:\n  " + "\n  ".join(failures) + "\nactual: " + summary(assessment)


def test_there_are_enough_cases() -> None:
    assert len(CASE_FILES) >= MIN_CASES, f"only {len(CASE_FILES)} clinical cases; at least {MIN_CASES} are needed"


def test_case_numbers_are_unique() -> None:
    numbers = [p.name[:2] for p in CASE_FILES]
    assert len(numbers) == len(set(numbers)), f"case numbers repeat: {sorted(numbers)}"


def _all_expectations() -> list[dict[str, Any]]:
    return [read_case(p)[0]["expect"] for p in CASE_FILES]


def test_every_red_flag_is_expected_and_raised_by_some_case(bundled_definition: Definition) -> None:
    expected: set[str] = set()
    for expect in _all_expectations():
        expected.update(expect.get("red_flags", []), expect.get("red_flags_exactly", []))
    raised: set[str] = set()
    for path in CASE_FILES:
        raised.update(f.id for f in assess_case(path, bundled_definition)[1].red_flags)
    flags = [f.id for f in bundled_definition.ruleset.red_flags]
    not_expected = [f for f in flags if f not in expected]
    not_raised = [f for f in flags if f not in raised]
    assert not not_expected, f"no case expects these red flags: {not_expected}"
    assert not not_raised, f"no case raises these red flags: {not_raised}"


def test_every_differential_is_expected_and_named_by_some_case(bundled_definition: Definition) -> None:
    expected: set[str] = set()
    for expect in _all_expectations():
        expected.update(expect.get("differentials", []))
    named: set[str] = set()
    for path in CASE_FILES:
        named.update(d.id for d in assess_case(path, bundled_definition)[1].differentials)
    diffs = [d.id for d in bundled_definition.ruleset.differentials]
    assert not [d for d in diffs if d not in expected], f"no case expects: {[d for d in diffs if d not in expected]}"
    assert not [d for d in diffs if d not in named], f"no case names: {[d for d in diffs if d not in named]}"


def test_cases_cover_every_outcome_and_both_respondents() -> None:
    expects = _all_expectations()
    dispositions = {e["disposition"] for e in expects}
    grades = {e["likelihood"] for e in expects}
    respondents = {read_case(p)[0]["response"].get("respondent", "patient") for p in CASE_FILES}
    assert dispositions == {d.value for d in Disposition}, f"dispositions covered: {sorted(dispositions)}"
    assert grades == {g.value for g in Likelihood}, f"likelihood grades covered: {sorted(grades)}"
    assert respondents == {"patient", "staff"}, f"respondents covered: {sorted(respondents)}"
    assert any(e.get("to_check") for e in expects), "no case has a 'not sure' red flag for staff to check"


def test_unknown_expect_keys_and_ids_fail(bundled_definition: Definition) -> None:
    _, assessment = assess_case(CASE_FILES[0], bundled_definition)
    failures = check_expectations(
        assessment,
        {"dispositon": "emergency", "not_red_flags": ["thunderclap_headach"], "features_met": ["no_such_feature"]},
        bundled_definition,
    )
    assert any("unknown expect key 'dispositon'" in f for f in failures)
    assert any("unknown red flag id 'thunderclap_headach'" in f for f in failures)
    assert any("unknown feature id 'no_such_feature'" in f for f in failures)
