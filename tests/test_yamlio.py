"""YAML with YAML 1.2 booleans and a line for every key and list entry."""

from __future__ import annotations

import pytest

from screening.limits import MAX_NUMBER_DIGITS, DocumentLimits, LimitError
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


# ---------------------------------------------------------------------------------------------
# limits: checked on the events, before any node is built

SMALL = DocumentLimits("response", max_bytes=1000, max_depth=4, max_values=50)


def alias_bomb(levels: int = 9) -> str:
    """Each line names the one before nine times: 9**levels values once every alias is expanded."""
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{k}: &l{k} [{', '.join([f'*l{k - 1}'] * 9)}]" for k in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_at_the_line_where_it_passes_the_limit() -> None:
    with pytest.raises(LimitError, match=r"more than 100,000 keys, values and list entries") as caught:
        load_with_lines(alias_bomb())  # 9**10 values expanded; the limit is met on the sixth line
    assert caught.value.line == 6
    assert "alias" in caught.value.message and "definition" in caught.value.message


@pytest.mark.parametrize("text", ["a: &a [x, *a]\n", "a: &a {b: [1, {c: *a}]}\n", "- &top\n  - 1\n  - *top\n"])
def test_an_alias_inside_what_it_names_is_refused(text: str) -> None:
    with pytest.raises(LimitError, match=r"contains the alias itself, so it never ends"):
        load_with_lines(text)


def test_aliases_within_the_limits_still_work_and_count_as_copies() -> None:
    text = "base: &b {x: 1, y: [2, 3]}\ncopy: *b\n"
    data, _ = load_with_lines(text)
    assert data == {"base": {"x": 1, "y": [2, 3]}, "copy": {"x": 1, "y": [2, 3]}}
    # 2 keys + the top mapping; each copy of *b is 1 mapping + 2 keys + 1 + list of 2: 7 values
    assert load_with_lines(text, DocumentLimits("response", 1000, 4, 17))[0] == data
    with pytest.raises(LimitError):
        load_with_lines(text, DocumentLimits("response", 1000, 4, 16))


def test_an_alias_that_would_nest_too_deep_is_refused() -> None:
    text = "a: &a [[[x]]]\nb: [*a]\n"  # *a is 3 deep, inside a list inside the top mapping: 5
    with pytest.raises(LimitError, match="nested more than 4 levels deep") as caught:
        load_with_lines(text, SMALL)
    assert caught.value.line == 2


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a:\n  b:\n    c:\n      d:\n        e: 1\n", 5),
        ("- - - - - x\n", 1),
        ("a: [[[[1]]]]\n", 1),
        ("[" * 5000 + "]" * 5000, 1),  # past libyaml's own nesting cap too: the same message
    ],
)
def test_nesting_deeper_than_the_limit_is_refused_with_its_line(text: str, line: int) -> None:
    with pytest.raises(LimitError, match="nested more than 4 levels deep, deeper than a response may be") as caught:
        load_with_lines(text, DocumentLimits("response", max_bytes=10**6, max_depth=4, max_values=50))
    assert caught.value.line == line


def test_nesting_at_the_limit_is_fine() -> None:
    assert load_with_lines("a:\n  b:\n    c:\n      d: 1\n", SMALL)[0] == {"a": {"b": {"c": {"d": 1}}}}


def test_many_keys_are_refused_before_anything_is_built() -> None:
    text = "".join(f"k{i}: {i}\n" for i in range(100_000))
    with pytest.raises(LimitError, match=r"more than 100,000 keys") as caught:
        load_with_lines(text)
    assert caught.value.line == 50_000  # the top mapping, then a key and a value per line


def test_text_over_the_size_limit_is_refused() -> None:
    with pytest.raises(LimitError, match="larger than the 1,000 bytes a response may be"):
        load_with_lines("a: " + "x" * 1000, SMALL)


def test_numbers_longer_than_the_limit_are_refused_not_a_crash() -> None:
    assert load_with_lines("n: " + "9" * MAX_NUMBER_DIGITS)[0] == {"n": int("9" * MAX_NUMBER_DIGITS)}
    for text in ["n: " + "9" * 5000, "n: !!int " + "1" * 200, "n: 0x" + "f" * 200, "? " + "7" * 101 + "\n: x"]:
        with pytest.raises(LimitError, match=r"numbers may have at most 100 digits") as caught:
            load_with_lines(text)
        assert caught.value.line == 1
    assert load_with_lines("n: '" + "9" * 5000 + "'")[0] == {"n": "9" * 5000}  # quoted: text


@pytest.mark.parametrize(
    "text", ["t: 2026-02-30\n", "t: 0000-01-01T00:00:00Z\n", "t: !!timestamp soon\n", "t: !!float many\n"]
)
def test_values_that_cannot_be_what_their_form_says_are_clean_errors(text: str) -> None:
    with pytest.raises(YamlSyntaxError, match="cannot be read as a") as caught:
        load_with_lines(text)
    assert caught.value.line == 1


def test_a_collection_as_a_key_is_refused_without_building_it() -> None:
    with pytest.raises(YamlSyntaxError, match="a key must be a plain value"):
        load_with_lines(alias_bomb(3) + "? *l3\n: x\n", DocumentLimits("definition", 10**6, 10, 10**6))


def test_an_undefined_alias_is_a_syntax_error() -> None:
    with pytest.raises(YamlSyntaxError, match="undefined alias 'nowhere'") as caught:
        load_with_lines("a: 1\nb: *nowhere\n")
    assert caught.value.line == 2
