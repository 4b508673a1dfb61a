"""One answer checker: a typed answer gets the same plain-English message in a web form and at the terminal."""

from __future__ import annotations

import pytest
from starlette.datastructures import FormData

from screening.answers import AnswerProblem, answer_checker, typed_answer
from screening.definition import Definition
from screening.intake.checks import multi_problem, typed_problem
from screening.intake.prompts import Nav
from screening.model import IntegerItem, MultiChoiceItem, ScaleItem, TextItem
from screening.web import forms

# item id in the mini questionnaire (tests/data/mini.yaml), what is typed, and the one message for it
TYPED = [
    ("age", "forty", "Enter a whole number from 16 to 110 (years)"),
    ("age", "200", "Enter a whole number from 16 to 110 (years)"),
    ("age", "15", "Enter a whole number from 16 to 110 (years)"),
    ("severity", "11", "Enter a whole number from 0 to 10"),
    ("severity", "5.5", "Enter a whole number from 0 to 10"),
    ("notes", "x" * 201, "Keep this answer to 200 characters or fewer (it has 201)"),
    ("notes", "bell\x07", "Remove the special characters that cannot be stored"),
]


@pytest.mark.parametrize(("item_id", "typed", "message"), TYPED)
def test_a_typed_answer_gets_the_same_message_in_the_form_and_at_the_terminal(
    mini: Definition, item_id: str, typed: str, message: str
) -> None:
    item = mini.items[item_id]
    assert isinstance(item, IntegerItem | ScaleItem | TextItem)
    web = forms.read_form(mini, FormData([(item_id, typed)]))
    assert web.invalid == {item_id: message}
    assert typed_problem(item, typed) == message


@pytest.mark.parametrize(("item_id", "typed", "value"), [("age", "47", 47), ("age", "+47", 47), ("severity", "0", 0)])
def test_a_good_typed_number_is_a_number_everywhere(mini: Definition, item_id: str, typed: str, value: int) -> None:
    item = mini.items[item_id]
    assert isinstance(item, IntegerItem | ScaleItem)
    assert typed_answer(item, [typed]) == value
    assert forms.read_form(mini, FormData([(item_id, typed)])).values == {item_id: value}
    assert typed_problem(item, typed) == ""


def test_an_exclusive_option_ticked_with_another_is_named_by_its_label_everywhere(mini: Definition) -> None:
    item = mini.items["symptoms"]
    assert isinstance(item, MultiChoiceItem)
    label = next(o.label for o in item.options if o.code == "none")
    message = f"'{label}' cannot be ticked together with other options"
    web = forms.read_form(mini, FormData([("symptoms", "fever"), ("symptoms", "none")]))
    assert web.invalid == {"symptoms": message}
    assert multi_problem(item, ["fever", "none"]) == message
    assert multi_problem(item, ["fever", Nav.SKIP]) == "Untick the other options to skip the question"


def test_a_response_file_keeps_the_detail_the_person_answering_never_sees(mini: Definition) -> None:
    check = answer_checker(mini.items["age"])
    assert check is not None
    problem = check(200)
    assert problem == AnswerProblem("Enter a whole number from 16 to 110 (years)", "answer 200 is outside 16–110 years")
    assert check(True) == AnswerProblem(
        "Enter a whole number from 16 to 110 (years)", "answer True must be a whole number from 16 to 110 years"
    )


def test_choices_that_are_not_offered_are_refused_in_plain_words(mini: Definition) -> None:
    assert typed_answer(mini.items["neck_pain"], ["maybe"]) == AnswerProblem(
        "Choose one of the answers shown", "answer 'maybe' is not one of yes, no"
    )
    assert typed_answer(mini.items["neck_side"], ["left", "right"]) == AnswerProblem(
        "Choose only one answer", "2 answers given where one is asked for"
    )
    symptoms = typed_answer(mini.items["symptoms"], ["rash"])
    assert isinstance(symptoms, AnswerProblem) and symptoms.message == "Choose one of the answers shown"
    assert typed_answer(mini.items["symptoms"], ["none", "fever"]) != typed_answer(mini.items["symptoms"], ["fever"])
    assert typed_answer(mini.items["symptoms"], ["weight_loss", "fever"]) == ["fever", "weight_loss"]  # option order
    assert isinstance(typed_answer(mini.items["intro"], ["x"]), AnswerProblem)  # display text takes no answer
