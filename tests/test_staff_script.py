"""The bundled questionnaire's read-aloud script: what reception says to the caller, and the notes it does not say.

Reception reads ``staff`` (and each section's ``staff_intro``) to the caller, word for word, so it is second
person and plain speech; ``staff_help`` is a note for reception in the third person. The checks here are on
the wording itself, so a third-person question or a missing note fails here and not on the phone.
"""

from __future__ import annotations

import re

import pytest

from screening.definition import Definition
from screening.model import DisplayItem, IntegerItem, MultiChoiceItem, SingleChoiceItem

SECOND_PERSON = re.compile(r"\byou(r|rs|rself|'ve|'re|'ll|'d)?\b", re.IGNORECASE)
THIRD_PERSON = re.compile(r"\b(the patient|patient's|the caller|their|theirs|he|she|his|her|him)\b", re.IGNORECASE)
READ_OUT_MARKS = re.compile(r"[()\[\]{}/]")  # brackets and slashes do not survive being read aloud
TIME_FRAME = re.compile(r"\b(last \d+ \w+|last month|\d+ minutes|an hour|\d+ months|\d+ weeks|\d+ metre)\b")
# the sections whose questions look for warning signs: every one of their questions gets a note
SAFETY_SECTIONS = ("safety_checks", "about_you", "injuries_and_neck_strain")


def test_every_question_is_worded_for_the_caller(bundled: Definition) -> None:
    wrong = {
        item_id: item.staff
        for item_id, item in bundled.items.items()
        if not SECOND_PERSON.search(item.staff) or THIRD_PERSON.search(item.staff) or READ_OUT_MARKS.search(item.staff)
    }
    assert wrong == {}
    assert len(bundled.items) == 89


def test_every_section_opens_with_words_for_the_caller(bundled: Definition) -> None:
    for section in bundled.questionnaire.sections:
        intro = section.staff_intro
        assert intro, f"section '{section.id}' has no staff_intro"
        assert SECOND_PERSON.search(intro) and not THIRD_PERSON.search(intro), section.id
        assert not READ_OUT_MARKS.search(intro), section.id


def test_rewording_keeps_every_time_frame(bundled: Definition) -> None:
    """A reworded question asks the same thing: the time frames the rules rely on are all still there."""
    changed = {}
    for item_id, item in bundled.items.items():
        if sorted(TIME_FRAME.findall(item.patient)) != sorted(TIME_FRAME.findall(item.staff)):
            changed[item_id] = (TIME_FRAME.findall(item.patient), TIME_FRAME.findall(item.staff))
    assert changed == {}


def test_notes_speak_of_the_caller_not_to_them(bundled: Definition) -> None:
    notes = {i: item.staff_help for i, item in bundled.items.items() if item.staff_help}
    assert notes
    assert {i: n for i, n in notes.items() if SECOND_PERSON.search(n)} == {}


@pytest.mark.parametrize("why", ["patient help", "safety section", "counts and choices"])
def test_questions_a_caller_may_find_unclear_have_a_note(bundled: Definition, why: str) -> None:
    section_of = {item.id: s.id for s in bundled.questionnaire.sections for item in s.items}
    if why == "patient help":
        needs = [i for i, item in bundled.items.items() if not isinstance(item, DisplayItem) and item.help]
    elif why == "safety section":
        needs = [i for i in bundled.items if section_of[i] in SAFETY_SECTIONS]
    else:
        kinds = (IntegerItem, SingleChoiceItem, MultiChoiceItem)
        needs = [i for i, item in bundled.items.items() if isinstance(item, kinds)]
    assert needs
    assert [i for i in needs if not bundled.items[i].staff_help] == []
