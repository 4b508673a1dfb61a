"""Words the engine shares, kept free of the definition format's models so scoring can run without them.

The answer words, the outcomes (``Disposition``, ``Likelihood``) and the markers an effective value takes when
a question was not answered or did not apply. ``screening.model`` and ``screening.conditions`` re-export them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

YES, NO, NOT_SURE = "yes", "no", "not_sure"

Urgency = Literal["emergency", "urgent_gp", "routine_gp"]


class Disposition(StrEnum):
    """What should happen next, from least to most urgent."""

    SELF_CARE = "self_care"
    PHYSIO_ASSESSMENT = "physio_assessment"
    ROUTINE_GP = "routine_gp"
    URGENT_GP = "urgent_gp"
    EMERGENCY = "emergency"

    @property
    def rank(self) -> int:
        return _DISPOSITION_ORDER.index(self)


_DISPOSITION_ORDER = list(Disposition)


class Likelihood(StrEnum):
    """How strongly the answers suggest a neck-related headache."""

    INSUFFICIENT_INFORMATION = "insufficient_information"
    UNLIKELY = "unlikely"
    POSSIBLE = "possible"
    LIKELY = "likely"


Truth = bool | None


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


UNKNOWN: Any = _Marker("UNKNOWN")  # shown (or maybe shown) and not answered
NOT_APPLICABLE: Any = _Marker("NOT_APPLICABLE")  # hidden: the question did not apply
