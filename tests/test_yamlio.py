"""YAML with YAML 1.2 booleans and a line for every key and list entry."""

from __future__ import annotations

import pytest

from screening.yamlio import YamlSyntaxError, line_for, load_with_lines


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "y", "n", "Yes", "NO", "On"])
def test_yes_no_on_off_stay_strings(word: str) -> None:
    data, _ = load_with_lines(f"answer: {word}\n{word}: key\nlist: [{word}]\n")
    assert data == {"answer": word, word: "key", "list": [word]}


@pytest.mark.parametrize(("text", "value"), [("true", True), ("false", False), ("True", True), ("FALSE", False)])
def test_only_true_and_false_are_booleans(text: str, value: bool) -> None:
    data, _ = load_with_lines(f"flag: {text}\n")
    assert data["flag"] is value


def test_other_scalars_keep_their_usual_types() -> None:
    data, _ = load_with_lines("a: 3\nb: -2\nc: 1.5\nd: null\ne: ~\nf: '3'\ng: 1.0.0\nh: 2026-01-01T09:00:00Z\n")
    assert [type(data[k]).__name__ for k in "abcdefg"] == ["int", "int", "float", "NoneType", "NoneType", "str", "str"]
    assert data["g"] == "1.0.0"
    assert data["h"].isoformat() == "2026-01-01T09:00:00+00:00"


def test_every_key_and_entry_has_its_line() -> None:
    text = "id: x\nsections:\n  - id: s\n    items:\n      - id: a\n\n      - id: b\n        kind: yes_no\n"
    data, lines = load_with_lines(text)
    assert data["sections"][0]["items"][1] == {"id": "b", "kind": "yes_no"}
    assert lines[()] == 1
    assert lines[("id",)] == 1
    assert lines[("sections",)] == 2
    assert lines[("sections", 0)] == 3
    assert lines[("sections", 0, "items", 0)] == 5
    assert lines[("sections", 0, "items", 1)] == 7
    assert lines[("sections", 0, "items", 1, "kind")] == 8


def test_line_for_skips_unknown_parts_and_falls_back_to_the_nearest_known_line() -> None:
    text = "red_flags:\n  - id: a\n    condition:\n      yes: b\n"
    data, lines = load_with_lines(text)
    assert line_for(("red_flags", 0, "condition", "yes"), data, lines) == 4
    assert line_for(("red_flags", 0, "condition", "IsYes", "yes"), data, lines) == 4  # union tag skipped
    assert line_for(("red_flags", 0, "urgency"), data, lines) == 2  # missing key: its mapping
    assert line_for(("red_flags", 5), data, lines) == 1  # no such entry: the list's key
    assert line_for((), data, lines) == 1


def test_duplicate_keys_are_rejected_with_the_line_of_the_second() -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        load_with_lines("id: a\nitems:\n  - id: x\n    kind: yes_no\n    id: y\n")
    assert caught.value.line == 5
    assert str(caught.value) == "key 'id' appears twice in the same mapping"


def test_keys_that_mean_the_same_value_are_duplicates() -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        load_with_lines("1: a\n'x': b\nx: c\n")
    assert caught.value.line == 3


def test_a_mapping_as_a_key_is_rejected() -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        load_with_lines("a: 1\n? {b: 2}\n: 3\n")
    assert caught.value.line == 2
    assert str(caught.value) == "a key must be a plain value"


def test_syntax_errors_carry_a_line() -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        load_with_lines("a: 1\nb: [1, 2\nc: 3\n")
    assert isinstance(caught.value.line, int)
    assert caught.value.line == 3


def test_tabs_for_indentation_are_a_syntax_error_with_a_line() -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        load_with_lines("a:\n\t- 1\n")
    assert caught.value.line == 2


@pytest.mark.parametrize("text", ["a: !!python/name:os.system ''\n", "a: !custom 3\n"])
def test_unknown_and_python_tags_on_values_are_refused_with_a_line(text: str) -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        load_with_lines(text)
    assert caught.value.line == 1
    assert "could not determine a constructor" in str(caught.value)


def test_empty_text_is_none_without_lines() -> None:
    assert load_with_lines("") == (None, {})


def test_json_is_yaml() -> None:
    data, lines = load_with_lines('{\n  "answers": {\n    "neck_pain": "yes",\n    "age": 40\n  }\n}\n')
    assert data == {"answers": {"neck_pain": "yes", "age": 40}}
    assert lines[("answers", "age")] == 4


@pytest.mark.parametrize(
    "text",
    ["a: !!python/object/apply:os.system ['echo hi']\n", "a:\n  b: !!set {x: 1}\n", "a: !custom [1, 2]\n"],
)
def test_tags_on_mappings_and_lists_are_refused_with_their_line(text: str) -> None:
    with pytest.raises(YamlSyntaxError, match="is not allowed") as caught:
        load_with_lines(text)
    assert caught.value.line == len(text.splitlines())
