"""Check and normalise one answer according to its item's kind: the one checker behind response files, the web
forms and the terminal intake, with words for the person answering and for the author of a file.

A checker is built from an ``AnswerSpec``, plain data worked out from the item once (``answer_spec``), so a
stored definition checks answers without building the definition format's pydantic models.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .model import Item

Answer = str | int | list[str]
AnswerKind = Literal["yes_no", "single_choice", "multi_choice", "integer", "scale", "text", "display"]

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


@dataclass(frozen=True, slots=True)
class AnswerSpec:
    """What an item accepts as an answer, worked out from its definition once (see ``answer_spec``)."""

    kind: AnswerKind
    codes: tuple[str, ...] = ()  # the accepted words: yes/no (/not_sure), or the option codes in order
    exclusive: tuple[tuple[str, str], ...] = ()  # (code, label) of options that cannot be ticked with another
    min: int = 0
    max: int = 0
    unit: str = ""  # an integer's unit; empty for a scale
    max_length: int = 0


def answer_spec(item: Item) -> AnswerSpec:
    """What the item accepts as an answer."""
    from .model import IntegerItem, MultiChoiceItem, ScaleItem, SingleChoiceItem, TextItem, YesNoItem

    if isinstance(item, YesNoItem):
        return AnswerSpec("yes_no", tuple(item.codes))
    if isinstance(item, SingleChoiceItem):
        return AnswerSpec("single_choice", tuple(item.codes))
    if isinstance(item, MultiChoiceItem):
        exclusive = tuple((o.code, o.label) for o in item.options if o.exclusive)
        return AnswerSpec("multi_choice", tuple(item.codes), exclusive)
    if isinstance(item, IntegerItem):
        return AnswerSpec("integer", min=item.min, max=item.max, unit=item.unit)
    if isinstance(item, ScaleItem):
        return AnswerSpec("scale", min=item.min, max=item.max)
    if isinstance(item, TextItem):
        return AnswerSpec("text", max_length=item.max_length)
    return AnswerSpec("display")


def control_character_problem(text: str) -> str:
    """A message if the text holds control characters, else an empty string."""
    found = CONTROL_CHARACTERS.search(text)
    return f"contains a control character (U+{ord(found.group()):04X}); remove it" if found else ""


CHOOSE_SHOWN = "Choose one of the answers shown"


def _check_yes_no(spec: AnswerSpec) -> Checker:
    allowed = spec.codes

    def check(value: Any) -> Answer | AnswerProblem:
        if value is True:
            return "yes"
        if value is False:
            return "no"
        if value in allowed:
            return str(value)
        return AnswerProblem(CHOOSE_SHOWN, f"answer {value!r} is not one of {', '.join(allowed)}")

    return check


def _check_single(spec: AnswerSpec) -> Checker:
    codes = spec.codes

    def check(value: Any) -> Answer | AnswerProblem:
        if isinstance(value, str) and value in codes:
            return value
        return AnswerProblem(CHOOSE_SHOWN, f"answer {value!r} is not one of {', '.join(codes)}")

    return check


def _check_multi(spec: AnswerSpec) -> Checker:
    codes = spec.codes
    exclusive = dict(spec.exclusive)

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


def _number_message(spec: AnswerSpec) -> str:
    unit = f" ({spec.unit})" if spec.kind == "integer" else ""
    return f"Enter a whole number from {spec.min} to {spec.max}{unit}"


def _check_number(spec: AnswerSpec) -> Checker:
    low, high = spec.min, spec.max
    unit = f" {spec.unit}" if spec.kind == "integer" else ""
    message = _number_message(spec)

    def check(value: Any) -> Answer | AnswerProblem:
        if isinstance(value, bool) or not isinstance(value, int):
            detail = f"answer {value!r} must be a whole number from {low} to {high}{unit}"
            return AnswerProblem(message, detail)
        if not low <= value <= high:
            return AnswerProblem(message, f"answer {value} is outside {low}–{high}{unit}")
        return value

    return check


def _check_text(spec: AnswerSpec) -> Checker:
    max_length = spec.max_length

    def check(value: Any) -> Answer | AnswerProblem:
        if not isinstance(value, str):
            return AnswerProblem("Enter the answer as text", f"answer {value!r} must be text")
        if len(value) > max_length:
            return AnswerProblem(
                f"Keep this answer to {max_length} characters or fewer (it has {len(value)})",
                f"answer is {len(value)} characters long; at most {max_length} are allowed",
            )
        if problem := control_character_problem(value):
            return AnswerProblem("Remove the special characters that cannot be stored", problem)
        return value

    return check


_CHECKERS: dict[str, Callable[[AnswerSpec], Checker]] = {
    "yes_no": _check_yes_no,
    "single_choice": _check_single,
    "multi_choice": _check_multi,
    "integer": _check_number,
    "scale": _check_number,
    "text": _check_text,
}


def checker_for(spec: AnswerSpec) -> Checker | None:
    """A function that returns one answer normalised, or the problem with it (None for display items)."""
    make = _CHECKERS.get(spec.kind)
    return make(spec) if make is not None else None


def answer_checker(item: Item) -> Checker | None:
    """The item's checker (``Definition.checkers`` holds one for each item already)."""
    return checker_for(answer_spec(item))


def typed_answer(
    item: Item, typed: Sequence[str], check: Checker | None = None, spec: AnswerSpec | None = None
) -> Answer | AnswerProblem:
    """An answer as typed or ticked in a web form or at the terminal (each value already trimmed), checked.

    ``check`` and ``spec`` are the item's checker and answer spec when the caller holds them already
    (``Definition.checkers`` and ``Definition.answer_specs``: working them out again costs more than the check).
    """
    spec = spec or answer_spec(item)
    check = check or checker_for(spec)
    if check is None:
        return AnswerProblem("This is not a question", f"item '{item.id}' is display text and takes no answer")
    if spec.kind == "multi_choice":
        return check(list(typed))
    if not typed:
        return AnswerProblem("Enter an answer", "no answer given")
    if len(typed) > 1:
        return AnswerProblem("Choose only one answer", f"{len(typed)} answers given where one is asked for")
    text = typed[0]
    if spec.kind in ("integer", "scale"):
        if not WHOLE_NUMBER.match(text):
            return AnswerProblem(_number_message(spec), f"answer {text!r} is not a whole number")
        return check(int(text))
    return check(text)
