"""Form data to answers: conversion, friendly messages, and which questions are shown."""

from __future__ import annotations

from datetime import date

from starlette.datastructures import FormData

from screening import wording
from screening.definition import Definition
from screening.web import forms


def _read(definition: Definition, *pairs: tuple[str, str]) -> forms.FormAnswers:
    return forms.read_form(definition, FormData(list(pairs)))


def test_values_are_converted_by_kind(bundled: Definition) -> None:
    got = _read(
        bundled,
        ("sudden_onset_headache", "no"),
        ("age", "47"),
        ("unknown_field", "x"),
        ("name", "  Test Patient  "),
    )
    assert got.values == {"sudden_onset_headache": "no", "age": 47}
    assert got.details == {"name": "Test Patient"}
    assert not got.invalid


def test_bad_values_get_messages_a_person_understands(bundled: Definition) -> None:
    got = _read(bundled, ("age", "forty"), ("sudden_onset_headache", "maybe"), ("new_weakness", "yes"))
    assert got.invalid["age"].startswith("Enter a whole number")
    assert got.invalid["sudden_onset_headache"] == "Choose one of the answers shown"
    assert got.values == {"new_weakness": "yes"}
    assert got.typed["age"] == ["forty"]  # kept to show back in the field
    two = _read(bundled, ("sudden_onset_headache", "yes"), ("sudden_onset_headache", "no"))
    assert two.invalid["sudden_onset_headache"] == "Choose only one answer"


def test_browser_line_endings_are_not_control_characters(mini: Definition) -> None:
    text_items = [i for i, item in mini.items.items() if item.kind == "text"]
    assert text_items
    got = _read(mini, (text_items[0], "line one\r\nline two"))
    assert got.values.get(text_items[0]) == "line one\nline two"


def test_required_and_hidden_questions(bundled: Definition) -> None:
    answers = _read(bundled, ("sudden_onset_headache", "no"))
    shown = forms.shown_items(bundled, answers.values)
    first = forms.section_items(bundled, 0)
    errors = forms.item_errors(bundled, answers, first, shown)
    assert "sudden_onset_headache" not in errors
    assert errors["worst_ever_headache"] == "Select yes, no or not sure"
    hidden = [i for i in first if i not in shown]
    assert all(i not in errors for i in hidden)  # a question not shown is never required


def test_birth_dates_in_iso_and_uk_forms() -> None:
    assert wording.birth_date("1980-03-27") == date(1980, 3, 27)
    assert wording.birth_date("27/03/1980") == date(1980, 3, 27)
    assert wording.birth_date("27.3.1980") == date(1980, 3, 27)
    assert wording.birth_date("31/02/1980") is None
    assert wording.birth_date("next tuesday") is None
    today = date(2026, 11, 21)
    assert wording.detail_errors({"name": "A", "date_of_birth": "2030-01-01"}, contact_required=False, today=today)
    assert not wording.detail_errors({"name": "A", "date_of_birth": "27/03/1980"}, contact_required=False, today=today)
    needs_contact = wording.detail_errors({"name": "A"}, contact_required=True, today=today)
    assert "contact" in needs_contact
    assert forms.patient_block({"name": "A", "date_of_birth": "27/03/1980"}) == {
        "name": "A",
        "date_of_birth": "1980-03-27",
    }


def test_nhs_number_and_gp_practice_are_read_checked_and_normalised(bundled: Definition) -> None:
    posted = FormData([("name", "A"), ("nhs_number", " 943 476 5919 "), ("gp_practice", "Example Lane Surgery")])
    details = forms.read_form(bundled, posted).details
    assert details == {"name": "A", "nhs_number": "943 476 5919", "gp_practice": "Example Lane Surgery"}
    today = date(2026, 11, 21)
    assert not wording.detail_errors(details, contact_required=False, today=today)
    block = forms.patient_block(details)
    assert block == {"name": "A", "nhs_number": "9434765919", "gp_practice": "Example Lane Surgery"}
    for wrong in ("943 476 5918", "94347659", "NHS 9434765919"):
        errors = wording.detail_errors({"name": "A", "nhs_number": wrong}, contact_required=False, today=today)
        assert list(errors) == ["nhs_number"], wrong
    long_practice = wording.detail_errors({"name": "A", "gp_practice": "x" * 201}, contact_required=False, today=today)
    assert list(long_practice) == ["gp_practice"]
    assert list(wording.detail_errors({"name": "A", "gp_practice": "A\x07B"}, contact_required=False, today=today)) == [
        "gp_practice"
    ]


def test_long_sections_are_cut_into_screens_of_at_most_six_questions(bundled: Definition) -> None:
    from screening.web.forms import SCREEN_QUESTIONS, screens

    cut = screens(bundled)
    safety = [screen for screen in cut if screen.section == 0]
    assert len(safety) > 1
    for screen in safety:
        assert len(forms.answerable(bundled, screen.items)) <= SCREEN_QUESTIONS
    # every item is on exactly one screen, in questionnaire order
    assert [i for screen in cut for i in screen.items] == [
        item.id for section in bundled.questionnaire.sections for item in section.items
    ]
    # a follow-up is never cut from the question before it
    for screen in cut:
        first = bundled.items[screen.items[0]]
        assert first.kind == "display" or getattr(first, "enable_when", None) is None
