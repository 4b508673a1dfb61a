"""The ruleset: findings, red flags, features, differentials, grading and the disposition policy."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from ..error_codes import ErrorCode
from .base import Disposition, Frozen, Id, Likelihood, SemVer, Text, Urgency, invalid
from .conditions import Condition


class QuestionnaireRef(Frozen):
    id: Id
    version: SemVer


class Finding(Frozen):
    """A named, reusable fact derived from answers (e.g. side-locked one-sided pain)."""

    id: Id
    title: Text
    condition: Condition
    source: Text | None = None


class RedFlag(Frozen):
    id: Id
    title: Text
    condition: Condition
    urgency: Urgency
    patient_message: Text
    staff_message: Text
    source: Text
    # What the referral says was ruled out when every yes/no question behind the flag was answered "no",
    # written to follow "no" (e.g. "fever"); without it the flag adds nothing to the pertinent negatives
    negative: Annotated[str, StringConstraints(min_length=1, max_length=120)] | None = None


class Feature(Frozen):
    """A feature that points towards a neck-related headache, worth `weight` points."""

    id: Id
    title: Text
    condition: Condition
    weight: Annotated[int, Field(ge=1, le=10)]
    criterion: Text
    source: Text


class Differential(Frozen):
    id: Id
    title: Text
    condition: Condition
    staff_message: Text
    patient_message: Text
    floor: Urgency | None = None  # disposition at least this whenever the pattern is present
    floor_when_unlikely: Urgency | None = None  # ... or only when a neck origin is unlikely
    source: Text


class GradeCap(Frozen):
    id: Id
    title: Text
    when: Condition
    at_most: Literal["possible", "unlikely"]
    reason: Text
    source: Text | None = None


class Grading(Frozen):
    likely_at: Annotated[int, Field(ge=1)]
    possible_at: Annotated[int, Field(ge=1)]
    likely_requires: Condition | None = None
    insufficient_when_unknown_at_least: Annotated[int, Field(ge=1)]
    caps: list[GradeCap] = []

    @model_validator(mode="after")
    def _ordered(self) -> Grading:
        if self.possible_at > self.likely_at:
            message = f"possible_at {self.possible_at} is above likely_at {self.likely_at}"
            raise invalid(ErrorCode.GRADES_REVERSED, message)
        return self


class DispositionText(Frozen):
    title: Text
    patient: Text
    staff: Text
    action: Text
    time_frame: Text


class DispositionPolicy(Frozen):
    by_likelihood: dict[Likelihood, Disposition]
    when_red_flag_unsure: dict[Literal["emergency", "urgent_gp", "routine_gp"], Disposition]
    texts: dict[Disposition, DispositionText]
    # the next step shown instead of texts[...] when the outcome rests only on red flags not ruled out
    unsure_text: DispositionText | None = None

    @model_validator(mode="after")
    def _complete(self) -> DispositionPolicy:
        missing = [g.value for g in Likelihood if g not in self.by_likelihood]
        missing += [u for u in ("emergency", "urgent_gp", "routine_gp") if u not in self.when_red_flag_unsure]
        missing += [d.value for d in Disposition if d not in self.texts]
        if missing:
            raise invalid(ErrorCode.POLICY_INCOMPLETE, f"missing entries for: {', '.join(missing)}")
        low = [u for u, d in self.when_red_flag_unsure.items() if d.rank < Disposition.ROUTINE_GP.rank]
        if low:
            raise invalid(
                ErrorCode.POLICY_UNSAFE,
                f"an unanswered or 'not sure' red flag must lead to a GP at least (check {', '.join(low)})",
            )
        if self.unsure_text is not None and len(set(self.when_red_flag_unsure.values())) != 1:
            raise invalid(
                ErrorCode.POLICY_UNSURE_TEXT,
                "unsure_text is one message, so every when_red_flag_unsure entry must lead to the same disposition",
            )
        return self


class Ruleset(Frozen):
    id: Id
    version: SemVer
    title: Text
    questionnaire: QuestionnaireRef
    findings: list[Finding] = []
    red_flags: Annotated[list[RedFlag], Field(min_length=1)]
    features: Annotated[list[Feature], Field(min_length=1)]
    differentials: list[Differential] = []
    grading: Grading
    disposition: DispositionPolicy
    statement: Text  # the screening-not-diagnosis statement shown with every result
