"""Check and normalise one answer according to its item's kind."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .model import (
    NOT_SURE,
    IntegerItem,
    Item,
    MultiChoiceItem,
    ScaleItem,
    SingleChoiceItem,
    TextItem,
    YesNoItem,
)

Checker = Callable[[Any], tuple[Any, str]]

# Control characters other than tab and newline have no place in an answer and break XML and PDF metadata.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def control_character_problem(text: str) -> str:
    """A message if the text holds control characters, else an empty string."""
    found = CONTROL_CHARACTERS.search(text)
    return f"contains a control character (U+{ord(found.group()):04X}); remove it" if found else ""


def _check_yes_no(item: YesNoItem) -> Checker:
    allowed = ("yes", "no", NOT_SURE) if item.allow_not_sure else ("yes", "no")

    def check(value: Any) -> tuple[Any, str]:
        if value is True:
            return "yes", ""
        if value is False:
            return "no", ""
        if value in allowed:
            return value, ""
        return None, f"answer {value!r} is not one of {', '.join(allowed)}"

    return check


def _check_single(item: SingleChoiceItem) -> Checker:
    codes = [o.code for o in item.options]

    def check(value: Any) -> tuple[Any, str]:
        if isinstance(value, str) and value in codes:
            return value, ""
        return None, f"answer {value!r} is not one of {', '.join(codes)}"

    return check


def _check_multi(item: MultiChoiceItem) -> Checker:
    codes = [o.code for o in item.options]
    exclusive = {o.code for o in item.options if o.exclusive}

    def check(value: Any) -> tuple[Any, str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None, f"answer {value!r} must be a list of option codes ({', '.join(codes)})"
        unknown = [v for v in value if v not in codes]
        if unknown:
            return None, f"{', '.join(map(repr, unknown))} not among the options {', '.join(codes)}"
        chosen = set(value)
        if len(chosen) != len(value):
            return None, "an option is listed more than once"
        if len(chosen) > 1 and chosen & exclusive:
            return None, f"'{sorted(chosen & exclusive)[0]}' cannot be ticked together with other options"
        return [c for c in codes if c in chosen], ""

    return check


def _check_number(item: IntegerItem | ScaleItem) -> Checker:
    unit = f" {item.unit}" if isinstance(item, IntegerItem) else ""

    def check(value: Any) -> tuple[Any, str]:
        if isinstance(value, bool) or not isinstance(value, int):
            return None, f"answer {value!r} must be a whole number from {item.min} to {item.max}{unit}"
        if not item.min <= value <= item.max:
            return None, f"answer {value} is outside {item.min}–{item.max}{unit}"
        return value, ""

    return check


def _check_text(item: TextItem) -> Checker:
    def check(value: Any) -> tuple[Any, str]:
        if not isinstance(value, str):
            return None, f"answer {value!r} must be text"
        if len(value) > item.max_length:
            return None, f"answer is {len(value)} characters long; at most {item.max_length} are allowed"
        return (None, problem) if (problem := control_character_problem(value)) else (value, "")

    return check


def answer_checker(item: Item) -> Checker | None:
    """A function that normalises one answer or says what is wrong with it (None for display items)."""
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
