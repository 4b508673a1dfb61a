"""Strict JSON: the limits, one key per object, no NaN; every refusal a JSONDecodeError with a clear message."""

from __future__ import annotations

import json
from typing import Any

import pytest

from screening.jsonio import StrictJsonError, loads_strict
from screening.limits import MAX_NUMBER_DIGITS, RESPONSE_LIMITS, DocumentLimits

SMALL = DocumentLimits("response", max_bytes=10**6, max_depth=4, max_values=20)


@pytest.mark.parametrize(
    "text",
    ['{"a": [1, -2.5e3, true, null, "x"], "b": {"c": "d"}}', '"just text"', "[]", '{"s": "[[[[[[[[{{{{{{\\""}'],
)
def test_good_json_reads_as_json_loads_reads_it(text: str) -> None:
    assert loads_strict(text, SMALL) == json.loads(text)


def test_bytes_in_any_json_encoding_are_read() -> None:
    doc = {"name": "Ada Example", "answers": {"age": 40}}
    for encoding in ("utf-8", "utf-16", "utf-32"):
        assert loads_strict(json.dumps(doc).encode(encoding)) == doc


def refused(text: str | bytes, limits: DocumentLimits = SMALL) -> StrictJsonError:
    with pytest.raises(StrictJsonError) as caught:
        loads_strict(text, limits)
    assert isinstance(caught.value, json.JSONDecodeError)  # so `except JSONDecodeError` callers catch it
    return caught.value


def test_a_key_twice_in_one_object_is_refused_not_last_one_wins() -> None:
    error = refused('{"answers": {"worst_ever_headache": "yes", "worst_ever_headache": "no"}}')
    assert str(error) == "key 'worst_ever_headache' appears twice in the same object"
    assert loads_strict('{"a": {"k": 1}, "b": {"k": 2}}', SMALL) == {"a": {"k": 1}, "b": {"k": 2}}  # other objects


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(constant: str) -> None:
    assert str(refused(f'{{"age": {constant}}}')) == f"{constant} is not a JSON number"


@pytest.mark.parametrize("depth", [5, 1000, 100_000])
def test_deep_nesting_is_refused_at_the_limit_with_its_place(depth: int) -> None:
    error = refused("[" * depth + "]" * depth)
    assert error.msg == "nested more than 4 levels deep, deeper than a response may be"
    assert error.pos == 4


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = '{"a": "[[[[[[[[", "b\\"[[[[": "]]]]{{{{"}'
    assert loads_strict(text, SMALL) == json.loads(text)


def test_too_many_values_are_refused() -> None:
    error = refused("[" + ",".join(["1"] * 20) + "]")  # the list and its 20 entries
    assert error.msg.startswith("more than 20 keys, values and list entries")
    assert loads_strict("[" + ",".join(["1"] * 19) + "]", SMALL) == [1] * 19


@pytest.mark.parametrize("number", ["9" * 4301, "-" + "1" * 200, "1" * 150 + ".5", "1" * 101])
def test_numbers_longer_than_the_limit_are_refused(number: str) -> None:
    error = refused(f'{{"age": {number}}}')
    assert error.msg == f"a number {len(number):,} characters long; numbers may have at most 100 digits"
    assert error.pos == 8


def test_a_number_at_the_limit_is_read() -> None:
    assert loads_strict(f"[{'9' * MAX_NUMBER_DIGITS}]") == [int("9" * MAX_NUMBER_DIGITS)]


def test_a_document_over_the_size_limit_is_refused_before_it_is_decoded() -> None:
    big = b"\xff" * (RESPONSE_LIMITS.max_bytes + 1)  # not even text: the size is checked first
    assert str(refused(big, RESPONSE_LIMITS)) == "the file is larger than the 512 KiB a response may be"


@pytest.mark.parametrize(
    "text",
    ['"' + '\\"' * 50_000, '{"a": "unclosed', '{"a": 1}x', "", "[1,]", '{"a" 1}', "\\" * 1000],
)
def test_malformed_json_is_a_json_decode_error(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        loads_strict(text, RESPONSE_LIMITS)


def test_not_text_is_a_unicode_error_as_with_json_loads() -> None:
    with pytest.raises(UnicodeDecodeError):
        loads_strict(b'{"a": "\xff\xfe\xfd"}')


def test_real_responses_are_read_unchanged() -> None:
    doc: dict[str, Any] = {
        "questionnaire": "q",
        "version": "1.0.0",
        "collected_at": "2026-03-01T10:30:00Z",
        "answers": {"neck_pain": "yes", "symptoms": ["fever"], "age": 47},
    }
    assert loads_strict(json.dumps(doc, indent=2)) == doc
