"""Generate valid answers from a questionnaire itself, following ``enable_when`` exactly.

The choices come from a ``Chooser``: ``random.Random`` for benchmarks and demos, or a hypothesis
``draw`` wrapper in the tests, so both exercise the same generator.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from .conditions import NOT_APPLICABLE, UNKNOWN
from .definition import Definition
from .model import DisplayItem, IntegerItem, MultiChoiceItem, ScaleItem, SingleChoiceItem, TextItem, YesNoItem

T = TypeVar("T")


class Chooser(Protocol):
    def choice(self, options: Sequence[T]) -> T: ...

    def integer(self, low: int, high: int) -> int: ...

    def text(self, max_length: int) -> str: ...


class RandomChooser:
    """A Chooser backed by ``random.Random`` (seeded for repeatable runs).

    With ``calm`` above 0, yes/no questions are answered "no" that often, which gives the mix a
    clinic mostly sees (few warning signs) instead of answers spread evenly over every option.
    """

    def __init__(self, seed: int = 0, *, calm: float = 0.0) -> None:
        self.rng = random.Random(seed)
        self.calm = calm

    def choice(self, options: Sequence[T]) -> T:
        if self.calm and "no" in options and self.rng.random() < self.calm:
            return options[list(options).index("no")]  # type: ignore[arg-type]
        return self.rng.choice(options)

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def text(self, max_length: int) -> str:
        return "Fictional note " * self.rng.randint(0, max(0, max_length // 15))


def sample_answer(item: Any, chooser: Chooser) -> Any:
    """One valid answer for an item."""
    if isinstance(item, YesNoItem | SingleChoiceItem):
        return chooser.choice(item.codes)
    if isinstance(item, MultiChoiceItem):
        chosen = [o for o in item.options if chooser.choice([False, True])]
        if any(o.exclusive for o in chosen) and len(chosen) > 1:
            chosen = [chooser.choice(chosen)]
        if not chosen:
            chosen = [chooser.choice(item.options)]
        return [o.code for o in chosen]
    if isinstance(item, IntegerItem | ScaleItem):
        return chooser.integer(item.min, item.max)
    if isinstance(item, TextItem):
        return chooser.text(item.max_length)[: item.max_length]
    raise TypeError(f"item {item.id!r} takes no answer")  # pragma: no cover


def sample_answers(definition: Definition, chooser: Chooser, *, skip_optional: bool = True) -> dict[str, Any]:
    """Answers for every question that is shown; optional ones may be left out."""
    answers: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for item_id, enable in definition.order:
        item = definition.items[item_id]
        shown = True if enable is None else enable(values, {})
        if shown is not True:
            values[item_id] = NOT_APPLICABLE if shown is False else UNKNOWN
            continue
        if isinstance(item, DisplayItem) or (skip_optional and not item.required and chooser.choice([True, False])):
            values[item_id] = UNKNOWN
            continue
        answer = sample_answer(item, chooser)
        answers[item_id] = answer
        values[item_id] = frozenset(answer) if isinstance(answer, list) else answer
    return answers


def sample_response(definition: Definition, chooser: Chooser, *, respondent: str = "patient") -> dict[str, Any]:
    """A whole response document (fictional, undated patient) ready for ``parse_response``."""
    q = definition.questionnaire
    return {
        "questionnaire": q.id,
        "version": q.version,
        "respondent": respondent,
        "collected_at": "2026-01-01T09:00:00+00:00",
        "answers": sample_answers(definition, chooser),
    }
