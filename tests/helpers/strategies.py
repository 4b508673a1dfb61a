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
        chosen: T = self.draw(st.sampled_from(options))
        return chosen

    def integer(self, low: int, high: int) -> int:
        value: int = self.draw(st.integers(min_value=low, max_value=high))
        return value

    def text(self, max_length: int) -> str:
        # any text a person can type: every script, emoji, tabs and newlines; no other control characters
        printable = st.characters(blacklist_categories=("Cc", "Cs"), whitelist_characters="\t\n")
        typed: str = self.draw(st.text(printable, max_size=max_length))
        return typed


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
    moment: datetime = draw(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31)))
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


# ---------------------------------------------------------------------------------------------
# malformed files: mutations of a real document, for the "never a traceback" tests

ODD_VALUES = (
    # times and dates a calendar or a time zone cannot hold
    "2026-03-01T10:30:00",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:00:00-05:00",
    "0000-01-01",
    "2026-02-30T10:00:00Z",
    "10000-01-01T00:00:00Z",
    "2026-03-01",
    "99999999999999",
    "-1e400",
    # numbers Python will not turn into text, or that are no numbers at all
    "9" * 4301,
    "-" + "1" * 200,
    "0x" + "f" * 300,
    "1e99999",
    ".nan",
    ".inf",
    "1_000",
    "190:20:30",
    # wrong types and odd YAML
    "[]",
    "{}",
    "[[[]]]",
    "3.5",
    "true",
    "null",
    "''",
    "'" + "x" * 5000 + "'",
    "!!binary aGVsbG8=",
    "!!set {a: 1}",
    "!!timestamp soon",
    "!custom 1",
    "*nowhere",
    "&r [*r]",
    "{<<: {a: 1}}",
    '"\\u0000\\u202e"',
    "- x",
    "? [a]\n  : b",
)


def alias_bomb_lines(levels: int) -> str:
    """Top-level keys, each naming the one before nine times: 9**(levels + 1) values once expanded."""
    lines = ["bomb0: &bomb0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"bomb{k}: &bomb{k} [{', '.join([f'*bomb{k - 1}'] * 9)}]" for k in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


@st.composite
def _mutation(draw: Draw, text: str) -> str:
    """One damaging edit of the text."""
    lines = text.splitlines(keepends=True) or [""]
    at = draw(st.integers(min_value=0, max_value=max(0, len(lines) - 1)), label="line")
    kind = draw(
        st.sampled_from(["truncate", "value", "duplicate", "deep", "aliases", "drop", "swap", "indent", "chars"]),
        label="mutation",
    )
    if kind == "truncate":
        return text[: draw(st.integers(min_value=0, max_value=len(text)))]
    if kind == "value":  # the value after the first ':' (or the list entry) of one line
        line = lines[at]
        head, sep, _ = line.partition(": ")
        if not sep:
            head, sep, _ = line.partition("- ")
        lines[at] = (head + sep if sep else "key: ") + draw(st.sampled_from(ODD_VALUES), label="value") + "\n"
    elif kind == "duplicate":
        lines.insert(at, lines[at])
    elif kind == "deep":
        depth = draw(st.sampled_from([20, 33, 65, 1001, 100_000]), label="depth")
        lines[at] = lines[at].rstrip("\n") + " " + "[" * depth + "]" * depth + "\n"
        if draw(st.booleans(), label="block nesting instead"):
            lines[at] = "- " * depth + "x\n"
    elif kind == "aliases":
        bomb = alias_bomb_lines(draw(st.integers(min_value=1, max_value=9), label="levels"))
        lines.insert(at if not lines[at].startswith(" ") else 0, bomb)
    elif kind == "drop":
        del lines[at]
    elif kind == "swap":
        other = draw(st.integers(min_value=0, max_value=len(lines) - 1), label="other line")
        lines[at], lines[other] = lines[other], lines[at]
    elif kind == "indent":
        lines[at] = draw(st.sampled_from(["\t", "   ", ""]), label="indent") + lines[at].lstrip()
    else:
        pos = draw(st.integers(min_value=0, max_value=len(text)), label="position")
        junk: str = draw(st.text(max_size=8), label="characters")
        return text[:pos] + junk + text[pos:]
    return "".join(lines)


@st.composite
def malformed_documents(draw: Draw, text: str) -> bytes:
    """A real document damaged by one to three edits (values of the wrong type or size, odd dates, keys
    twice, deep nesting, alias bombs, truncation, shuffled or re-indented lines), sometimes with random
    bytes (not always UTF-8) spliced in."""
    for _ in range(draw(st.integers(min_value=1, max_value=3), label="edits")):
        text = draw(_mutation(text))
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(min_value=0, max_value=5), label="bytes?") == 0:
        pos = draw(st.integers(min_value=0, max_value=len(data)), label="byte position")
        data = data[:pos] + draw(st.binary(min_size=1, max_size=16), label="bytes") + data[pos:]
    return data
