"""An item lists its answer codes once (``codes``); the checker, the JSON Schema and the scorer's tables agree."""

from __future__ import annotations

from screening.answers import AnswerProblem, answer_checker
from screening.compiler import plain_answers
from screening.definition import Definition
from screening.model import MultiChoiceItem, SingleChoiceItem, YesNoItem
from screening.schema import answer_schema


def _codes(definition: Definition, item_id: str) -> tuple[str, ...]:
    item = definition.items[item_id]
    assert isinstance(item, YesNoItem | SingleChoiceItem | MultiChoiceItem)
    return item.codes


def test_codes_are_listed_in_the_order_they_are_offered(mini: Definition) -> None:
    assert _codes(mini, "neck_pain") == ("yes", "no")
    assert _codes(mini, "thunderclap") == ("yes", "no", "not_sure")  # allow_not_sure
    assert _codes(mini, "neck_side") == ("left", "right", "both")
    assert _codes(mini, "symptoms") == ("fever", "weight_loss", "blurred_vision", "none")


def test_everything_that_lists_answers_lists_the_items_codes(definition: Definition) -> None:
    choices = [i for i in definition.items.values() if isinstance(i, YesNoItem | SingleChoiceItem | MultiChoiceItem)]
    assert choices
    for item in choices:
        check = answer_checker(item)
        assert check is not None
        schema = answer_schema(item)
        if isinstance(item, MultiChoiceItem):
            assert schema["items"]["enum"] == list(item.codes)
            assert all(check([code]) == [code] for code in item.codes)
            assert isinstance(check(["not_a_code"]), AnswerProblem)
        else:
            assert schema["enum"] == list(item.codes)
            assert plain_answers(item) == frozenset(item.codes)
            assert all(check(code) == code for code in item.codes)
            assert isinstance(check("not_a_code"), AnswerProblem)
