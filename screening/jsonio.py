"""Read JSON strictly: within the document limits, with no key twice in one object and no NaN or Infinity.

Python's ``json`` module lets the last of two equal keys win (so ``"worst_ever_headache": "yes"`` followed by
``"no"`` would silently read as "no"), recurses once per level of nesting and refuses integers over 4,300
digits with an error that is not a ``JSONDecodeError``. Here every one of those is a ``StrictJsonError``, a
``JSONDecodeError``, so a caller that already handles bad JSON handles all of them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .limits import (
    MAX_NUMBER_DIGITS,
    RESPONSE_LIMITS,
    DocumentLimits,
    number_too_long,
    too_deep,
    too_large,
    too_many_values,
)

# a JSON string (an unclosed one runs to the end, so no text is scanned twice), an opening or closing bracket,
# or a run of anything else that is not punctuation (a number, true/false/null, or garbage the parser refuses)
_TOKEN = re.compile(r'"(?:[^"\\]|\\[\s\S]?)*+"?|[\[{]|[\]}]|[^\s,:\[\]{}"]+')
_NUMBER_START = frozenset("-0123456789")


class StrictJsonError(json.JSONDecodeError):
    """JSON we refuse; ``pos`` is the character where the problem is, or 0 when it is not known."""

    def __init__(self, message: str, text: str, pos: int | None) -> None:
        if pos is not None:
            super().__init__(message, text, pos)
        else:  # no position to report: a plain message, not "line 1 column 1"
            ValueError.__init__(self, message)
            self.msg, self.doc, self.pos, self.lineno, self.colno = message, text, 0, 0, 0


def loads_strict(data: str | bytes, limits: DocumentLimits = RESPONSE_LIMITS) -> Any:
    """Parse JSON text or bytes (UTF-8, -16 or -32, as ``json.loads``) that must stay within ``limits``.

    Raises StrictJsonError (a ``json.JSONDecodeError``) for JSON that is malformed or over a limit, and
    UnicodeDecodeError for bytes that are not text.
    """
    if len(data) > limits.max_bytes:
        raise StrictJsonError(too_large(limits).message, data if isinstance(data, str) else "", None)
    text = data if isinstance(data, str) else data.decode(json.detect_encoding(data), "surrogatepass")
    _check_limits(text, limits)
    try:
        return json.loads(text, object_pairs_hook=_unique_keys(text), parse_constant=_no_constant(text))
    except RecursionError as exc:  # not reached within the depth limit; kept so no input can crash a caller
        raise StrictJsonError("nested too deeply", text, None) from exc


def _check_limits(text: str, limits: DocumentLimits) -> None:
    """Walk the tokens (nothing built) and refuse nesting, value counts and numbers over the limits."""
    depth = values = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first in "]}":
            depth -= 1
            continue
        values += 1
        if values > limits.max_values:
            raise StrictJsonError(too_many_values(limits).message, text, match.start())
        if first in "[{":
            depth += 1
            if depth > limits.max_depth:
                raise StrictJsonError(too_deep(limits).message, text, match.start())
        elif first in _NUMBER_START and len(token) > MAX_NUMBER_DIGITS:
            raise StrictJsonError(number_too_long(len(token)).message, text, match.start())


def _unique_keys(text: str) -> Any:
    def build(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise StrictJsonError(f"key '{key}' appears twice in the same object", text, None)
            result[key] = value
        return result

    return build


def _no_constant(text: str) -> Any:
    def refuse(name: str) -> Any:
        raise StrictJsonError(f"{name} is not a JSON number", text, None)

    return refuse
