"""Hypothesis strategies, generated from the definition itself (hand-written ``@st.composite``, not st.builds)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any, TypeVar

from hypothesis import strategies as st

from screening.definition import Definition
from screening.sampling import sample_answers

T = TypeVar("T")
Draw = Any  # hypothesis' draw(strategy, label=...)

FICTIONAL_NAMES = ("Testy McTestface", "Ada Example", "Joe Bloggs-Fictional", "Erika Mustermann (test)")


class HypothesisChooser:
    """The ``screening.sampling.Chooser`` protocol on top of hypothesis' ``draw``, so examples shrink.

    A *calm* chooser mostly answers "no", ticks nothing and skips nothing, with an occasional free choice:
    uniform answers to a long questionnaire nearly always raise some red flag, which would leave the
    interesting region (no red flag raised, some undecided) almost unexplored.
    """

    def __init__(self, draw: Draw, *, calm: bool = False) -> None:
        self.draw = draw
        self.calm = calm

    def choice(self, options: Sequence[T]) -> T:
        options = list(options)
        if self.calm and self.draw(st.integers(min_value=0, max_value=7)) != 0:
            quiet = "no" if "no" in options else False if False in options else None
            if quiet is not None:
                return quiet  # type: ignore[return-value]
        return self.draw(st.sampled_from(options))

    def integer(self, low: int, high: int) -> int:
        return self.draw(st.integers(min_value=low, max_value=high))

    def text(self, max_length: int) -> str:
        # any text a person can type: every script, emoji, tabs and newlines; no other control characters
        printable = st.characters(blacklist_categories=("Cc", "Cs"), whitelist_characters="\t\n")
        return self.draw(st.text(printable, max_size=max_length))


@st.composite
def answers(draw: Draw, definition: Definition) -> dict[str, Any]:
    """Valid answers: every shown question answered or (if optional) left out; hidden ones never answered.

    Half the examples come from a calm chooser (see HypothesisChooser), half from a uniform one.
    """
    return sample_answers(definition, HypothesisChooser(draw, calm=draw(st.booleans(), label="calm")))


@st.composite
def patients(draw: Draw) -> dict[str, Any]:
    """An optional-field patient block with obviously fictional details."""
    patient: dict[str, Any] = {}
    if draw(st.booleans()):
        patient["name"] = draw(st.sampled_from(FICTIONAL_NAMES))
    if draw(st.booleans()):
        patient["date_of_birth"] = draw(st.dates(min_value=date(1910, 1, 1), max_value=date(2010, 12, 31))).isoformat()
    if draw(st.booleans()):
        patient["contact"] = draw(st.sampled_from(["01632 960000", "test@example.invalid", "Ward 0 (fictional)"]))
    return patient


@st.composite
def collected_at(draw: Draw) -> str:
    """An ISO 8601 timestamp with a time zone offset."""
    moment = draw(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31)))
    offset = draw(st.sampled_from([0, 60, -300, 330]))
    return moment.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=offset))).isoformat()


@st.composite
def responses(draw: Draw, definition: Definition) -> dict[str, Any]:
    """A whole valid response document (plain JSON-like data) for ``parse_response``."""
    q = definition.questionnaire
    doc: dict[str, Any] = {
        "questionnaire": q.id,
        "version": q.version,
        "collected_at": draw(collected_at()),
        "answers": draw(answers(definition)),
    }
    if draw(st.booleans()):
        doc["respondent"] = draw(st.sampled_from(["patient", "staff"]))
    if draw(st.booleans()):
        doc["patient"] = draw(patients())
    return doc
