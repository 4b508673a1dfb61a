"""A response's answers checked against a definition, and a plain ``AnswerSheet`` for responses with nothing wrong.

``check_answers`` is the answer half of ``response.parse_response``: each answer normalised by its item's kind,
answers to questions not shown and missing required answers reported. ``plain_sheet`` is the way in for a
command that only scores one file: when the response's envelope is plainly valid and every answer checks out,
it gives the answers and who answered without building the pydantic ``Response``; anything else (a problem, an
unusual value, a patient block it does not vouch for) returns None, and the caller parses the response in full,
so every message a user sees still comes from ``parse_response``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, NamedTuple, Protocol

from .answers import AnswerProblem, control_character_problem
from .compiled import FALSE, Evaluation, remember
from .definition import Definition
from .error_codes import ErrorCode
from .errors import Problem, ResponseError
from .identifiers import nhs_number_problem
from .limits import (
    EARLIEST_DATE,
    EARLIEST_TIME,
    LATEST_DATE,
    LATEST_TIME,
    MAX_SUGGESTIONS,
    RESPONSE_LIMITS,
    LimitError,
    read_text_bounded,
)
from .yamlio import Path_, YamlSyntaxError, load_with_lines

HiddenPolicy = Literal["error", "drop"]


class AddProblem(Protocol):
    """Hears of one problem: where, about what, what is wrong, how to fix it, and its code."""

    def __call__(self, loc: Path_, subject: str, message: str, fix: str = "", *, code: ErrorCode) -> None: ...


def check_answers(
    raw_answers: Mapping[Any, Any], definition: Definition, add: AddProblem, *, hidden: HiddenPolicy, partial: bool
) -> tuple[dict[str, Any], Evaluation]:
    """The answers normalised, and the generated scorer's evaluation of them; ``add`` hears of every problem."""
    checkers = definition.checkers
    answers: dict[str, Any] = {}
    plain = definition.plain_answers
    unknown = 0
    for item_id, value in raw_answers.items():
        # most answers are exactly one of an item's listed values: accept those without a call
        kind = type(value)
        if (kind is str or kind is int) and value in plain.get(item_id, ()):
            answers[item_id] = value
            continue
        loc = ("answers", item_id)
        if item_id not in definition.position:
            unknown += 1
            suggest = unknown <= MAX_SUGGESTIONS  # a fuzzy match per id: thousands of wrong ids need no more
            close = difflib.get_close_matches(str(item_id), list(definition.position), n=1) if suggest else []
            add(
                loc,
                f"item '{item_id}'",
                "no such item in the questionnaire",
                f"did you mean '{close[0]}'?" if close else "remove it or check the id",
                code=ErrorCode.UNKNOWN_ANSWER_ITEM,
            )
            continue
        checker = checkers[item_id]
        if checker is None:
            message = "this is display text and takes no answer"
            add(loc, f"item '{item_id}'", message, "remove it", code=ErrorCode.DISPLAY_ITEM_ANSWERED)
            continue
        if is_blank(value):
            continue  # an explicit null, blank text or no ticks is the same as no answer
        checked = checker(value)
        if isinstance(checked, AnswerProblem):
            add(loc, f"item '{item_id}'", checked.detail, code=ErrorCode.BAD_ANSWER)
        else:
            answers[item_id] = checked

    evaluation = definition.scorer.evaluate(answers)  # the scorer reuses it: see compiled.remember
    hidden_answers = evaluation.hidden
    if len(hidden_answers) > 1:
        order = list(answers)
        hidden_answers = tuple(sorted(hidden_answers, key=order.index))
    for item_id in hidden_answers:
        if hidden == "drop":
            del answers[item_id]
            continue
        from .conditions import describe  # only to explain a problem

        gate = definition.items[item_id].enable_when
        why = describe(gate) if gate is not None else ""
        shown = evaluation.shown[definition.slot[item_id]]
        state = "is false" if shown == FALSE else "cannot be decided from the other answers"
        add(
            ("answers", item_id),
            f"item '{item_id}'",
            f"answered, but the question was not shown: its condition ({why}) {state}",
            "remove the answer, or pass --ignore-hidden to drop such answers",
            code=ErrorCode.HIDDEN_ANSWERED,
        )
    unanswered = () if partial else evaluation.unanswered
    for item_id in sorted(unanswered, key=definition.position.__getitem__) if len(unanswered) > 1 else unanswered:
        # an invalid answer is reported above; an explicit null counts as missing
        if is_blank(raw_answers.get(item_id)):
            message, fix = "required answer is missing", f"answer '{item_id}'"
            add(("answers",), f"item '{item_id}'", message, fix, code=ErrorCode.REQUIRED_MISSING)
    if hidden == "drop":  # the answers dropped were hidden, so they changed nothing else
        evaluation = evaluation._replace(hidden=())
    return answers, evaluation


def is_blank(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


class AnswerSheet(NamedTuple):
    """A response's checked answers and who gave them: what the scorer reads (see ``scorer.Answers``)."""

    answers: dict[str, Any]
    respondent: Literal["patient", "staff"]


_ENVELOPE = frozenset(("questionnaire", "version", "respondent", "patient", "collected_at", "answers"))
_PATIENT = frozenset(("name", "date_of_birth", "contact", "nhs_number", "gp_practice", "email"))
_SEMVER = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def plain_sheet(data: Any, definition: Definition, *, hidden: HiddenPolicy = "error") -> AnswerSheet | None:
    """The checked answers of a response with nothing wrong in it, or None: then ``parse_response`` must read it.

    Accepts only what ``parse_response`` accepts too, and gives the same answers.
    """
    if type(data) is not dict or not data.keys() <= _ENVELOPE:
        return None
    provenance = definition.provenance
    version, respondent = data.get("version"), data.get("respondent", "patient")
    if (
        type(data.get("questionnaire")) is not str
        or data["questionnaire"] != provenance.questionnaire_id
        or type(version) is not str
        or not _SEMVER.fullmatch(version)
        or version.split(".")[0] != provenance.questionnaire_version.split(".")[0]
        or type(respondent) is not str
        or respondent not in ("patient", "staff")
        or not _plain_moment(data.get("collected_at"))
        or not _plain_patient(data.get("patient"))
    ):
        return None
    raw_answers = data.get("answers", {})
    if type(raw_answers) is not dict:
        return None
    problems: list[ErrorCode] = []

    def add(loc: Path_, subject: str, message: str, fix: str = "", *, code: ErrorCode) -> None:
        problems.append(code)

    answers, evaluation = check_answers(raw_answers, definition, add, hidden=hidden, partial=False)
    if problems:
        return None
    remember(definition.scorer, answers, evaluation)
    return AnswerSheet(answers, "staff" if respondent == "staff" else "patient")


def _plain_moment(value: Any) -> bool:
    """A collection time with its zone, within the years a response can have."""
    if type(value) is str and _MOMENT.fullmatch(value):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return False
    if type(value) is not datetime or value.utcoffset() is None:
        return False
    return EARLIEST_TIME <= value <= LATEST_TIME


def _plain_patient(value: Any) -> bool:
    """No patient block, or one whose every field is plainly valid."""
    if value is None:
        return True
    if type(value) is not dict or not value.keys() <= _PATIENT:
        return False
    for key, field in value.items():
        if field is None:
            continue
        if key == "date_of_birth":
            if type(field) is str and _DAY.fullmatch(field):
                try:
                    field = date.fromisoformat(field)
                except ValueError:
                    return False
            if type(field) is not date or not EARLIEST_DATE <= field <= LATEST_DATE:
                return False
        elif type(field) is not str or len(field) > (20 if key == "nhs_number" else 200):
            return False
        elif key == "nhs_number" and nhs_number_problem(field):
            return False
        elif key != "nhs_number" and control_character_problem(field):
            return False
    return True


def read_response_file(path: Path) -> tuple[Any, dict[Path_, int]]:
    """Read a response from YAML or JSON, keeping line numbers for error messages.

    Files over the response limits (size, nesting, values, aliases, long numbers) are refused before parsing.
    """
    name = str(path)
    try:
        text = read_text_bounded(path, RESPONSE_LIMITS)
        return load_with_lines(text, RESPONSE_LIMITS)
    except OSError as exc:
        message, fix = f"cannot read the file ({exc.strerror})", "check the path"
        raise ResponseError([Problem(name, None, "", message, fix, code=ErrorCode.FILE_UNREADABLE)]) from exc
    except UnicodeDecodeError as exc:
        message, fix = "the file is not UTF-8 text", "save it as UTF-8"
        raise ResponseError([Problem(name, None, "", message, fix, code=ErrorCode.NOT_UTF8)]) from exc
    except LimitError as exc:
        raise ResponseError([exc.problem(name)]) from exc
    except YamlSyntaxError as exc:
        message, fix = f"not valid YAML or JSON: {exc}", "fix the syntax"
        raise ResponseError([Problem(name, exc.line, "", message, fix, code=ErrorCode.YAML_SYNTAX)]) from exc
