"""One table names each outcome: the terminal, the referral letter and alert e-mails all read it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from helpers.definitions import EXAMPLES

from screening.clinic import ClinicSettings
from screening.definition import Definition
from screening.labels import DISPOSITION_LABELS, SAME_DAY_CHECK, disposition_words, outcome_label
from screening.model import Disposition
from screening.reading import load_response
from screening.referral import build_view
from screening.scorer import assess
from screening.text import outcome_words


def test_every_outcome_has_every_label() -> None:
    assert set(DISPOSITION_LABELS) == set(Disposition)
    for label in DISPOSITION_LABELS.values():
        assert all((label.words, label.badge, label.icon, label.next_step, label.ask))
        assert label.headline == label.headline.upper() and label.badge == label.badge.upper()
    assert len({label.words for label in DISPOSITION_LABELS.values()}) == len(Disposition)  # told apart at a glance


def test_stored_values_get_their_words_and_unknown_ones_stay_as_they_are() -> None:
    assert disposition_words("urgent_gp") == "Urgent GP"
    assert disposition_words("emergency") == "Emergency"
    assert disposition_words("something_else") == "something_else"


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_the_terminal_and_the_letter_name_the_outcome_from_the_same_table(bundled: Definition, example: str) -> None:
    response = load_response(EXAMPLES / example, bundled)
    assessment = assess(bundled, response)
    label = outcome_label(assessment)
    clinic, when = ClinicSettings(name="Example Clinic"), datetime(2026, 3, 1, tzinfo=UTC)
    view = build_view(bundled, response, assessment, clinic, when)
    assert outcome_words(assessment) == label.headline
    assert (view["outcome"]["label"], view["outcome"]["icon"], view["outcome"]["ask"]) == (
        label.badge,
        label.icon,
        label.ask,
    )
    if assessment.next_step.checks_undecided_flags:  # only flags not ruled out set the level: a same-day check
        assert label.headline == label.badge == SAME_DAY_CHECK
        assert label.icon == DISPOSITION_LABELS[assessment.disposition].icon
    else:
        assert label == DISPOSITION_LABELS[assessment.disposition]
