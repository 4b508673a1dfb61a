"""Which answers the staff form's emergency alert names: the ones the engine needs to raise the flag."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from screening.definition import Definition
from screening.response import parse_response
from screening.scorer import assess
from screening.web.emergency import by_anchor, emergency_alerts


def alerts(definition: Definition, answers: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    q = definition.questionnaire
    document = {
        "questionnaire": q.id,
        "version": q.version,
        "respondent": "staff",
        "collected_at": datetime.now(UTC).isoformat(),
        "answers": answers,
    }
    response = parse_response(document, definition, hidden="drop", partial=True)
    return {alert.id: alert.items for alert in emergency_alerts(definition, response, assess(definition, response))}


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"fever": "yes"}, {}),  # urgent, not an emergency: no alert
        (
            {"fever": "yes", "fever_with_stiff_neck": "no", "fever_with_rash": "yes"},
            {"fever_with_stiff_neck_rash_or_drowsiness": ("fever", "fever_with_rash")},
        ),
        (  # two answers that each raise it with the temperature: both named
            {"fever": "yes", "fever_with_stiff_neck": "yes", "fever_with_rash": "yes"},
            {"fever_with_stiff_neck_rash_or_drowsiness": ("fever", "fever_with_stiff_neck", "fever_with_rash")},
        ),
        (  # neither answer alone is an emergency; together they are, and the later one is where the alert goes
            {"takes_blood_thinners": "yes", "recent_head_or_neck_injury": "yes"},
            {"head_or_neck_injury_high_risk": ("takes_blood_thinners", "recent_head_or_neck_injury")},
        ),
        (  # one answer from each part of the condition: all three named, not just the age
            {"new_double_vision": "yes", "age": 70, "jaw_pain_when_chewing": "yes", "scalp_or_temple_tender": "no"},
            {
                "brainstem_or_vertebrobasilar_signs": ("new_double_vision",),
                "possible_gca_with_visual_symptoms": ("new_double_vision", "age", "jaw_pain_when_chewing"),
            },
        ),
        ({"tingling_both_arms_or_legs": "yes"}, {"tingling_in_both_arms_or_legs": ("tingling_both_arms_or_legs",)}),
    ],
)
def test_the_answers_behind_each_emergency(
    bundled: Definition, answers: dict[str, Any], expected: dict[str, tuple[str, ...]]
) -> None:
    assert alerts(bundled, answers) == expected


def test_alerts_sharing_a_question_are_shown_together_in_form_order(bundled: Definition) -> None:
    q = bundled.questionnaire
    answers = {"new_numbness": "yes", "drop_attacks": "yes", "sudden_onset_headache": "yes"}
    document = {"questionnaire": q.id, "version": q.version, "collected_at": datetime.now(UTC).isoformat()}
    response = parse_response({**document, "answers": answers}, bundled, partial=True)
    found = emergency_alerts(bundled, response, assess(bundled, response))
    grouped = by_anchor(found)
    assert list(grouped) == ["sudden_onset_headache", "new_numbness", "drop_attacks"]
    assert [a.id for a in grouped["new_numbness"]] == ["new_neurological_deficit"]
    # numbness and drop attacks each raise the brainstem flag: it is named with both, beside the later one
    assert [(a.id, a.items) for a in grouped["drop_attacks"]] == [
        ("brainstem_or_vertebrobasilar_signs", ("new_numbness", "drop_attacks"))
    ]
