"""Every size limit on the documents we read, in one place, and the bounded read that enforces the first of them.

Limits are checked before any real work is done on a document (before a YAML node or JSON value is built), so a
hostile or broken file is refused in milliseconds with a message naming the file and the limit, never after
minutes of parsing or with a crash. Each limit sits far above anything a real questionnaire, ruleset, cases file
or response needs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from .error_codes import ErrorCode
from .errors import LimitError as LimitError  # importable from here as before


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    """How large one kind of document may be."""

    what: str
    """What the document is, for messages: ``response`` or ``definition``."""
    max_bytes: int
    """Largest file or request body, in bytes (UTF-8)."""
    max_depth: int
    """Deepest nesting of mappings and lists (the top-level mapping is depth 1)."""
    max_values: int
    """Most keys, values and list entries together, counting each YAML alias as a full copy of what it names."""

    def size_text(self) -> str:
        """The byte limit, readable: ``512 KiB``."""
        if self.max_bytes % 1024:
            return f"{self.max_bytes:,} bytes"
        return f"{self.max_bytes // 1024:,} KiB"


RESPONSE_LIMITS = DocumentLimits("response", max_bytes=512 * 1024, max_depth=32, max_values=20_000)
"""A response (ours, or an HL7 FHIR QuestionnaireResponse). A real one is a few KB (about 20 KB as FHIR), nests 3
levels deep (about 8 as FHIR, whose groups hold items that hold answers) and has a few hundred values (about
1,100 as FHIR)."""

DEFINITION_LIMITS = DocumentLimits("definition", max_bytes=4 * 1024 * 1024, max_depth=64, max_values=100_000)
"""A questionnaire, ruleset, cases file or clinic settings file. The bundled cases file, the largest, is 170 KB
with 7,500 values; rules nest conditions about 12 deep."""

MAX_NUMBER_DIGITS = 100
"""Longest number, in characters. Python refuses to read integers over 4,300 digits; every number we use
(ages, scores, weights, ranges) is a handful of digits."""

MAX_SUGGESTIONS = 20
"""Unknown ids get a "did you mean" suggestion only up to this many per document: each costs a fuzzy match
against every item, and a document of thousands of wrong ids needs no more than the first few."""

EARLIEST_DATE = date(1900, 1, 1)
"""No collection time or date of birth before this (the web intake refuses such birth dates too)."""

LATEST_DATE = date(2199, 12, 31)
"""No collection time or date of birth after this. Together with ``EARLIEST_DATE`` it keeps every time-zone
conversion (the PDF prints times in UTC) far inside the calendar Python can represent."""

EARLIEST_TIME = datetime(EARLIEST_DATE.year, EARLIEST_DATE.month, EARLIEST_DATE.day, tzinfo=UTC)
"""``EARLIEST_DATE`` at midnight UTC, to compare collection times with."""

LATEST_TIME = datetime(LATEST_DATE.year, LATEST_DATE.month, LATEST_DATE.day, 23, 59, 59, tzinfo=UTC)
"""The last second of ``LATEST_DATE`` in UTC, to compare collection times with."""


def too_large(limits: DocumentLimits) -> LimitError:
    """The error for a document over its byte limit."""
    return LimitError(
        f"the file is larger than the {limits.size_text()} a {limits.what} may be",
        fix=f"check that it is a {limits.what} file",
        code=ErrorCode.TOO_LARGE,
    )


def too_deep(limits: DocumentLimits, line: int | None = None) -> LimitError:
    """The error for a document nested deeper than its limit."""
    return LimitError(
        f"nested more than {limits.max_depth} levels deep, deeper than a {limits.what} may be",
        line,
        f"check that it is a {limits.what} file",
        code=ErrorCode.TOO_DEEP,
    )


def too_many_values(limits: DocumentLimits, line: int | None = None) -> LimitError:
    """The error for a document with more keys, values and entries than its limit (aliases expanded)."""
    return LimitError(
        f"more than {limits.max_values:,} keys, values and list entries (an alias counts as a full copy), "
        f"more than a {limits.what} may have",
        line,
        f"check that it is a {limits.what} file; write repeated parts out instead of using aliases",
        code=ErrorCode.TOO_MANY_VALUES,
    )


def number_too_long(length: int, line: int | None = None) -> LimitError:
    """The error for an integer longer than ``MAX_NUMBER_DIGITS``."""
    return LimitError(
        f"a number {length:,} characters long; numbers may have at most {MAX_NUMBER_DIGITS} digits",
        line,
        "check the number, or put it in quotes if it is text",
        code=ErrorCode.NUMBER_TOO_LONG,
    )


def read_bounded(path: Path, limits: DocumentLimits) -> bytes:
    """The bytes of a file, reading no more than one byte over the limit (so ``/dev/zero`` cannot fill memory).

    A named pipe is opened without waiting for a writer (it reads as empty when none is there), so a stray
    FIFO in a folder of responses cannot hang a run; a pipe that is being written, such as ``/dev/stdin``
    in ``... | screening score /dev/stdin``, is read to its end as usual.
    Raises OSError as ``open`` does, and LimitError when the file is over the limit.
    """
    nonblocking = getattr(os, "O_NONBLOCK", 0)
    descriptor = os.open(path, os.O_RDONLY | nonblocking)
    try:
        if nonblocking:
            os.set_blocking(descriptor, True)
        handle = os.fdopen(descriptor, "rb")  # a folder is refused here, without closing what it was given
    except BaseException:
        os.close(descriptor)
        raise
    with handle:
        data = handle.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise too_large(limits)
    return data


def read_text_bounded(path: Path, limits: DocumentLimits) -> str:
    """The UTF-8 text of a file within the limit; raises OSError, UnicodeDecodeError or LimitError."""
    return read_bounded(path, limits).decode("utf-8")
