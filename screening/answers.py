"""Check and normalise one answer according to its item's kind, described by a plain ``AnswerSpec``."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

AnswerKind = Literal["yes_no", "single_choice", "multi_choice", "integer", "scale", "text", "display"]

Checker = Callable[[Any], tuple[Any, str]]

# Control characters other than tab and newline have no place in an answer and break XML and PDF metadata.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def control_character_problem(text: str) -> str:
    """A message if the text holds control characters, else an empty string."""
    found = CONTROL_CHARACTERS.search(text)
    return f"contains a control character (U+{ord(found.group()):04X}); remove it" if found else ""


@dataclass(frozen=True, slots=True)
class AnswerSpec:
    """What an item accepts as an answer, worked out from its definition once (see ``compiler.answer_spec``)."""

    kind: AnswerKind
    codes: tuple[str, ...] = ()  # the accepted words: yes/no (/not_sure), or the option codes in order
    exclusive: frozenset[str] = frozenset()  # options that cannot be ticked together with another
    min: int = 0
    max: int = 0
    unit: str = ""  # written after a number's range, with its leading space; empty for a scale
    max_length: int = 0


def _check_yes_no(spec: AnswerSpec) -> Checker:
    allowed = spec.codes

    def check(value: Any) -> tuple[Any, str]:
        if value is True:
            return "yes", ""
        if value is False:
            return "no", ""
        if value in allowed:
            return value, ""
        return None, f"answer {value!r} is not one of {', '.join(allowed)}"

    return check


def _check_single(spec: AnswerSpec) -> Checker:
    codes = list(spec.codes)

    def check(value: Any) -> tuple[Any, str]:
        if isinstance(value, str) and value in codes:
            return value, ""
        return None, f"answer {value!r} is not one of {', '.join(codes)}"

    return check


def _check_multi(spec: AnswerSpec) -> Checker:
    codes = list(spec.codes)
    exclusive = spec.exclusive

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


def _check_number(spec: AnswerSpec) -> Checker:
    low, high, unit = spec.min, spec.max, spec.unit

    def check(value: Any) -> tuple[Any, str]:
        if isinstance(value, bool) or not isinstance(value, int):
            return None, f"answer {value!r} must be a whole number from {low} to {high}{unit}"
        if not low <= value <= high:
            return None, f"answer {value} is outside {low}–{high}{unit}"
        return value, ""

    return check


def _check_text(spec: AnswerSpec) -> Checker:
    max_length = spec.max_length

    def check(value: Any) -> tuple[Any, str]:
        if not isinstance(value, str):
            return None, f"answer {value!r} must be text"
        if len(value) > max_length:
            return None, f"answer is {len(value)} characters long; at most {max_length} are allowed"
        return (None, problem) if (problem := control_character_problem(value)) else (value, "")

    return check


_CHECKERS: dict[str, Callable[[AnswerSpec], Checker]] = {
    "yes_no": _check_yes_no,
    "single_choice": _check_single,
    "multi_choice": _check_multi,
    "integer": _check_number,
    "scale": _check_number,
    "text": _check_text,
}


def answer_checker(spec: AnswerSpec) -> Checker | None:
    """A function that normalises one answer or says what is wrong with it (None for display items)."""
    make = _CHECKERS.get(spec.kind)
    return make(spec) if make is not None else None
