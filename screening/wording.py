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
from .model import IntegerItem, Item, Likelihood, MultiChoiceItem, TextItem, YesNoItem


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


PHONE = re.compile(r"^\+?[0-9 ()\-.]{7,25}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def contact_errors(details: Mapping[str, str]) -> dict[str, str]:
    """Messages for the patient's first page: a name and a phone number the clinic can call, e-mail optional."""
    errors: dict[str, str] = {}
    name = details.get("name", "")
    if not name:
        errors["name"] = "Enter your name"
    elif len(name) > 200 or control_character_problem(name):
        errors["name"] = "Enter a name of 200 characters or fewer, without special characters"
    phone = details.get("contact", "")
    if not phone:
        errors["contact"] = "Enter a phone number, like 01632 960 001 or 07700 900 982"
    elif not PHONE.match(phone) or sum(c.isdigit() for c in phone) < 7:
        errors["contact"] = "Enter a phone number using only numbers, spaces and +, like 07700 900 982"
    email = details.get("email", "")
    if email and (len(email) > 200 or not EMAIL.match(email)):
        errors["email"] = "Enter an email address in the right format, like name@example.com"
    return errors


DATE_PARTS = ("dob_day", "dob_month", "dob_year")


def date_parts_error(day: str, month: str, year: str, *, today: date) -> tuple[str, str]:
    """The GOV.UK-style message for a date typed in three boxes, and which box it points at ("" if none)."""
    typed = {"day": day.strip(), "month": month.strip(), "year": year.strip()}
    missing = [part for part, text in typed.items() if not text]
    if len(missing) == 3:
        return "", ""
    if missing:
        return f"Date of birth must include a {' and '.join(missing)}", f"dob_{missing[0]}"
    if not all(text.isdigit() for text in typed.values()):
        wrong = next(part for part, text in typed.items() if not text.isdigit())
        return "Date of birth must be a real date, written in numbers", f"dob_{wrong}"
    if len(typed["year"]) != 4:
        return "Year must include 4 numbers, like 1987", "dob_year"
    try:
        born = date(int(typed["year"]), int(typed["month"]), int(typed["day"]))
    except ValueError:
        wrong = "month" if not 1 <= int(typed["month"]) <= 12 else "day"
        return "Date of birth must be a real date", f"dob_{wrong}"
    if born > today:
        return "Date of birth must be in the past", "dob_day"
    if born.year < 1900:
        return "Date of birth must be after 1900", "dob_year"
    return "", ""


def parts_date(day: str, month: str, year: str) -> date | None:
    """The date typed in three boxes, or None when it is not a real one."""
    try:
        return date(int(year), int(month), int(day)) if len(year.strip()) == 4 else None
    except ValueError:
        return None


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


# How well the answers match a neck-related headache, in the patient's words (never a diagnosis).
NECK_PATTERN = {
    Likelihood.LIKELY: ("fits", "Your answers fit the pattern of a headache that comes from the neck."),
    Likelihood.POSSIBLE: ("partly fits", "Your answers partly fit the pattern of a headache that comes from the neck."),
    Likelihood.UNLIKELY: (
        "does not fit",
        "Your answers do not fit the pattern of a headache that comes from the neck.",
    ),
    Likelihood.INSUFFICIENT_INFORMATION: (
        "cannot tell",
        "Your answers do not tell us enough to say whether your headache comes from the neck.",
    ),
}
