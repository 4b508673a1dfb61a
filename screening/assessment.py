"""The result of screening one response: what to do, how likely a neck origin is, and why.

Records that depend only on the definition (a rule's trace for each result, a feature's status, a raised
red flag) are frozen and built once per definition, then shared by every assessment; the few records
built per response are plain slotted dataclasses (cheaper to build than frozen ones) and read-only by
convention. Rules refer to questions by id; ``Assessment.answers`` holds each answer once, as the rules
saw it. pydantic's TypeAdapter gives a stable JSON form, a JSON Schema, and a lossless round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from .kinds import Disposition, Likelihood

if TYPE_CHECKING:
    from pydantic import TypeAdapter

Result = Literal["true", "false", "unknown"]
AnswerStatus = Literal["answered", "not_sure", "unanswered", "not_shown", "not_decided"]
RuleKind = Literal["finding", "red_flag", "feature", "differential", "grade_cap", "grading"]


@dataclass(frozen=True, slots=True)
class AnswerRead:
    """One answer a rule looked at, as the rule saw it."""

    item: str
    status: AnswerStatus
    answer: str | int | tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class RuleTrace:
    """One rule evaluated: its result and everything it read."""

    kind: RuleKind
    id: str
    title: str
    result: Result
    items: tuple[str, ...]  # questions read directly; their answers are in Assessment.answers
    findings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RedFlagResult:
    id: str
    title: str
    urgency: Literal["emergency", "urgent_gp", "routine_gp"]
    patient_message: str
    staff_message: str
    source: str
    items: tuple[str, ...]  # every question behind the flag, also through findings
    answers: tuple[AnswerRead, ...] = ()  # the answers behind it that were asked: what raised it, or what is open


@dataclass(frozen=True, slots=True)
class FeatureResult:
    id: str
    title: str
    status: Literal["met", "not_met", "unknown"]
    weight: int
    criterion: str
    source: str


@dataclass(slots=True)
class DifferentialResult:
    id: str
    title: str
    staff_message: str
    patient_message: str
    reasons: tuple[str, ...]
    source: str


@dataclass(slots=True)
class LikelihoodResult:
    grade: Likelihood
    points: int
    maximum: int
    unknown_points: int
    capped_by: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DispositionReason:
    """One thing that set a floor under the disposition."""

    kind: Literal["likelihood", "red_flag", "red_flag_unsure", "differential"]
    id: str
    disposition: Disposition


def rests_on_unsure(disposition: Disposition, reasons: Sequence[DispositionReason]) -> bool:
    """Whether only red flags that could not be ruled out put the outcome at this level."""
    top = [reason.kind for reason in reasons if reason.disposition == disposition]
    return bool(top) and all(kind == "red_flag_unsure" for kind in top)


@dataclass(frozen=True, slots=True)
class NextStep:
    title: str
    patient: str
    staff: str
    action: str
    time_frame: str
    checks_undecided_flags: bool = False  # the ruleset's same-day check for red flags not ruled out


@dataclass(slots=True)
class MissingAnswer:
    """A question left unanswered (or 'not sure') whose answer could change the result."""

    item: str
    question: str
    status: AnswerStatus
    affects: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Provenance:
    questionnaire_id: str
    questionnaire_version: str
    questionnaire_sha256: str
    ruleset_id: str
    ruleset_version: str
    ruleset_sha256: str
    engine_version: str


@dataclass(slots=True)
class Assessment:
    disposition: Disposition
    next_step: NextStep
    disposition_reasons: tuple[DispositionReason, ...]
    likelihood: LikelihoodResult
    red_flags: tuple[RedFlagResult, ...]
    to_check: tuple[RedFlagResult, ...]  # red flags that could not be ruled out: staff must ask again
    features: tuple[FeatureResult, ...]
    differentials: tuple[DifferentialResult, ...]
    missing: tuple[MissingAnswer, ...]
    answers: tuple[AnswerRead, ...]  # every question in the order asked, as the rules saw it
    explanation: tuple[RuleTrace, ...]
    provenance: Provenance
    respondent: Literal["patient", "staff"]
    statement: str


def emergency_flags(assessment: Assessment) -> list[RedFlagResult]:
    """The red flags raised that need 999 / A&E now: these stop an intake at once."""
    return [flag for flag in assessment.red_flags if flag.urgency == "emergency"]


@cache
def assessment_adapter() -> TypeAdapter[Assessment]:
    from pydantic import TypeAdapter  # only for JSON: scoring to text never imports pydantic

    return TypeAdapter(Assessment)


def assessment_json(assessment: Assessment) -> str:
    """The stable JSON document printed by ``screening score --json`` and embedded in reports."""
    return assessment_adapter().dump_json(assessment, indent=2).decode("utf-8") + "\n"


def assessment_from_json(text: str | bytes) -> Assessment:
    return assessment_adapter().validate_json(text)


def assessment_schema() -> dict[str, Any]:
    return assessment_adapter().json_schema()
