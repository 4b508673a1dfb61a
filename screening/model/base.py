"""The shared vocabulary of the definition format: ids, text, versions and the frozen base model.

The answer words and the outcomes live in ``screening.kinds`` (free of pydantic) and are re-exported here.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic_core import PydanticCustomError

from ..error_codes import ErrorCode
from ..kinds import NO as NO
from ..kinds import NOT_SURE as NOT_SURE
from ..kinds import YES as YES
from ..kinds import Disposition as Disposition
from ..kinds import Likelihood as Likelihood
from ..kinds import Urgency as Urgency

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
SemVer = Annotated[str, StringConstraints(pattern=r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)


def invalid(code: ErrorCode, message: str) -> PydanticCustomError:
    """A model check's error whose type is a catalogue code, so the loader reports the problem under that code."""
    return PydanticCustomError(code.code, message)
