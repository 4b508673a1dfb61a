"""Patient identifiers: the NHS number (10 digits, the last a Modulus 11 check digit)."""

from __future__ import annotations

import re

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
_SPACING = re.compile(r"[ \u00a0]+")


def nhs_number_problem(text: str) -> str:
    """Why ``text`` is not an NHS number (spaces allowed), or an empty string when it is one."""
    digits = _SPACING.sub("", text)
    if not digits.isascii() or not digits.isdigit() or len(digits) != 10:
        return "an NHS number is 10 digits, like 943 476 5919"
    total = sum(int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10 or check != int(digits[9]):
        return "the last digit of this NHS number does not match the others; check it was copied correctly"
    return ""


def normal_nhs_number(text: str) -> str:
    """The NHS number without spaces (call after ``nhs_number_problem`` found none)."""
    return _SPACING.sub("", text)
