"""Checks and messages for typed answers and personal details, in words a person can act on.

Framework-free: the web forms and the terminal intake both use them, so a person sees the same message
wherever they answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from .answers import control_character_problem
from .identifiers import nhs_number_problem
from .model import IntegerItem, Item, MultiChoiceItem, TextItem, YesNoItem

WHOLE_NUMBER = re.compile(r"^[+-]?\d{1,9}$")


def required_message(item: Item) -> str:
    if isinstance(item, YesNoItem):
        return "Select yes, no or not sure" if item.allow_not_sure else "Select yes or no"
    if isinstance(item, MultiChoiceItem):
        return "Tick at least one option"
    if isinstance(item, IntegerItem):
        return f"Enter a number ({item.unit})"
    if isinstance(item, TextItem):
        return "Enter an answer"
    return "Select an answer"


def detail_errors(details: Mapping[str, str], *, contact_required: bool, today: date) -> dict[str, str]:
    errors: dict[str, str] = {}
    name = details.get("name", "")
    if not name:
        errors["name"] = "Enter the patient's name" if not contact_required else "Enter your name"
    elif len(name) > 200 or control_character_problem(name):
        errors["name"] = "Enter a name of 200 characters or fewer, without special characters"
    contact = details.get("contact", "")
    if contact_required and not contact:
        errors["contact"] = "Enter a phone number or email address so the clinic can reach you"
    elif len(contact) > 200 or control_character_problem(contact):
        errors["contact"] = "Enter a phone number or email address of 200 characters or fewer"
    nhs_number = details.get("nhs_number", "")
    if nhs_number and nhs_number_problem(nhs_number):
        errors["nhs_number"] = (
            "Enter the 10-digit NHS number exactly as it is written, like 943 476 5919, or leave it blank"
        )
    practice = details.get("gp_practice", "")
    if len(practice) > 200 or control_character_problem(practice):
        errors["gp_practice"] = "Enter the GP practice in 200 characters or fewer, without special characters"
    dob = details.get("date_of_birth", "")
    if dob:
        born = birth_date(dob)
        if born is None:
            errors["date_of_birth"] = "Enter a real date of birth, for example 27/03/1980"
        elif born > today or born.year < 1900:
            errors["date_of_birth"] = "Enter a date of birth in the past"
    return errors


UK_DATE = re.compile(r"^(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{4})$")


def birth_date(text: str) -> date | None:
    """A date typed as 2026-11-21 (what a date picker sends) or the UK way, 21/11/2026."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    found = UK_DATE.match(text.strip())
    if found is None:
        return None
    day, month, year = (int(part) for part in found.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None
