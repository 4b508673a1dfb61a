"""The shared vocabulary of the definition format: ids, text, versions, dispositions and the frozen base model."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic_core import PydanticCustomError

from ..error_codes import ErrorCode

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
SemVer = Annotated[str, StringConstraints(pattern=r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")]

YES, NO, NOT_SURE = "yes", "no", "not_sure"


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

Urgency = Literal["emergency", "urgent_gp", "routine_gp"]


class Likelihood(StrEnum):
    """How strongly the answers suggest a neck-related headache."""

    INSUFFICIENT_INFORMATION = "insufficient_information"
    UNLIKELY = "unlikely"
    POSSIBLE = "possible"
    LIKELY = "likely"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)


def invalid(code: ErrorCode, message: str) -> PydanticCustomError:
    """A model check's error whose type is a catalogue code, so the loader reports the problem under that code."""
    return PydanticCustomError(code.code, message)
