"""Three-valued (Kleene) evaluation of conditions, and how hidden and unanswered questions read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from helpers.definitions import RULES_TAIL
from pydantic import TypeAdapter, ValidationError

from screening.conditions import (
    NOT_APPLICABLE,
    UNKNOWN,
    Truth,
    compile_condition,
    describe,
    findings_read,
    items_read,
    supporting_items,
)
from screening.definition import Definition
from screening.model import Condition

T, F, U = True, False, None
CONDITION: TypeAdapter[Any] = TypeAdapter(Condition)

# One yes/no item per truth value: "yes: t" is true, "yes: f" false, "yes: u" unknown.
LEAF = {T: {"yes": "t"}, F: {"yes": "f"}, U: {"yes": "u"}}
VALUES = {"t": "yes", "f": "no", "u": UNKNOWN}


def evaluate(
    condition: dict[str, Any], values: dict[str, Any] | None = None, findings: dict[str, Truth] | None = None
) -> Truth:
    return compile_condition(CONDITION.validate_python(condition))(values or VALUES, findings or {})


KLEENE_AND = [(T, T, T), (T, F, F), (T, U, U), (F, T, F), (F, F, F), (F, U, F), (U, T, U), (U, F, F), (U, U, U)]
KLEENE_OR = [(T, T, T), (T, F, T), (T, U, T), (F, T, T), (F, F, F), (F, U, U), (U, T, T), (U, F, U), (U, U, U)]


@pytest.mark.parametrize(("a", "b", "expected"), KLEENE_AND)
def test_all_is_kleene_and(a: Truth, b: Truth, expected: Truth) -> None:
    assert evaluate({"all": [LEAF[a], LEAF[b]]}) is expected


@pytest.mark.parametrize(("a", "b", "expected"), KLEENE_OR)
def test_any_is_kleene_or(a: Truth, b: Truth, expected: Truth) -> None:
    assert evaluate({"any": [LEAF[a], LEAF[b]]}) is expected


@pytest.mark.parametrize(("a", "expected"), [(T, F), (F, T), (U, U)])
def test_not_keeps_unknown_unknown(a: Truth, expected: Truth) -> None:
    assert evaluate({"not": LEAF[a]}) is expected


@pytest.mark.parametrize(
    ("n", "parts", "expected"),
    [
        (2, (T, T, F), T),
        (2, (T, F, F), F),
        (2, (T, U, F), U),  # one more could still be true
        (2, (T, U, U), U),
        (2, (U, U, F), U),
        (2, (U, F, F), F),  # even if the unknown were true, only one
        (1, (F, F, F), F),
        (1, (U, F, F), U),
        (1, (F, T, U), T),
        (3, (T, T, T), T),
        (3, (T, T, U), U),
        (3, (T, T, F), F),
    ],
)
def test_at_least_counts_true_and_unknown(n: int, parts: tuple[Truth, ...], expected: Truth) -> None:
    assert evaluate({"at_least": {"n": n, "of": [LEAF[p] for p in parts]}}) is expected


def test_all_with_one_part_is_that_part() -> None:
    assert [evaluate({"all": [LEAF[v]]}) for v in (T, F, U)] == [T, F, U]


# ---------------------------------------------------------------------------------------------
# Hidden (not applicable) versus unknown


@pytest.mark.parametrize(
    "leaf",
    [
        {"yes": "x"},
        {"equals": {"item": "x", "value": "no"}},
        {"in": {"item": "x", "values": ["yes", "no"]}},
        {"ge": {"item": "x", "value": 0}},
        {"le": {"item": "x", "value": 10}},
        {"between": {"item": "x", "min": 0, "max": 10}},
        {"equals": {"item": "x", "value": "not_sure"}},
        {"answered": "x"},
    ],
)
def test_comparisons_on_a_hidden_item_are_false_and_on_an_unanswered_one_unknown(leaf: dict[str, Any]) -> None:
    assert evaluate(leaf, {"x": NOT_APPLICABLE}) is False
    assert evaluate({"not": leaf}, {"x": NOT_APPLICABLE}) is True
    expected_unknown = False if "answered" in leaf else None  # "answered" is always decided
    assert evaluate(leaf, {"x": UNKNOWN}) is expected_unknown


def test_not_sure_makes_comparisons_unknown_but_counts_as_answered() -> None:
    values = {"x": "not_sure"}
    assert evaluate({"yes": "x"}, values) is None
    assert evaluate({"equals": {"item": "x", "value": "no"}}, values) is None
    assert evaluate({"in": {"item": "x", "values": ["yes", "no"]}}, values) is None
    assert evaluate({"answered": "x"}, values) is True
    assert evaluate({"equals": {"item": "x", "value": "not_sure"}}, values) is True
    assert evaluate({"equals": {"item": "x", "value": "not_sure"}}, {"x": "yes"}) is False


def test_answered_value_compares_normally() -> None:
    assert evaluate({"yes": "x"}, {"x": "yes"}) is True
    assert evaluate({"yes": "x"}, {"x": "no"}) is False
    assert evaluate({"answered": "x"}, {"x": "no"}) is True


@pytest.mark.parametrize(
    ("leaf", "value", "expected"),
    [
        ({"ge": {"item": "n", "value": 5}}, 5, True),
        ({"ge": {"item": "n", "value": 5}}, 4, False),
        ({"le": {"item": "n", "value": 5}}, 5, True),
        ({"le": {"item": "n", "value": 5}}, 6, False),
        ({"between": {"item": "n", "min": 3, "max": 7}}, 3, True),
        ({"between": {"item": "n", "min": 3, "max": 7}}, 7, True),
        ({"between": {"item": "n", "min": 3, "max": 7}}, 2, False),
        ({"between": {"item": "n", "min": 3, "max": 7}}, 8, False),
        ({"equals": {"item": "n", "value": 0}}, 0, True),
        ({"equals": {"item": "n", "value": 0}}, 1, False),
    ],
)
def test_number_comparisons_include_their_bounds(leaf: dict[str, Any], value: int, expected: bool) -> None:
    assert evaluate(leaf, {"n": value}) is expected


@pytest.mark.parametrize(
    ("leaf", "ticked", "expected"),
    [
        ({"equals": {"item": "m", "value": "fever"}}, {"fever", "rash"}, True),
        ({"equals": {"item": "m", "value": "fever"}}, {"rash"}, False),
        ({"equals": {"item": "m", "value": "fever"}}, {"none"}, False),
        ({"in": {"item": "m", "values": ["fever", "weight_loss"]}}, {"weight_loss"}, True),
        ({"in": {"item": "m", "values": ["fever", "weight_loss"]}}, {"rash", "fever"}, True),
        ({"in": {"item": "m", "values": ["fever", "weight_loss"]}}, {"rash"}, False),
        # a "not sure" option of a multiple choice is asked about like any other option
        ({"equals": {"item": "m", "value": "not_sure"}}, {"not_sure"}, True),
        ({"equals": {"item": "m", "value": "not_sure"}}, {"fever"}, False),
        ({"in": {"item": "m", "values": ["not_sure"]}}, {"not_sure", "fever"}, True),
    ],
)
def test_multiple_choice_equals_means_ticked_and_in_means_any_ticked(
    leaf: dict[str, Any], ticked: set[str], expected: bool
) -> None:
    assert evaluate(leaf, {"m": frozenset(ticked)}) is expected


def test_single_choice_in() -> None:
    leaf = {"in": {"item": "side", "values": ["left", "right"]}}
    assert [evaluate(leaf, {"side": v}) for v in ("left", "right", "both")] == [True, True, False]


@pytest.mark.parametrize("value", [T, F, U])
def test_finding_reference_reads_the_finding(value: Truth) -> None:
    assert evaluate({"finding": "one_sided"}, {}, {"one_sided": value}) is value


def test_items_and_findings_read_in_order_of_first_appearance() -> None:
    cond = CONDITION.validate_python(
        {
            "all": [
                {"yes": "b"},
                {"any": [{"finding": "f1"}, {"ge": {"item": "a", "value": 1}}]},
                {"not": {"yes": "b"}},
                {"at_least": {"n": 1, "of": [{"finding": "f0"}, {"answered": "c"}]}},
            ]
        }
    )
    assert items_read(cond) == ["b", "a", "c"]
    assert findings_read(cond) == ["f1", "f0"]


def test_describe_reads_like_the_rule() -> None:
    cond = CONDITION.validate_python(
        {
            "all": [
                {"yes": "neck_pain"},
                {"any": [{"in": {"item": "side", "values": ["left", "right"]}}, {"ge": {"item": "age", "value": 50}}]},
            ]
        }
    )
    assert describe(cond) == "neck_pain is yes and (side is one of left, right or age ≥ 50)"


def test_a_condition_mapping_has_exactly_one_key() -> None:
    with pytest.raises(ValidationError, match="exactly one key"):
        CONDITION.validate_python({"yes": "a", "answered": "b"})


# ---------------------------------------------------------------------------------------------
# Shown, hidden and undecided questions in a definition


CHAIN_QUESTIONNAIRE = """\
id: chain
version: 1.0.0
title: Chain
language: en-GB
sections:
  - id: s
    title: S
    items:
      - {id: a, kind: yes_no, allow_not_sure: true, patient: A?, staff: A?}
      - {id: b, kind: yes_no, patient: B?, staff: B?, enable_when: {yes: a}}
      - {id: c, kind: yes_no, patient: C?, staff: C?, enable_when: {yes: b}}
      - {id: d, kind: yes_no, patient: D?, staff: D?, enable_when: {not: {yes: b}}}
"""
CHAIN_RULES = """\
id: chain_rules
version: 1.0.0
title: Chain rules
questionnaire: {id: chain, version: 1.0.0}
red_flags:
  - {id: flag, title: F, condition: {yes: c}, urgency: emergency, patient_message: M, staff_message: M, source: S}
features:
  - {id: feat, title: F, condition: {yes: a}, weight: 1, criterion: C, source: S}
"""


@pytest.fixture
def chain(make_definition: Callable[..., Definition]) -> Definition:
    return make_definition(CHAIN_QUESTIONNAIRE, CHAIN_RULES + RULES_TAIL)


def test_a_false_gate_hides_the_question_and_everything_gated_on_it(chain: Definition) -> None:
    values, shown = chain.effective_values({"a": "no", "d": "yes"})
    assert shown == {"a": True, "b": False, "c": False, "d": True}
    assert values["b"] is NOT_APPLICABLE and values["c"] is NOT_APPLICABLE
    assert values["d"] == "yes"  # not (b is yes) is true when b was never asked


def test_an_undecided_gate_leaves_the_question_unknown_not_hidden(chain: Definition) -> None:
    values, shown = chain.effective_values({"a": "not_sure"})
    assert shown == {"a": True, "b": None, "c": None, "d": None}
    assert values["b"] is UNKNOWN and values["c"] is UNKNOWN and values["d"] is UNKNOWN


def test_a_true_gate_shows_the_question_unanswered_until_answered(chain: Definition) -> None:
    values, shown = chain.effective_values({"a": "yes", "b": "yes", "c": "no"})
    assert shown == {"a": True, "b": True, "c": True, "d": False}
    assert values == {"a": "yes", "b": "yes", "c": "no", "d": NOT_APPLICABLE}
    values, _ = chain.effective_values({"a": "yes"})
    assert values["b"] is UNKNOWN and values["c"] is UNKNOWN


def test_answers_to_hidden_questions_are_ignored_by_effective_values(chain: Definition) -> None:
    values, shown = chain.effective_values({"a": "no", "b": "yes", "c": "yes"})
    assert shown["b"] is False and shown["c"] is False
    assert values["b"] is NOT_APPLICABLE and values["c"] is NOT_APPLICABLE


def test_multiple_choice_answers_become_sets(mini: Definition) -> None:
    values, _ = mini.effective_values({"neck_pain": "no", "symptoms": ["fever", "weight_loss"]})
    assert values["symptoms"] == frozenset({"fever", "weight_loss"})


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"yes": "t"}, ["t"]),
        ({"yes": "f"}, []),  # not true: nothing behind it
        ({"any": [{"yes": "t"}, {"yes": "f"}, {"yes": "t2"}]}, ["t", "t2"]),  # each true part, redundant too
        ({"all": [{"yes": "t"}, {"any": [{"yes": "u"}, {"yes": "t2"}]}]}, ["t", "t2"]),
        ({"all": [{"yes": "t"}, {"yes": "u"}]}, []),  # unknown, not true
        ({"at_least": {"n": 1, "of": [{"yes": "f"}, {"yes": "t2"}]}}, ["t2"]),
        ({"all": [{"not": {"yes": "f"}}, {"yes": "t"}]}, ["f", "t"]),  # a "no" that matters is named
        ({"all": [{"finding": "both"}, {"not": {"finding": "neither"}}]}, ["t", "t2", "f"]),
    ],
)
def test_supporting_items_name_the_answers_behind_a_true_condition(
    condition: dict[str, Any], expected: list[str]
) -> None:
    values = {**VALUES, "t2": "yes"}
    findings_defined = {
        "both": CONDITION.validate_python({"all": [{"yes": "t"}, {"yes": "t2"}]}),
        "neither": CONDITION.validate_python({"yes": "f"}),
    }
    findings: dict[str, Truth] = {"both": True, "neither": False}
    got = supporting_items(CONDITION.validate_python(condition), values, findings, findings_defined)
    assert got == expected
