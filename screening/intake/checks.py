"""What is wrong with a typed or ticked answer, in the words the web forms use, and answers as staff read them."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..answers import AnswerProblem, typed_answer
from ..assessment import AnswerRead
from ..definition import Definition
from ..model import IntegerItem, MultiChoiceItem, ScaleItem, TextItem
from ..report import answer_text
from ..response import Answer
from ..wording import birth_date, detail_errors, required_message
from .prompts import Nav


def answer_label(definition: Definition, item_id: str, value: Answer) -> str:
    """An answer as staff read it back: option labels, numbers with their unit."""
    return answer_text(definition, AnswerRead(item_id, "answered", tuple(value) if isinstance(value, list) else value))


def name_problem(text: str, today: date) -> str:
    return detail_errors({"name": text}, contact_required=False, today=today).get("name", "")


def contact_problem(text: str, today: date) -> str:
    return detail_errors({"name": "-", "contact": text}, contact_required=False, today=today).get("contact", "")


def detail_problem(key: str, text: str, today: date) -> str:
    """What is wrong with a typed patient detail (NHS number, GP practice), in the web form's words."""
    return detail_errors({"name": "-", key: text}, contact_required=False, today=today).get(key, "")


def birth_problem(text: str, today: date) -> str:
    return detail_errors({"name": "-", "date_of_birth": text}, contact_required=False, today=today).get(
        "date_of_birth", ""
    )


def iso_birth_date(text: str) -> str:
    """A date of birth typed the UK way or as ISO 8601, as ISO 8601 ("" when none was typed)."""
    born = birth_date(text) if text else None
    return born.isoformat() if born else ""


def uk_date(iso: str) -> str:
    """27/03/1980 for 1980-03-27, the way reception reads a date back."""
    born = birth_date(iso) if iso else None
    return f"{born:%d/%m/%Y}" if born else iso


def typed_problem(item: IntegerItem | ScaleItem | TextItem, text: str) -> str:
    """What is wrong with a typed answer, in the words the web form uses; empty when it is fine."""
    if not text:
        return required_message(item) if item.required else ""
    checked = typed_answer(item, [text])
    return checked.message if isinstance(checked, AnswerProblem) else ""


def typed_hint(item: IntegerItem | ScaleItem | TextItem) -> str:
    if isinstance(item, TextItem):
        hint = f"up to {item.max_length} characters"
    elif isinstance(item, IntegerItem):
        hint = f"{item.min}–{item.max} {item.unit}"
    elif item.min_label.startswith(str(item.min)) and item.max_label.startswith(str(item.max)):
        hint = f"{item.min_label} … {item.max_label}"  # labels like "0 means no pain"
    else:
        hint = f"{item.min} = {item.min_label} … {item.max} = {item.max_label}"
    return hint + ("" if item.required else "; Enter to skip")


def multi_problem(item: MultiChoiceItem, chosen: list[Any]) -> str:
    """Ticks that cannot stand: nothing ticked (skipping is ticked too), or a choice ticked with an exclusive one."""
    for nav, what in ((Nav.BACK, "go back"), (Nav.SKIP, "skip the question")):
        if nav in chosen and len(chosen) > 1:
            return f"Untick the other options to {what}"
    if not chosen:
        return required_message(item) if item.required else "Tick at least one option, or tick Skip"
    checked = typed_answer(item, [code for code in chosen if isinstance(code, str)])
    return checked.message if isinstance(checked, AnswerProblem) else ""
