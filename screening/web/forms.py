"""HTML form data to answers and back, with the messages a person sees next to each field.

Which questions are shown is always decided by the engine (``Definition.effective_values``), for the
server-rendered pages and for the small script that shows follow-up questions without a page load.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from ..answers import AnswerProblem, typed_answer
from ..definition import Definition
from ..identifiers import nhs_number_problem, normal_nhs_number
from ..model import (
    DisplayItem,
    Item,
    MultiChoiceItem,
    ScaleItem,
    SingleChoiceItem,
    YesNoItem,
)
from ..response import Answer
from ..wording import DATE_PARTS, birth_date, parts_date, required_message

DETAILS = ("name", "contact", "email", "date_of_birth", *DATE_PARTS, "nhs_number", "gp_practice")
# what a response's patient block holds
PATIENT_FIELDS = ("name", "contact", "email", "date_of_birth", "nhs_number", "gp_practice")


class FormLike(Protocol):
    def multi_items(self) -> list[tuple[str, Any]]: ...


@dataclass
class FormAnswers:
    """Answers read from a form: the valid ones normalised, what was typed, and what is wrong."""

    values: dict[str, Answer] = field(default_factory=dict)
    typed: dict[str, list[str]] = field(default_factory=dict)
    invalid: dict[str, str] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)


def _by_name(form: FormLike) -> dict[str, list[str]]:
    """Every posted value by field name, line endings made plain, in one pass over the form."""
    fields: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            if "\r" in value:
                value = value.replace("\r\n", "\n").replace("\r", "\n")
            fields.setdefault(key, []).append(value.strip())
    return fields


def read_form(definition: Definition, form: FormLike) -> FormAnswers:
    out = FormAnswers()
    posted = _by_name(form)
    specs, items = definition.answer_specs, definition.items
    for item_id, checker in definition.checkers.items():  # in question order, so stored answers are too
        if checker is None or item_id not in posted:
            continue
        typed = [v for v in posted[item_id] if v]
        if not typed:
            continue
        out.typed[item_id] = typed
        checked = typed_answer(items[item_id], typed, checker, specs[item_id])
        if isinstance(checked, AnswerProblem):
            out.invalid[item_id] = checked.message
        else:
            out.values[item_id] = checked
    for key in DETAILS:
        values = posted.get(key)
        if values and values[0]:
            out.details[key] = values[0]
    return out


def shown_items(definition: Definition, values: Mapping[str, Answer]) -> set[str]:
    """The questions shown for these answers (a question that depends on an unanswered one stays hidden)."""
    _, shown = definition.effective_values(values)
    return {item_id for item_id, is_shown in shown.items() if is_shown is True}


def item_errors(
    definition: Definition, answers: FormAnswers, item_ids: Iterable[str], shown: set[str]
) -> dict[str, str]:
    """Messages for the shown questions among ``item_ids``: invalid answers, then missing required ones."""
    errors: dict[str, str] = {}
    for item_id in item_ids:
        item = definition.items[item_id]
        if item_id not in shown or isinstance(item, DisplayItem):
            continue
        if item_id in answers.invalid:
            errors[item_id] = answers.invalid[item_id]
        elif item.required and item_id not in answers.values:
            errors[item_id] = required_message(item)
    return errors


def patient_block(details: Mapping[str, str]) -> dict[str, str] | None:
    block = {key: details[key] for key in PATIENT_FIELDS if details.get(key)}
    if "date_of_birth" not in block and (born := parts_date(*(details.get(k, "") for k in DATE_PARTS))):
        block["date_of_birth"] = born.isoformat()  # typed in three boxes on the patient's pages
    elif "date_of_birth" in block and (born := birth_date(block["date_of_birth"])) is not None:
        block["date_of_birth"] = born.isoformat()
    if "nhs_number" in block and not nhs_number_problem(block["nhs_number"]):
        block["nhs_number"] = normal_nhs_number(block["nhs_number"])
    return block or None


def response_document(definition: Definition, answers: FormAnswers, respondent: str) -> dict[str, Any]:
    """The response a form stands for, collected now, in the format ``parse_response`` reads."""
    q = definition.questionnaire
    return {
        "questionnaire": q.id,
        "version": q.version,
        "respondent": respondent,
        "collected_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "patient": patient_block(answers.details),
        "answers": dict(answers.values),
    }


def section_items(definition: Definition, index: int) -> list[str]:
    return [item.id for item in definition.questionnaire.sections[index].items]


def answerable(definition: Definition, item_ids: Iterable[str]) -> list[str]:
    """Those of ``item_ids`` that take an answer, in the order given (``Definition.answerable`` lists them all)."""
    return [i for i in item_ids if definition.is_answerable(i)]


def is_choice(item: Item) -> bool:
    return isinstance(item, YesNoItem | SingleChoiceItem | MultiChoiceItem | ScaleItem)


SCREEN_QUESTIONS = 6  # questions on one screen at most, so a page fits a phone; a question stays with its follow-ups


@dataclass(frozen=True)
class Screen:
    """One page of questions: part of a section, cut so that no page asks more than ``SCREEN_QUESTIONS``."""

    section: int  # index in the questionnaire's sections
    part: int  # 1-based, within the section
    parts: int
    items: tuple[str, ...]


_SCREENS: dict[int, tuple[Definition, tuple[Screen, ...]]] = {}


def screens(definition: Definition) -> tuple[Screen, ...]:
    """The section pages; a long section is cut into even screens of at most six questions (computed once).

    A question with a condition (a follow-up) stays on the screen of the question before it, and display text
    goes with the question after it, so what belongs together is seen together.
    """
    found = _SCREENS.get(id(definition))
    if found is not None and found[0] is definition:
        return found[1]
    cut: list[Screen] = []
    for index, section in enumerate(definition.questionnaire.sections):
        groups: list[list[str]] = []
        pending: list[str] = []  # display text waiting for the question it introduces
        for item in section.items:
            if isinstance(item, DisplayItem):
                pending.append(item.id)
            elif item.enable_when is not None and groups:
                groups[-1] += [*pending, item.id]
                pending = []
            else:
                groups.append([*pending, item.id])
                pending = []
        if pending:
            groups.append(pending)
        total = len(answerable(definition, [item.id for item in section.items]))
        # a section of a few more than six stays whole: two half-empty screens cost more taps than they save
        count = 1 if total <= SCREEN_QUESTIONS + 3 else -(-total // SCREEN_QUESTIONS)
        target = -(-total // count)  # questions per screen, spread evenly
        chunks: list[list[str]] = []
        for group in groups:
            size = len(answerable(definition, group))
            filled = len(answerable(definition, chunks[-1])) if chunks else 0
            if chunks and (count == 1 or filled + size <= target):
                chunks[-1] += group
            else:
                chunks.append(list(group))
        cut += [Screen(index, n, len(chunks), tuple(chunk)) for n, chunk in enumerate(chunks, start=1)]
    result = tuple(cut)
    _SCREENS[id(definition)] = (definition, result)
    return result
