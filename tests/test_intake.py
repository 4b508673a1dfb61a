"""The terminal intake, driven through its real prompts with piped key presses; checked by the files it saves."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from screening.definition import Definition
from screening.intake import Terminal, conduct_intake, load_draft, run_intake
from screening.model import IntegerItem, MultiChoiceItem, ScaleItem, SingleChoiceItem, TextItem, YesNoItem
from screening.response import Response, parse_response, read_response_file
from screening.scorer import assess

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
        elif isinstance(item, MultiChoiceItem):
            keys.append("".join((SPACE if o.code in (value or []) else "") + DOWN for o in item.options))
        elif isinstance(item, IntegerItem | ScaleItem | TextItem):
            keys.append("" if value is None else str(value))
        keys[-1] += ENTER
    return "".join(keys)


# the mini questionnaire (tests/conftest.py), answered for a typical neck-related headache
NAME = "Ann Example\r\r"  # a name, and no contact details
MINI_START = NAME + "y\r" + "1\r" + "y\r"  # pain starts in the neck, on the left, brought on by movement
MINI_REST = "5\r" + "47\r" + "n\r" + DOWN * 3 + SPACE + ENTER + ENTER  # severity, age, no thunderclap, none, no note
SAVE = "s\r"


@pytest.fixture
def physio(bundled: Definition) -> Response:
    data, _ = read_response_file(EXAMPLES / "physio_cervicogenic.yaml")
    return parse_response(data, bundled)


def test_a_complete_intake_saves_the_response_and_the_pdf(
    bundled: Definition, physio: Response, tmp_path: Path
) -> None:
    details = "Testy McTestface\r01632 960123\r"
    code, printed = intake(bundled, tmp_path, details + keys_for(bundled, physio.answers) + SAVE, pdf=True)
    assert code == 0
    response = saved(bundled, tmp_path)
    assert response.answers == physio.answers
    assert response.respondent == "staff"
    assert response.patient is not None
    assert (response.patient.name, response.patient.contact) == ("Testy McTestface", "01632 960123")
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
    name = "\r" + "Ann Example\r\r"  # the name is required
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
    back_from_ticks = DOWN * 4 + SPACE + ENTER + "u\r"  # tick "← Back": thunderclap again, now "not sure"
    symptoms = DOWN * 3 + SPACE + ENTER + ENTER
    keys = NAME + back_from_select + back_from_text + "47\r" + "n\r" + back_from_ticks + symptoms + SAVE
    assert intake(mini, tmp_path, keys)[0] == 0
    answers = saved(mini, tmp_path).answers
    assert [answers[i] for i in ("neck_side", "neck_movement", "severity", "age")] == ["right", "yes", 7, 47]
    assert (answers["thunderclap"], answers["symptoms"]) == ("not_sure", ["none"])


def test_changing_an_answer_at_the_review_drops_questions_it_hides(mini: Definition, tmp_path: Path) -> None:
    # review: change answer 1 (the list starts with name and contact) to "no"; its follow-ups go away
    change = "c\r" + DOWN * 2 + ENTER + "n\r"
    assert intake(mini, tmp_path, MINI_START + MINI_REST + change + SAVE)[0] == 0
    response = saved(mini, tmp_path)
    assert response.answers["neck_pain"] == "no"
    assert "neck_side" not in response.answers and "neck_movement" not in response.answers
    # and back to "yes": the follow-ups are asked again before the review
    again = change + "c\r" + DOWN * 2 + ENTER + "y\r" + "3\r" + "n\r"
    assert intake(mini, tmp_path / "again", MINI_START + MINI_REST + again + SAVE)[0] == 0
    answers = saved(mini, tmp_path / "again").answers
    assert (answers["neck_side"], answers["neck_movement"]) == ("both", "no")


def test_an_emergency_answer_stops_the_questions(mini: Definition, tmp_path: Path) -> None:
    code, printed = intake(mini, tmp_path, MINI_START + "5\r47\r" + "y\r", pdf=True)  # thunderclap: yes
    assert code == 0
    response = saved(mini, tmp_path, partial=True)
    assert "symptoms" not in response.answers and response.answers["thunderclap"] == "yes"
    assessment = assess(mini, response)
    assert assessment.disposition == "emergency"
    assert [flag.id for flag in assessment.red_flags] == ["thunderclap_headache"]
    assert mini.ruleset.disposition.texts["emergency"].staff in printed
    assert len(list(tmp_path.glob("intake-*.pdf"))) == 1


def test_a_red_flag_answered_not_sure_is_kept_for_checking(mini: Definition, tmp_path: Path) -> None:
    code, printed = intake(mini, tmp_path, MINI_START + "5\r47\r" + "u\r" + DOWN * 3 + SPACE + ENTER + ENTER + SAVE)
    assert code == 0  # "not sure" does not stop the questions
    assessment = assess(mini, saved(mini, tmp_path))
    assert assessment.disposition == "urgent_gp"
    assert [flag.id for flag in assessment.to_check] == ["thunderclap_headache"]
    assert mini.items["thunderclap"].staff in printed  # the question to ask again is named


def test_an_emergency_answer_given_at_the_review_stops_too(mini: Definition, tmp_path: Path) -> None:
    change = "c\r" + DOWN * 7 + ENTER + "y\r"  # answer 6: thunderclap
    assert intake(mini, tmp_path, MINI_START + MINI_REST + change)[0] == 0
    assert assess(mini, saved(mini, tmp_path, partial=True)).disposition == "emergency"


def test_ctrl_c_saves_a_draft_that_resume_finishes(mini: Definition, tmp_path: Path) -> None:
    code, printed = intake(mini, tmp_path, MINI_START + "5\r" + CTRL_C + "y")
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
    assert intake(mini, tmp_path, MINI_START + CTRL_C + "n")[0] == 130
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
