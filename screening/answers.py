"""Check and normalise one answer according to its item's kind: the one checker behind response files, the web
forms and the terminal intake, with words for the person answering and for the author of a file."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .model import (
    IntegerItem,
    Item,
    MultiChoiceItem,
    ScaleItem,
    SingleChoiceItem,
    TextItem,
    YesNoItem,
)

Answer = str | int | list[str]

# Control characters other than tab and newline have no place in an answer and break XML and PDF metadata.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
WHOLE_NUMBER = re.compile(r"^[+-]?\d{1,9}$")  # a number as typed in a form or at the terminal


@dataclass(frozen=True, slots=True)
class AnswerProblem:
    """Why an answer cannot stand: ``message`` tells the person answering what to do, ``detail`` tells the author
    of a response file what was wrong with the value written."""

    message: str
    detail: str


Checker = Callable[[Any], "Answer | AnswerProblem"]


def control_character_problem(text: str) -> str:
    """A message if the text holds control characters, else an empty string."""
    found = CONTROL_CHARACTERS.search(text)
    return f"contains a control character (U+{ord(found.group()):04X}); remove it" if found else ""


CHOOSE_SHOWN = "Choose one of the answers shown"


def _check_yes_no(item: YesNoItem) -> Checker:
    allowed = item.codes

    def check(value: Any) -> Answer | AnswerProblem:
        if value is True:
            return "yes"
        if value is False:
            return "no"
        if value in allowed:
            return str(value)
        return AnswerProblem(CHOOSE_SHOWN, f"answer {value!r} is not one of {', '.join(allowed)}")

    return check


def _check_single(item: SingleChoiceItem) -> Checker:
    codes = item.codes

    def check(value: Any) -> Answer | AnswerProblem:
        if isinstance(value, str) and value in codes:
            return value
        return AnswerProblem(CHOOSE_SHOWN, f"answer {value!r} is not one of {', '.join(codes)}")

    return check


def _check_multi(item: MultiChoiceItem) -> Checker:
    codes = item.codes
    exclusive = {o.code: o.label for o in item.options if o.exclusive}

    def check(value: Any) -> Answer | AnswerProblem:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return AnswerProblem(CHOOSE_SHOWN, f"answer {value!r} must be a list of option codes ({', '.join(codes)})")
        unknown = [v for v in value if v not in codes]
        if unknown:
            detail = f"{', '.join(map(repr, unknown))} not among the options {', '.join(codes)}"
            return AnswerProblem(CHOOSE_SHOWN, detail)
        chosen = set(value)
        if len(chosen) != len(value):
            return AnswerProblem(CHOOSE_SHOWN, "an option is listed more than once")
        alone = sorted(chosen & exclusive.keys())
        if len(chosen) > 1 and alone:
            return AnswerProblem(
                f"'{exclusive[alone[0]]}' cannot be ticked together with other options",
                f"'{alone[0]}' cannot be ticked together with other options",
            )
        return [c for c in codes if c in chosen]

    return check


def _number_message(item: IntegerItem | ScaleItem) -> str:
    unit = f" ({item.unit})" if isinstance(item, IntegerItem) else ""
    return f"Enter a whole number from {item.min} to {item.max}{unit}"


def _check_number(item: IntegerItem | ScaleItem) -> Checker:
    unit = f" {item.unit}" if isinstance(item, IntegerItem) else ""
    message = _number_message(item)

    def check(value: Any) -> Answer | AnswerProblem:
        if isinstance(value, bool) or not isinstance(value, int):
            detail = f"answer {value!r} must be a whole number from {item.min} to {item.max}{unit}"
            return AnswerProblem(message, detail)
        if not item.min <= value <= item.max:
            return AnswerProblem(message, f"answer {value} is outside {item.min}–{item.max}{unit}")
        return value

    return check


def _check_text(item: TextItem) -> Checker:
    def check(value: Any) -> Answer | AnswerProblem:
        if not isinstance(value, str):
            return AnswerProblem("Enter the answer as text", f"answer {value!r} must be text")
        if len(value) > item.max_length:
            return AnswerProblem(
                f"Keep this answer to {item.max_length} characters or fewer (it has {len(value)})",
                f"answer is {len(value)} characters long; at most {item.max_length} are allowed",
            )
        if problem := control_character_problem(value):
            return AnswerProblem("Remove the special characters that cannot be stored", problem)
        return value

    return check


def answer_checker(item: Item) -> Checker | None:
    """A function that returns one answer normalised, or the problem with it (None for display items)."""
    if isinstance(item, YesNoItem):
        return _check_yes_no(item)
    if isinstance(item, SingleChoiceItem):
        return _check_single(item)
    if isinstance(item, MultiChoiceItem):
        return _check_multi(item)
    if isinstance(item, IntegerItem | ScaleItem):
        return _check_number(item)
    if isinstance(item, TextItem):
        return _check_text(item)
    return None


def typed_answer(item: Item, typed: Sequence[str], check: Checker | None = None) -> Answer | AnswerProblem:
    """An answer as typed or ticked in a web form or at the terminal (each value already trimmed), checked.

    ``check`` is the item's checker when the caller holds it already (``Definition.checkers``).
    """
    check = check or answer_checker(item)
    if check is None:
        return AnswerProblem("This is not a question", f"item '{item.id}' is display text and takes no answer")
    if isinstance(item, MultiChoiceItem):
        return check(list(typed))
    if not typed:
        return AnswerProblem("Enter an answer", "no answer given")
    if len(typed) > 1:
        return AnswerProblem("Choose only one answer", f"{len(typed)} answers given where one is asked for")
    text = typed[0]
    if isinstance(item, IntegerItem | ScaleItem):
        if not WHOLE_NUMBER.match(text):
            return AnswerProblem(_number_message(item), f"answer {text!r} is not a whole number")
        return check(int(text))
    return check(text)
