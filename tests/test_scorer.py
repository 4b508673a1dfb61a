"""Worked examples of ``assess`` on small definitions: red flags, grading, caps, floors, what is missing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from helpers.definitions import RULES_TAIL

from screening._version import __version__
from screening.assessment import Assessment
from screening.definition import Definition
from screening.model import Disposition, Likelihood
from screening.response import parse_response
from screening.scorer import assess

CALM: dict[str, Any] = {"thunderclap": "no", "symptoms": ["none"]}  # no red flag raised or undecided


def score(definition: Definition, respondent: str = "patient", **answers: Any) -> Assessment:
    q = definition.questionnaire
    data = {
        "questionnaire": q.id,
        "version": q.version,
        "collected_at": "2026-03-01T10:30:00Z",
        "respondent": respondent,
        "answers": answers,
    }
    return assess(definition, parse_response(data, definition))


def reasons(assessment: Assessment) -> list[tuple[str, str, str]]:
    return [(r.kind, r.id, r.disposition.value) for r in assessment.disposition_reasons]


def test_thunderclap_yes_is_an_emergency(mini: Definition) -> None:
    a = score(mini, neck_pain="no", thunderclap="yes", symptoms=["none"])
    assert a.disposition is Disposition.EMERGENCY
    assert [f.id for f in a.red_flags] == ["thunderclap_headache"]
    assert a.red_flags[0].items == ("thunderclap",)
    assert [(r.item, r.status, r.answer) for r in a.red_flags[0].answers] == [("thunderclap", "answered", "yes")]
    assert a.to_check == ()
    assert ("red_flag", "thunderclap_headache", "emergency") in reasons(a)
    assert a.next_step.title == "Emergency"


def test_fever_is_urgent(mini: Definition) -> None:
    a = score(mini, neck_pain="no", thunderclap="no", symptoms=["fever", "blurred_vision"])
    assert a.disposition is Disposition.URGENT_GP
    assert [f.id for f in a.red_flags] == ["systemic_symptoms"]


def test_not_sure_about_a_red_flag_must_be_checked(mini: Definition) -> None:
    a = score(
        mini,
        neck_pain="yes",
        neck_side="left",
        neck_movement="yes",
        severity=5,
        thunderclap="not_sure",
        symptoms=["none"],
    )
    assert a.likelihood.grade is Likelihood.LIKELY  # the neck picture alone would mean physiotherapy
    assert a.disposition is Disposition.URGENT_GP  # when_red_flag_unsure: emergency -> urgent_gp
    assert a.red_flags == ()
    assert [f.id for f in a.to_check] == ["thunderclap_headache"]
    assert [(r.item, r.status) for r in a.to_check[0].answers] == [("thunderclap", "not_sure")]
    assert [(m.item, m.status, m.affects) for m in a.missing] == [
        ("thunderclap", "not_sure", ("thunderclap_headache",))
    ]


def test_unanswered_red_flag_questions_lead_to_a_gp(mini: Definition) -> None:
    a = score(mini, neck_pain="yes", neck_side="left", neck_movement="yes", severity=5)
    assert [f.id for f in a.to_check] == ["thunderclap_headache", "systemic_symptoms"]
    assert a.disposition is Disposition.URGENT_GP
    assert reasons(a)[1:] == [
        ("red_flag_unsure", "thunderclap_headache", "urgent_gp"),
        ("red_flag_unsure", "systemic_symptoms", "routine_gp"),
    ]


def test_full_neck_picture_is_likely_and_physiotherapy(mini: Definition) -> None:
    a = score(mini, neck_pain="yes", neck_side="left", neck_movement="yes", severity=5, **CALM)
    assert (a.likelihood.grade, a.likelihood.points, a.likelihood.maximum, a.likelihood.unknown_points) == (
        Likelihood.LIKELY,
        8,
        8,
        0,
    )
    assert [f.status for f in a.features] == ["met", "met", "met", "met"]
    assert a.disposition is Disposition.PHYSIO_ASSESSMENT
    assert a.missing == ()


def test_both_sides_is_not_one_sided(mini: Definition) -> None:
    a = score(mini, neck_pain="yes", neck_side="both", neck_movement="yes", severity=5, **CALM)
    assert [(f.id, f.status) for f in a.features][1] == ("one_sided", "not_met")
    assert (a.likelihood.points, a.likelihood.grade) == (6, Likelihood.LIKELY)


def test_grade_cap_limits_likely_to_possible(mini: Definition) -> None:
    a = score(mini, neck_pain="yes", neck_side="left", neck_movement="no", severity=5, **CALM)
    assert a.likelihood.points == 6
    assert a.likelihood.grade is Likelihood.POSSIBLE
    assert a.likelihood.capped_by == ("not_brought_on_by_movement",)
    assert a.disposition is Disposition.PHYSIO_ASSESSMENT


def test_cap_does_not_raise_a_lower_grade(mini: Definition) -> None:
    a = score(mini, neck_pain="yes", neck_side="both", neck_movement="no", severity=9, **CALM)
    assert (a.likelihood.points, a.likelihood.grade, a.likelihood.capped_by) == (3, Likelihood.POSSIBLE, ())


def test_no_neck_features_is_self_care(mini: Definition) -> None:
    a = score(mini, neck_pain="no", severity=2, age=30, **CALM)
    assert (a.likelihood.grade, a.likelihood.points) == (Likelihood.UNLIKELY, 0)
    assert a.disposition is Disposition.SELF_CARE
    assert a.differentials == ()


def test_floor_when_unlikely_applies_only_when_unlikely(mini: Definition) -> None:
    unlikely = score(mini, neck_pain="no", severity=2, age=60, **CALM)
    assert unlikely.disposition is Disposition.ROUTINE_GP
    assert [(d.id, d.reasons) for d in unlikely.differentials] == [("late_onset", ("age ≥ 50",))]
    assert ("differential", "late_onset", "routine_gp") in reasons(unlikely)
    likely = score(mini, neck_pain="yes", neck_side="left", neck_movement="yes", severity=5, age=60, **CALM)
    assert likely.disposition is Disposition.PHYSIO_ASSESSMENT
    assert [d.id for d in likely.differentials] == ["late_onset"]  # still listed for staff
    assert all(r.kind != "differential" for r in likely.disposition_reasons)


def test_differential_floor_applies_whatever_the_grade(mini: Definition) -> None:
    a = score(
        mini,
        neck_pain="yes",
        neck_side="left",
        neck_movement="yes",
        severity=9,
        thunderclap="no",
        symptoms=["blurred_vision"],
    )
    assert a.likelihood.grade is Likelihood.LIKELY
    assert [d.id for d in a.differentials] == ["migraine_pattern"]
    assert a.disposition is Disposition.ROUTINE_GP


def test_missing_answers_use_the_respondents_wording(mini: Definition) -> None:
    patient = score(mini, neck_pain="yes", **CALM)
    staff = score(mini, "staff", neck_pain="yes", **CALM)
    assert [(m.item, m.status, m.affects) for m in patient.missing] == [
        ("neck_side", "unanswered", ("one_sided",)),
        ("neck_movement", "unanswered", ("movement",)),
        ("severity", "unanswered", ("moderate_severity",)),
    ]
    assert patient.missing[0].question == "Which side of your neck?"
    assert staff.missing[0].question == "Which side of the neck?"
    assert staff.respondent == "staff"


def test_answers_list_every_question_as_the_rules_saw_it(mini: Definition) -> None:
    a = score(mini, neck_pain="no", thunderclap="not_sure", symptoms=["weight_loss", "fever"], age=44)
    assert [(r.item, r.status, r.answer) for r in a.answers] == [
        ("neck_pain", "answered", "no"),
        ("neck_side", "not_shown", None),
        ("neck_movement", "not_shown", None),
        ("severity", "unanswered", None),
        ("age", "answered", 44),
        ("thunderclap", "not_sure", "not_sure"),
        ("symptoms", "answered", ("fever", "weight_loss")),
        ("notes", "unanswered", None),
    ]


def test_explanation_traces_every_rule_in_order(mini: Definition) -> None:
    a = score(mini, neck_pain="yes", neck_side="right", **CALM)
    assert [(t.kind, t.id, t.result) for t in a.explanation] == [
        ("finding", "one_sided_neck_pain", "true"),
        ("red_flag", "thunderclap_headache", "false"),
        ("red_flag", "systemic_symptoms", "false"),
        ("feature", "neck_origin", "true"),
        ("feature", "one_sided", "true"),
        ("feature", "movement", "unknown"),
        ("feature", "moderate_severity", "unknown"),
        ("grade_cap", "not_brought_on_by_movement", "unknown"),
        ("differential", "migraine_pattern", "false"),
        ("differential", "late_onset", "unknown"),
    ]
    assert a.explanation[0].items == ("neck_pain", "neck_side")
    assert a.explanation[4].findings == ("one_sided_neck_pain",)


def test_provenance_names_the_exact_definition(mini: Definition) -> None:
    p = score(mini, neck_pain="no").provenance
    assert (p.questionnaire_id, p.questionnaire_version, p.ruleset_id, p.ruleset_version, p.engine_version) == (
        "mini",
        "1.2.0",
        "mini_rules",
        "1.0.0",
        __version__,
    )
    assert (p.questionnaire_sha256, p.ruleset_sha256) == (mini.questionnaire_sha256, mini.ruleset_sha256)


GRADING_QUESTIONNAIRE = """\
id: grading
version: 1.0.0
title: Grading
language: en-GB
sections:
  - id: s
    title: S
    items:
      - {id: core, kind: yes_no, patient: Core?, staff: Core?}
      - {id: b, kind: yes_no, patient: B?, staff: B?}
      - {id: c, kind: yes_no, patient: C?, staff: C?}
      - {id: danger, kind: yes_no, patient: Danger?, staff: Danger?}
"""
GRADING_RULES = """\
id: grading_rules
version: 1.0.0
title: Grading rules
questionnaire: {id: grading, version: 1.0.0}
red_flags:
  - {id: danger, title: D, condition: {yes: danger}, urgency: emergency, patient_message: M, staff_message: M,
     source: S}
features:
  - {id: f_core, title: Core, condition: {yes: core}, weight: 1, criterion: C, source: S}
  - {id: f_b, title: B, condition: {yes: b}, weight: 1, criterion: C, source: S}
  - {id: f_c, title: C, condition: {yes: c}, weight: 1, criterion: C, source: S}
"""


@pytest.fixture
def graded(make_definition: Callable[..., Definition]) -> Definition:
    tail = RULES_TAIL.replace(
        "  likely_at: 4\n  possible_at: 2\n  insufficient_when_unknown_at_least: 3\n",
        "  likely_at: 3\n  possible_at: 2\n  likely_requires: {yes: core}\n  insufficient_when_unknown_at_least: 2\n",
    )
    assert tail != RULES_TAIL
    return make_definition(GRADING_QUESTIONNAIRE, GRADING_RULES + tail)


@pytest.mark.parametrize(
    ("answers", "grade", "points", "unknown"),
    [
        ({"core": "yes", "b": "yes", "c": "yes"}, Likelihood.LIKELY, 3, 0),
        ({"core": "no", "b": "yes", "c": "yes"}, Likelihood.POSSIBLE, 2, 0),  # 'likely' needs the core
        ({"b": "yes", "c": "yes"}, Likelihood.POSSIBLE, 2, 1),
        ({"core": "no", "b": "no", "c": "no"}, Likelihood.UNLIKELY, 0, 0),
        ({}, Likelihood.INSUFFICIENT_INFORMATION, 0, 3),
        ({"core": "no"}, Likelihood.INSUFFICIENT_INFORMATION, 0, 2),
        ({"core": "no", "b": "no"}, Likelihood.UNLIKELY, 0, 1),  # one unknown point is below the threshold
    ],
)
def test_grading_with_likely_requires_and_insufficient_information(
    graded: Definition, answers: dict[str, str], grade: Likelihood, points: int, unknown: int
) -> None:
    a = score(graded, danger="no", **answers)
    assert (a.likelihood.grade, a.likelihood.points, a.likelihood.unknown_points) == (grade, points, unknown)
    assert (
        a.disposition.value
        == {
            Likelihood.LIKELY: "physio_assessment",
            Likelihood.POSSIBLE: "physio_assessment",
            Likelihood.UNLIKELY: "self_care",
            Likelihood.INSUFFICIENT_INFORMATION: "routine_gp",
        }[grade]
    )


def test_likely_requires_is_traced(graded: Definition) -> None:
    a = score(graded, core="no", b="yes", c="yes", danger="no")
    grading = [t for t in a.explanation if t.kind == "grading"]
    assert [(t.id, t.result, t.items) for t in grading] == [("likely_requires", "false", ("core",))]


def _example_answers(name: str, bundled: Definition) -> dict[str, Any]:
    from pathlib import Path

    from screening.reading import load_response

    path = Path(__file__).resolve().parent.parent / "examples" / f"{name}.yaml"
    return dict(load_response(path, bundled).answers)


def test_an_outcome_resting_only_on_undecided_flags_uses_the_same_day_check_text(bundled: Definition) -> None:
    policy = bundled.ruleset.disposition
    assert policy.unsure_text is not None
    answers = _example_answers("not_sure_red_flag", bundled)  # only new double vision is "not sure"
    unsure = score(bundled, "staff", **answers)
    assert unsure.disposition is Disposition.URGENT_GP and unsure.to_check and not unsure.red_flags
    assert unsure.next_step.title == policy.unsure_text.title
    assert unsure.next_step.time_frame == policy.unsure_text.time_frame
    assert unsure.next_step.checks_undecided_flags
    # a flag actually raised at the same level: its own text, the undecided one still listed to check
    raised = score(bundled, "staff", **{**answers, "personality_change": "yes"})
    assert raised.disposition is Disposition.URGENT_GP and raised.to_check
    assert raised.next_step.title == policy.texts[Disposition.URGENT_GP].title
    assert not raised.next_step.checks_undecided_flags


def test_one_unsure_text_needs_one_outcome_for_every_undecided_level() -> None:
    from pydantic import ValidationError

    from screening.model import DispositionPolicy

    text = {"title": "T", "patient": "P", "staff": "S", "action": "A", "time_frame": "F"}
    policy = {
        "by_likelihood": {g.value: "physio_assessment" for g in Likelihood},
        "when_red_flag_unsure": {"emergency": "urgent_gp", "urgent_gp": "urgent_gp", "routine_gp": "routine_gp"},
        "texts": {d.value: text for d in Disposition},
        "unsure_text": text,
    }
    with pytest.raises(ValidationError, match="same disposition"):
        DispositionPolicy.model_validate(policy)
    policy["when_red_flag_unsure"]["routine_gp"] = "urgent_gp"  # type: ignore[index]
    assert DispositionPolicy.model_validate(policy).unsure_text is not None
