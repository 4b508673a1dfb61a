"""The terminal intake, driven through its real prompts with piped key presses; checked by the files it saves."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from helpers.definitions import EXAMPLES, RULES_TAIL
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from screening.definition import Definition
from screening.intake import Terminal, conduct_intake, load_draft, run_intake
from screening.intake.checks import birth_problem
from screening.model import Disposition, IntegerItem, MultiChoiceItem, ScaleItem, SingleChoiceItem, TextItem, YesNoItem
from screening.response import Response, parse_response, read_response_file
from screening.scorer import assess
from screening.wording import detail_errors

ENTER, DOWN, CTRL_C, CLEAR_LINE, SPACE = "\r", "\x1b[B", "\x03", "\x15", " "


def intake(definition: Definition, folder: Path, keys: str, **options: Any) -> tuple[int, str]:
    """Run an intake with these key presses; the exit code and what it printed.

    The pipe is closed after the keys, so a script that runs short ends the intake (as end of input)
    instead of waiting for keys that never come."""
    printed = io.StringIO()
    with create_pipe_input() as keyboard:
        keyboard.send_text(keys)
        keyboard.close()
        terminal = Terminal(keyboard, DummyOutput(), printed)
        code = conduct_intake(definition, folder, terminal=terminal, pdf=options.pop("pdf", False), **options)
    return code, printed.getvalue()


def saved(definition: Definition, folder: Path, *, partial: bool = False) -> Response:
    """The one response the intake saved, checked the way any response file is."""
    (path,) = folder.glob("intake-*.json")
    return parse_response(json.loads(path.read_text(encoding="utf-8")), definition, partial=partial)


def keys_for(definition: Definition, answers: dict[str, Any]) -> str:
    """The key presses that give these answers, question by question, as a receptionist would type them."""
    _, shown = definition.effective_values(answers)
    keys = []
    for item_id, item in definition.items.items():
        if shown[item_id] is not True or not definition.is_answerable(item_id):
            continue
        value = answers.get(item_id)
        if isinstance(item, YesNoItem):
            keys.append({"yes": "y", "no": "n", "not_sure": "u", None: "s"}[value])
        elif isinstance(item, SingleChoiceItem):
            keys.append(str([o.code for o in item.options].index(value) + 1) if value else "s")
        elif isinstance(item, MultiChoiceItem):  # ticking nothing is refused: Skip (after the options) is ticked
            keys.append("".join((SPACE if o.code in (value or []) else "") + DOWN for o in item.options))
            keys[-1] += "" if value else SPACE
        elif isinstance(item, IntegerItem | ScaleItem | TextItem):
            keys.append("" if value is None else str(value))
        keys[-1] += ENTER
    return "".join(keys)


# the mini questionnaire (tests/data/mini.yaml), answered for a typical neck-related headache
NAME = "Ann Example\r\r\r\r\r"  # a name, and no date of birth, contact, NHS number or GP practice
MINI_START = NAME + "y\r" + "1\r" + "y\r"  # pain starts in the neck, on the left, brought on by movement
MINI_REST = "5\r" + "47\r" + "n\r" + DOWN * 3 + SPACE + ENTER + ENTER  # severity, age, no thunderclap, none, no note
SAVE = "s\r"
CONFIRM = "c\r"  # confirm the emergency
STRAY = "Nothing was chosen"  # said when Enter is pressed before anything is chosen


@pytest.fixture
def physio(bundled: Definition) -> Response:
    data, _ = read_response_file(EXAMPLES / "physio_cervicogenic.yaml")
    return parse_response(data, bundled)


def test_a_complete_intake_saves_the_response_and_the_pdf(
    bundled: Definition, physio: Response, tmp_path: Path
) -> None:
    details = "Testy McTestface\r27/03/1980\r01632 960123\r943 476 5919\rExample Lane Surgery (fictional)\r"
    code, printed = intake(bundled, tmp_path, details + keys_for(bundled, physio.answers) + SAVE, pdf=True)
    assert code == 0
    response = saved(bundled, tmp_path)
    assert response.answers == physio.answers
    assert response.respondent == "staff"
    assert response.patient is not None
    patient = response.patient
    assert (patient.name, patient.date_of_birth) == ("Testy McTestface", date(1980, 3, 27))
    assert patient.contact == "01632 960123"
    assert (patient.nhs_number, patient.gp_practice) == ("9434765919", "Example Lane Surgery (fictional)")
    # the read-aloud script: each section's staff introduction, and notes for staff marked as not read out
    first = bundled.questionnaire.sections[0]
    assert first.staff_intro is not None and " ".join(first.staff_intro.split()[:6]) in " ".join(printed.split())
    assert "Note (not read out):" in printed
    assessment = assess(bundled, response)
    assert assessment.disposition == assess(bundled, physio).disposition == "physio_assessment"
    (pdf,) = tmp_path.glob("intake-*.pdf")
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert pdf.stem == next(tmp_path.glob("intake-*.json")).stem
    assert all("Testy" not in p.name for p in tmp_path.iterdir())  # no personal data in file names
    assert printed.index(assessment.next_step.title) < printed.index(str(pdf))  # the result, then the paths


def test_mini_intake_follows_enable_when(mini: Definition, tmp_path: Path) -> None:
    assert intake(mini, tmp_path, MINI_START + MINI_REST + SAVE)[0] == 0
    answers = saved(mini, tmp_path).answers
    assert answers == {
        "neck_pain": "yes",
        "neck_side": "left",
        "neck_movement": "yes",
        "severity": 5,
        "age": 47,
        "thunderclap": "no",
        "symptoms": ["none"],
    }
    assert intake(mini, tmp_path / "no", NAME + "n\r" + MINI_REST + SAVE)[0] == 0  # follow-ups not asked
    assert set(saved(mini, tmp_path / "no").answers) == {"neck_pain", "severity", "age", "thunderclap", "symptoms"}


def test_bad_answers_are_refused_and_asked_again(mini: Definition, tmp_path: Path) -> None:
    age = "200\r" + CLEAR_LINE + "forty\r" + CLEAR_LINE + "47\r"  # out of range, not a number, then right
    symptoms = SPACE + DOWN * 3 + SPACE + ENTER + SPACE + ENTER  # "fever" with "none of these": untick "none"
    name = "\r" + NAME  # the name is required
    note = "x" * 201 + ENTER + CLEAR_LINE + "Worse at work\r"  # at most 200 characters
    keys = name + "y\r1\ry\r" + "5\r" + age + "n\r" + symptoms + note + SAVE
    assert intake(mini, tmp_path, keys)[0] == 0
    response = saved(mini, tmp_path)
    assert response.answers["age"] == 47
    assert response.answers["symptoms"] == ["fever"]
    assert response.answers["notes"] == "Worse at work"
    assert response.patient is not None and response.patient.name == "Ann Example"


def test_going_back_changes_an_answer_and_keeps_the_rest(mini: Definition, tmp_path: Path) -> None:
    # at "moving the neck", go back to the side and change it; the movement answer stays (Enter keeps it)
    back_from_select = "y\r1\r" + "b\r" + "2\r" + "y\r"
    back_from_text = "5\r" + "<\r" + CLEAR_LINE + "7\r"  # at age, type < to go back to severity
    back_from_ticks = DOWN * 5 + SPACE + ENTER + "u\r"  # tick "← Back": thunderclap again, now "not sure"
    symptoms = DOWN * 3 + SPACE + ENTER + ENTER
    keys = NAME + back_from_select + back_from_text + "47\r" + "n\r" + back_from_ticks + symptoms + SAVE
    assert intake(mini, tmp_path, keys)[0] == 0
    answers = saved(mini, tmp_path).answers
    assert [answers[i] for i in ("neck_side", "neck_movement", "severity", "age")] == ["right", "yes", 7, 47]
    assert (answers["thunderclap"], answers["symptoms"]) == ("not_sure", ["none"])


def test_changing_an_answer_at_the_review_drops_questions_it_hides(mini: Definition, tmp_path: Path) -> None:
    # review: change answer 1 to "no" (the list starts with "nothing chosen", name, date of birth and contact);
    # its follow-ups go away
    change = "c\r" + DOWN * 6 + ENTER + "n\r"  # past the five patient details
    assert intake(mini, tmp_path, MINI_START + MINI_REST + change + SAVE)[0] == 0
    response = saved(mini, tmp_path)
    assert response.answers["neck_pain"] == "no"
    assert "neck_side" not in response.answers and "neck_movement" not in response.answers
    # and back to "yes": the follow-ups are asked again before the review
    again = change + "c\r" + DOWN * 6 + ENTER + "y\r" + "3\r" + "n\r"
    assert intake(mini, tmp_path / "again", MINI_START + MINI_REST + again + SAVE)[0] == 0
    answers = saved(mini, tmp_path / "again").answers
    assert (answers["neck_side"], answers["neck_movement"]) == ("both", "no")


def test_a_confirmed_emergency_stops_the_questions_and_saves(mini: Definition, tmp_path: Path) -> None:
    code, printed = intake(mini, tmp_path, MINI_START + "5\r47\r" + "y\r" + CONFIRM, pdf=True)  # thunderclap: yes
    assert code == 0
    response = saved(mini, tmp_path, partial=True)
    assert "symptoms" not in response.answers and response.answers["thunderclap"] == "yes"
    assert response.patient is not None and response.patient.name == "Ann Example"
    assessment = assess(mini, response)
    assert assessment.disposition == "emergency"
    assert [flag.id for flag in assessment.red_flags] == ["thunderclap_headache"]
    question = mini.items["thunderclap"].staff
    said = " ".join(printed.split())  # as one line: the terminal wraps long ones
    asked = said.index(f'Yes to "{question}" means an emergency: the caller must ring 999 now.')
    instruction = said.index(mini.ruleset.disposition.texts[Disposition.EMERGENCY].staff)
    assert asked < instruction < said.index("Response saved")  # confirmed, then the 999 text, then saved
    assert "1 other red flag was not checked" in said  # the symptoms were never asked
    assert len(list(tmp_path.glob("intake-*.pdf"))) == 1


def test_an_unconfirmed_emergency_answer_saves_nothing(mini: Definition, tmp_path: Path) -> None:
    # the input ends at the confirmation: stopped, not an emergency saved as a response
    assert intake(mini, tmp_path, MINI_START + "5\r47\r" + "y\r")[0] == 130
    assert not list(tmp_path.glob("intake-*"))


def test_going_back_from_an_emergency_changes_the_answer_and_carries_on(mini: Definition, tmp_path: Path) -> None:
    go_back = "y\r" + "b\r"  # thunderclap: yes, then "go back and change the answer"
    keys = MINI_START + "5\r47\r" + go_back + "n\r" + DOWN * 3 + SPACE + ENTER + ENTER + SAVE
    code, printed = intake(mini, tmp_path, keys)
    assert code == 0
    assert printed.count("means an emergency") == 1
    response = saved(mini, tmp_path)
    assert (response.answers["thunderclap"], response.answers["symptoms"]) == ("no", ["none"])
    assert assess(mini, response).disposition != "emergency"


def test_an_emergency_answer_left_standing_is_confirmed_again(mini: Definition, tmp_path: Path) -> None:
    # go back from the confirmation, then back again to the age and change that: the "yes" still stands, so the
    # confirmation comes again; only changing the answer that raised it moves on
    keys = MINI_START + "5\r47\r" + "y\r" + "b\r" + "b\r" + CLEAR_LINE + "52\r" + "b\r" + "u\r"
    code, printed = intake(mini, tmp_path, keys + DOWN * 3 + SPACE + ENTER + ENTER + SAVE)
    assert code == 0
    assert printed.count("means an emergency") == 2
    answers = saved(mini, tmp_path).answers
    assert (answers["age"], answers["thunderclap"]) == (52, "not_sure")


def test_ctrl_c_at_the_emergency_confirmation_resumes_at_the_confirmation(mini: Definition, tmp_path: Path) -> None:
    assert intake(mini, tmp_path, MINI_START + "5\r47\r" + "y\r" + CTRL_C + "s\r")[0] == 130
    (draft_path,) = tmp_path.glob("draft-*.json")
    assert not list(tmp_path.glob("intake-*"))
    code, printed = intake(mini, tmp_path, CONFIRM, draft=load_draft(draft_path, mini), draft_path=draft_path)
    assert code == 0 and "means an emergency" in printed  # asked before anything else
    assert assess(mini, saved(mini, tmp_path, partial=True)).disposition == "emergency"


COMBINED_QUESTIONNAIRE = """\
id: combined
version: 1.0.0
title: Combined warning signs
language: en-GB
sections:
  - id: signs
    title: Warning signs
    items:
      - {id: fever, kind: yes_no, required: true, patient: Fever?, staff: Have you had a fever?}
      - id: rash
        kind: yes_no
        patient: Rash?
        staff: With the fever, have you had a rash?
        enable_when: {yes: fever}
      - id: stiff_neck
        kind: yes_no
        patient: Stiff neck?
        staff: With the fever, has your neck been stiff?
        enable_when: {yes: fever}
      - {id: numbness, kind: yes_no, patient: Numb?, staff: Has part of your body gone numb?}
      - {id: weakness, kind: yes_no, patient: Weak?, staff: Has an arm or leg gone weak?}
"""
COMBINED_RULES = (
    """\
id: combined_rules
version: 1.0.0
title: Combined rules
questionnaire: {id: combined, version: 1.0.0}
red_flags:
  - id: fever_with_rash_or_stiff_neck
    title: Fever with a rash or a stiff neck
    condition: {all: [{yes: fever}, {any: [{yes: rash}, {yes: stiff_neck}]}]}
    urgency: emergency
    patient_message: Call 999 now.
    staff_message: Advise 999 now.
    source: Fictional test source
  - id: new_weakness_or_numbness
    title: New weakness or numbness
    condition: {any: [{yes: numbness}, {yes: weakness}]}
    urgency: emergency
    patient_message: Call 999 now.
    staff_message: Advise 999 now.
    source: Fictional test source
features:
  - {id: any_fever, title: Fever, condition: {yes: fever}, weight: 1, criterion: Test, source: Fictional test source}
"""
    + RULES_TAIL
)


def test_the_confirmation_names_every_answer_behind_the_emergency_and_only_those(
    make_definition: Callable[..., Definition], tmp_path: Path
) -> None:
    combined = make_definition(COMBINED_QUESTIONNAIRE, COMBINED_RULES)
    # fever and a rash: both are named; back changes the rash (asked afresh), then a stiff neck "no";
    # numbness "no" and weakness "yes": only the weakness is named
    keys = NAME + "y\r" + "y\r" + "b\r" + "n\r" + "n\r" + "n\r" + "y\r" + CONFIRM
    code, printed = intake(combined, tmp_path / "out", keys)
    assert code == 0
    said = " ".join(printed.split())
    fever, rash, stiff, numb, weak = (
        f'"{combined.items[i].staff}"' for i in ("fever", "rash", "stiff_neck", "numbness", "weakness")
    )
    assert f"Yes to {fever} and Yes to {rash} mean an emergency" in said
    assert f"Yes to {weak} means an emergency" in said
    assert numb not in said and stiff not in said  # answered "no": not behind the emergency
    answers = saved(combined, tmp_path / "out", partial=True).answers
    assert answers == {"fever": "yes", "rash": "no", "stiff_neck": "no", "numbness": "no", "weakness": "yes"}


def test_enter_alone_chooses_nothing_and_asks_again(mini: Definition, tmp_path: Path) -> None:
    stray_selects = "\r" + "y\r" + "\r" + "1\r" + "\r" + "y\r"  # yes/no, one of a list, yes/no
    ticks = ENTER + DOWN * 3 + SPACE + ENTER  # ticking nothing is refused, even on an optional question
    thunderclap = "\r" + "y\r" + "\r" + "b\r" + "\r" + "n\r"  # also at the emergency confirmation
    review = "\r" + SAVE
    keys = NAME + stray_selects + "5\r47\r" + thunderclap + ticks + ENTER + review
    code, printed = intake(mini, tmp_path, keys)
    assert code == 0
    assert printed.count(STRAY) == 7
    answers = saved(mini, tmp_path).answers
    assert [answers[i] for i in ("neck_pain", "neck_side", "neck_movement")] == ["yes", "left", "yes"]
    assert (answers["thunderclap"], answers["symptoms"]) == ("no", ["none"])


def test_a_stray_enter_on_the_first_safety_question_answers_nothing(bundled: Definition, tmp_path: Path) -> None:
    code, printed = intake(bundled, tmp_path, NAME + ENTER, pdf=True)
    assert code == 130  # the input ran out with the question still open
    assert STRAY in printed and "means an emergency" not in printed
    assert not list(tmp_path.glob("intake-*"))


def test_optional_questions_are_skipped_by_choosing_skip(mini: Definition, tmp_path: Path) -> None:
    skip = "y\r" + "s\r" + "s\r"  # neck pain, then skip the side and the movement
    symptoms = DOWN * 4 + SPACE + ENTER  # tick Skip
    assert intake(mini, tmp_path, NAME + skip + "5\r47\r" + "n\r" + symptoms + ENTER + SAVE)[0] == 0
    response = saved(mini, tmp_path)
    assert not {"neck_side", "neck_movement", "symptoms"} & set(response.answers)


def test_back_works_at_every_kind_of_prompt(mini: Definition, tmp_path: Path) -> None:
    details = "Ann Example\r" + "<\r" + ENTER + "27/03/1980\r" + "<\r" + ENTER + ENTER + ENTER + ENTER  # DOB, contact
    first_question = "b\r" + ENTER  # from the first question (of the first section) to the GP practice, kept empty
    pain = "y\r1\ry\r5\r47\r"
    next_section = "b\r" + ENTER  # from the first question of "Warning signs" to the age, kept
    warning = "n\r" + DOWN * 3 + SPACE + ENTER + ENTER
    review_back = "b\r" + "Worse at work\r"  # from the review to the last question, the note
    answers_list = "c\r" + "Back to the review" + ENTER  # from the list of answers to change
    changing = "c\r" + "side" + ENTER + "b\r"  # from an answer being changed
    name_changing = "c\r" + "Name:" + ENTER + "<\r"  # from the name being changed (< after the name given)
    stopped = CTRL_C + "b\r"  # from "save a draft?" after Ctrl-C, back to the review
    keys = details + first_question + pain + next_section + warning + review_back + answers_list + changing
    code, printed = intake(mini, tmp_path, keys + name_changing + stopped + SAVE)
    assert code == 0
    assert printed.count("WARNING SIGNS") == 2  # the section heading again after going back into it
    assert printed.count("REVIEW: read the answers back") == 6
    response = saved(mini, tmp_path)
    assert response.patient is not None
    assert (response.patient.name, response.patient.date_of_birth, response.patient.contact) == (
        "Ann Example",
        date(1980, 3, 27),
        None,
    )
    assert response.answers == {
        "neck_pain": "yes",
        "neck_side": "left",
        "neck_movement": "yes",
        "severity": 5,
        "age": 47,
        "thunderclap": "no",
        "symptoms": ["none"],
        "notes": "Worse at work",
    }


@pytest.mark.parametrize(
    ("typed", "born"),
    [("27/03/1980", date(1980, 3, 27)), ("1980-03-27", date(1980, 3, 27)), ("7.3.1980", date(1980, 3, 7))],
)
def test_date_of_birth_is_stored(typed: str, born: date, mini: Definition, tmp_path: Path) -> None:
    keys = "Ann Example\r" + typed + "\r" + "ann@example.org\r" + "\r\r" + "n\r" + MINI_REST + SAVE
    assert intake(mini, tmp_path, keys)[0] == 0
    patient = saved(mini, tmp_path).patient
    assert patient is not None
    assert (patient.date_of_birth, patient.contact) == (born, "ann@example.org")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("31/02/1980", "Enter a real date of birth, for example 27/03/1980"),
        ("next tuesday", "Enter a real date of birth, for example 27/03/1980"),
        ("02/06/2026", "Enter a date of birth in the past"),
        ("01/01/1890", "Enter a date of birth in the past"),
    ],
)
def test_a_wrong_date_of_birth_is_refused_with_the_web_forms_message(
    typed: str, message: str, mini: Definition, tmp_path: Path
) -> None:
    today = date(2026, 6, 1)
    assert birth_problem(typed, today) == message
    assert detail_errors({"name": "A", "date_of_birth": typed}, contact_required=False, today=today) == {
        "date_of_birth": message
    }
    assert birth_problem("27/03/1980", today) == ""
    # through the prompt: refused, then a right one is kept
    keys = "Ann Example\r" + typed + "\r" + CLEAR_LINE + "27/03/1980\r\r\r\r" + "n\r" + MINI_REST + SAVE
    clock = lambda: datetime(2026, 6, 1, 9, 30, tzinfo=UTC)  # noqa: E731
    assert intake(mini, tmp_path, keys, clock=clock)[0] == 0
    patient = saved(mini, tmp_path).patient
    assert patient is not None and patient.date_of_birth == date(1980, 3, 27)


def test_a_red_flag_answered_not_sure_is_kept_for_checking(mini: Definition, tmp_path: Path) -> None:
    code, printed = intake(mini, tmp_path, MINI_START + "5\r47\r" + "u\r" + DOWN * 3 + SPACE + ENTER + ENTER + SAVE)
    assert code == 0  # "not sure" does not stop the questions
    assessment = assess(mini, saved(mini, tmp_path))
    assert assessment.disposition == "urgent_gp"
    assert [flag.id for flag in assessment.to_check] == ["thunderclap_headache"]
    assert mini.items["thunderclap"].staff in printed  # the question to ask again is named


def test_an_emergency_answer_given_at_the_review_stops_too(mini: Definition, tmp_path: Path) -> None:
    change = "c\r" + DOWN * 11 + ENTER + "y\r" + CONFIRM  # answer 6 after the five details: thunderclap
    assert intake(mini, tmp_path, MINI_START + MINI_REST + change)[0] == 0
    assert assess(mini, saved(mini, tmp_path, partial=True)).disposition == "emergency"


def test_ctrl_c_saves_a_draft_that_resume_finishes(mini: Definition, tmp_path: Path) -> None:
    code, printed = intake(mini, tmp_path, MINI_START + "5\r" + CTRL_C + "s\r")
    assert code == 130
    (draft_path,) = tmp_path.glob("draft-*.json")
    assert f"--resume {draft_path}" in printed
    draft = load_draft(draft_path, mini)
    assert draft.name == "Ann Example"
    assert draft.answers == {"neck_pain": "yes", "neck_side": "left", "neck_movement": "yes", "severity": 5}
    assert draft.current == "age"
    assert not list(tmp_path.glob("intake-*"))

    code, _ = intake(
        mini, tmp_path, "47\r" + "n\r" + DOWN * 3 + SPACE + ENTER + ENTER + SAVE, draft=draft, draft_path=draft_path
    )
    assert code == 0
    response = saved(mini, tmp_path)
    assert response.answers["severity"] == 5 and response.answers["age"] == 47
    assert response.patient is not None and response.patient.name == "Ann Example"
    assert not draft_path.exists()  # finished: the draft is gone


def test_ctrl_c_without_a_draft_saves_nothing(mini: Definition, tmp_path: Path) -> None:
    assert intake(mini, tmp_path, MINI_START + CTRL_C + "d\r")[0] == 130
    assert intake(mini, tmp_path, CTRL_C)[0] == 130  # nothing entered yet: nothing to ask about
    assert list(tmp_path.iterdir()) == []


def test_cancel_at_the_review_saves_a_draft_that_resumes_at_the_review(mini: Definition, tmp_path: Path) -> None:
    assert intake(mini, tmp_path, MINI_START + MINI_REST + "x\r")[0] == 130
    (draft_path,) = tmp_path.glob("draft-*.json")
    assert intake(mini, tmp_path, SAVE, draft=load_draft(draft_path, mini), draft_path=draft_path)[0] == 0
    assert saved(mini, tmp_path).answers["symptoms"] == ["none"]


def intake_args(**values: Any) -> argparse.Namespace:
    defaults = {"resume": None, "output": None, "questionnaire": None, "ruleset": None, "clinic": None, "no_pdf": True}
    return argparse.Namespace(**{**defaults, **values})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the draft"),
        ("{not json", "the draft is damaged"),
        ('{"kind": ' + "[" * 100_000 + "]" * 100_000 + "}", "the draft is damaged"),
        ('{"kind": "screening-intake-draft", "kind": "x"}', "the draft is damaged"),
        ("x" * (600 * 1024), "the draft is damaged (the file is larger than the 512 KiB a response may be)"),
        ('{"answers": {}}', "not a draft saved by screening intake"),
        ('{"kind": "screening-intake-draft", "questionnaire": "mini", "version": "1.2.0"}', "not mini"),
        (
            '{"kind": "screening-intake-draft", "questionnaire": "cervicogenic_headache", "version": "2.0.0", '
            '"patient": {"name": "A"}, "answers": {"age": "old"}, "skipped": [], "current": "age"}',
            "item 'age'",
        ),
    ],
)
def test_resume_with_a_broken_draft_is_a_clear_error(
    content: str | None, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    draft = tmp_path / "draft.json"
    if content is not None:
        draft.write_text(content, encoding="utf-8")
    message = message.replace("not mini", "not cervicogenic_headache")
    assert run_intake(intake_args(resume=draft)) == 1
    out, err = capsys.readouterr()
    assert str(draft) in err and message in err
    assert "Traceback" not in err and out == ""


def test_a_mistyped_nhs_number_is_refused_with_the_web_form_message(mini: Definition, tmp_path: Path) -> None:
    from screening.intake.checks import detail_problem

    today = date(2026, 6, 1)
    message = detail_problem("nhs_number", "943 476 5918", today)  # the check digit is wrong
    assert (
        message
        and message
        == detail_errors({"name": "A", "nhs_number": "943 476 5918"}, contact_required=False, today=today)["nhs_number"]
    )
    keys = "Ann Example\r\r\r" + "943 476 5918\r" + CLEAR_LINE + "943 476 5919\r" + "\r" + "n\r" + MINI_REST + SAVE
    assert intake(mini, tmp_path, keys)[0] == 0
    patient = saved(mini, tmp_path).patient
    assert patient is not None and patient.nhs_number == "9434765919" and patient.gp_practice is None
