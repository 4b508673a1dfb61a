"""Clinical cases as data: ``questionnaires/cervicogenic_headache.cases.yaml`` holds answers and the outcome the
reference expects (the format is described in ``screening/cases.py``; ``screening test`` runs the same file).

An unknown expect key fails the case, and so does an id (red flag, feature, differential, rule) that the ruleset
does not define, so a typo can never pass silently. Coverage tests make sure every red flag and every
differential in the ruleset is expected, and raised, by at least one case.

Expectations come from the clinical reference and the documented policy, not from the program's output: a
failing case is a disagreement to settle with the clinical lead, not a number to copy.
"""

from __future__ import annotations

from typing import Any

import pytest

from screening.assessment import Assessment
from screening.cases import Case, cases_path_for, check_expectations, coverage, load_cases, run_case, summary
from screening.definition import Definition
from screening.loader import default_questionnaire_path, load_definition
from screening.model import Disposition, Likelihood

CASES = load_cases(cases_path_for(default_questionnaire_path()))
MIN_CASES = 30


@pytest.fixture(scope="module")
def bundled_definition() -> Definition:
    """The bundled questionnaire and ruleset, loaded the way the CLI loads them."""
    return load_definition()


def assess_case(case: Case, definition: Definition) -> Assessment:
    result = run_case(definition, case)
    assert result.assessment is not None, f"{case.source}: {result.failures}"
    return result.assessment


# ---------------------------------------------------------------------------------------------
# The cases


@pytest.mark.parametrize("case", CASES, ids=[c.source.rpartition(":")[2] for c in CASES])
def test_case(case: Case, bundled_definition: Definition) -> None:
    assert case.title.strip(), f"{case.source}: give the case a title"
    assert len(case.why) > 80, f"{case.source}: explain the clinical reasoning"
    assert {"disposition", "likelihood"} <= set(case.expect), f"{case.source}: expect a disposition and a likelihood"
    assessment = assess_case(case, bundled_definition)
    failures = check_expectations(assessment, case.expect, bundled_definition)
    assert not failures, f"{case.source} {case.title}:\n  " + "\n  ".join(failures) + "\nactual: " + summary(assessment)


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= MIN_CASES, f"only {len(CASES)} clinical cases; at least {MIN_CASES} are needed"


def test_case_titles_are_unique() -> None:
    titles = [c.title for c in CASES]
    assert len(titles) == len(set(titles)), "case titles repeat"


def _all_expectations() -> list[dict[str, Any]]:
    return [c.expect for c in CASES]


def test_every_red_flag_is_expected_and_raised_by_some_case(bundled_definition: Definition) -> None:
    expected: set[str] = set()
    for expect in _all_expectations():
        expected.update(expect.get("red_flags", []), expect.get("red_flags_exactly", []))
    raised: set[str] = set()
    for case in CASES:
        raised.update(f.id for f in assess_case(case, bundled_definition).red_flags)
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
    for case in CASES:
        named.update(d.id for d in assess_case(case, bundled_definition).differentials)
    diffs = [d.id for d in bundled_definition.ruleset.differentials]
    assert not [d for d in diffs if d not in expected], f"no case expects: {[d for d in diffs if d not in expected]}"
    assert not [d for d in diffs if d not in named], f"no case names: {[d for d in diffs if d not in named]}"


def test_cases_cover_every_outcome_and_both_respondents() -> None:
    expects = _all_expectations()
    dispositions = {e["disposition"] for e in expects}
    grades = {e["likelihood"] for e in expects}
    respondents = {c.response.get("respondent", "patient") for c in CASES}
    assert dispositions == {d.value for d in Disposition}, f"dispositions covered: {sorted(dispositions)}"
    assert grades == {g.value for g in Likelihood}, f"likelihood grades covered: {sorted(grades)}"
    assert respondents == {"patient", "staff"}, f"respondents covered: {sorted(respondents)}"
    assert any(e.get("to_check") for e in expects), "no case has a 'not sure' red flag for staff to check"


def test_unknown_expect_keys_and_ids_fail(bundled_definition: Definition) -> None:
    assessment = assess_case(CASES[0], bundled_definition)
    failures = check_expectations(
        assessment,
        {
            "dispositon": "emergency",
            "not_red_flags": ["thunderclap_headach"],
            "features_met": ["no_such_feature"],
            "fired": ["no_such_rule"],
        },
        bundled_definition,
    )
    assert any("unknown expect key 'dispositon'" in f for f in failures)
    assert any("unknown red flag id 'thunderclap_headach'" in f for f in failures)
    assert any("unknown feature id 'no_such_feature'" in f for f in failures)
    assert any("unknown rule id 'no_such_rule'" in f for f in failures)


def test_fired_rules_are_checked(bundled_definition: Definition) -> None:
    assessment = assess_case(CASES[0], bundled_definition)
    true_rule = next(t.id for t in assessment.explanation if t.result == "true")
    false_rule = next(t.id for t in assessment.explanation if t.result == "false")
    assert not check_expectations(assessment, {"fired": [true_rule], "not_fired": [false_rule]}, bundled_definition)
    failures = check_expectations(assessment, {"fired": [false_rule], "not_fired": [true_rule]}, bundled_definition)
    assert len(failures) == 2


def test_coverage_names_what_no_case_exercises(bundled_definition: Definition) -> None:
    results = [run_case(bundled_definition, case) for case in CASES[:1]]
    one = coverage(bundled_definition, results)
    everything = coverage(bundled_definition, [run_case(bundled_definition, case) for case in CASES])
    assert len(one.rules_never_fired) > len(everything.rules_never_fired)
    assert ("red flag", "thunderclap_headache") not in one.rules_never_fired  # the first case raises it
    assert not [r for r in everything.rules_never_fired if r[0] in ("red flag", "differential")]
