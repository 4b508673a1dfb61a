"""The definition format: questionnaires and rulesets as frozen pydantic models.

Conditions are data. Each one is a mapping with a single key naming the operator, so a rule reads as
plain YAML (``all: [{yes: neck_stiffness}, {in: {item: side, values: [left, right]}}]``) and nothing
is ever evaluated as a string.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, StringConstraints, Tag, model_validator

from .kinds import NO as NO
from .kinds import NOT_SURE as NOT_SURE
from .kinds import YES as YES
from .kinds import Disposition as Disposition
from .kinds import Likelihood as Likelihood
from .kinds import Urgency as Urgency

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
SemVer = Annotated[str, StringConstraints(pattern=r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")]

class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)


# ---------------------------------------------------------------------------------------------
# Conditions


class ItemValue(Frozen):
    item: Id
    value: str | int


class ItemValues(Frozen):
    item: Id
    values: Annotated[list[str], Field(min_length=1)]


class ItemNumber(Frozen):
    item: Id
    value: int


class ItemRange(Frozen):
    item: Id
    min: int
    max: int

    @model_validator(mode="after")
    def _ordered(self) -> ItemRange:
        if self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}; swap them")
        return self


class AllOf(Frozen):
    """True when every condition is true."""

    all: Annotated[list[Condition], Field(min_length=1)]


class AnyOf(Frozen):
    """True when at least one condition is true."""

    any: Annotated[list[Condition], Field(min_length=1)]


class Not(Frozen):
    """True when the condition is false."""

    not_: Condition = Field(alias="not")


class AtLeastArgs(Frozen):
    n: Annotated[int, Field(ge=1)]
    of: Annotated[list[Condition], Field(min_length=1)]

    @model_validator(mode="after")
    def _reachable(self) -> AtLeastArgs:
        if self.n > len(self.of):
            raise ValueError(f"n is {self.n} but only {len(self.of)} conditions are listed; lower n")
        return self


class AtLeast(Frozen):
    """True when at least n of the listed conditions are true."""

    at_least: AtLeastArgs


class Answered(Frozen):
    """True when the item was shown and has any answer (including 'not sure')."""

    answered: Id


class IsYes(Frozen):
    """Shorthand for ``equals: {item: X, value: yes}`` on a yes/no item."""

    yes: Id


class Equals(Frozen):
    """The item's answer equals the value (for multiple choice: the value was ticked)."""

    equals: ItemValue


class In(Frozen):
    """The answer is one of the values (for multiple choice: any of them was ticked)."""

    in_: ItemValues = Field(alias="in")


class Ge(Frozen):
    """A number or scale answer is at least the value."""

    ge: ItemNumber


class Le(Frozen):
    """A number or scale answer is at most the value."""

    le: ItemNumber


class Between(Frozen):
    """A number or scale answer lies between min and max, both included."""

    between: ItemRange


class FindingRef(Frozen):
    """The named derived finding is true."""

    finding: Id


CONDITION_KEYS = frozenset(
    ("all", "any", "not", "at_least", "answered", "yes", "equals", "in", "ge", "le", "between", "finding")
)


def _condition_tag(value: Any) -> str | None:
    """Pick the condition kind from the single key of the mapping (or the model's own type)."""
    if isinstance(value, dict):
        keys = [k for k in value if k in CONDITION_KEYS]
        return keys[0] if len(keys) == 1 and len(value) == 1 else None
    for tag, cls in _TAG_CLASSES.items():
        if isinstance(value, cls):
            return tag
    return None


Condition = Annotated[
    Union[
        Annotated[AllOf, Tag("all")],
        Annotated[AnyOf, Tag("any")],
        Annotated[Not, Tag("not")],
        Annotated[AtLeast, Tag("at_least")],
        Annotated[Answered, Tag("answered")],
        Annotated[IsYes, Tag("yes")],
        Annotated[Equals, Tag("equals")],
        Annotated[In, Tag("in")],
        Annotated[Ge, Tag("ge")],
        Annotated[Le, Tag("le")],
        Annotated[Between, Tag("between")],
        Annotated[FindingRef, Tag("finding")],
    ],
    Discriminator(
        _condition_tag,
        custom_error_type="condition_kind",
        custom_error_message=(
            "a condition is a mapping with exactly one key: all, any, not, at_least, answered, yes, "
            "equals, in, ge, le, between or finding"
        ),
    ),
]

_TAG_CLASSES: dict[str, type[Frozen]] = {
    "all": AllOf,
    "any": AnyOf,
    "not": Not,
    "at_least": AtLeast,
    "answered": Answered,
    "yes": IsYes,
    "equals": Equals,
    "in": In,
    "ge": Ge,
    "le": Le,
    "between": Between,
    "finding": FindingRef,
}

# No model_rebuild() for the forward references to Condition: every model is built on first use (defer_build),
# by then Condition is defined. A command that loads a stored definition never builds them at all.


# ---------------------------------------------------------------------------------------------
# Items


class Option(Frozen):
    code: Id
    label: Text
    exclusive: bool = False  # "none of these": cannot be ticked together with another option


class ItemBase(Frozen):
    id: Id
    patient: Text  # second person, plain English, for patients reading on their own
    staff: Text  # the words reception reads aloud to the caller: second person, natural speech
    help: Text | None = None  # shown to patients; shown to staff too when there is no staff_help
    staff_help: Text | None = None  # a note for staff, not read aloud: what to listen for, what counts as yes
    required: bool = False
    enable_when: Condition | None = None


class YesNoItem(ItemBase):
    kind: Literal["yes_no"]
    allow_not_sure: bool = False


class SingleChoiceItem(ItemBase):
    kind: Literal["single_choice"]
    options: Annotated[list[Option], Field(min_length=2)]


class MultiChoiceItem(ItemBase):
    kind: Literal["multi_choice"]
    options: Annotated[list[Option], Field(min_length=2)]


class IntegerItem(ItemBase):
    kind: Literal["integer"]
    min: int
    max: int
    unit: Annotated[str, StringConstraints(min_length=1, max_length=40)]

    @model_validator(mode="after")
    def _ordered(self) -> IntegerItem:
        if self.min >= self.max:
            raise ValueError(f"min {self.min} must be below max {self.max}")
        return self


class ScaleItem(ItemBase):
    kind: Literal["scale"]
    min: Literal[0] = 0
    max: Literal[10] = 10
    min_label: Text
    max_label: Text


class TextItem(ItemBase):
    kind: Literal["text"]
    max_length: Annotated[int, Field(ge=1, le=2000)]


class DisplayItem(Frozen):
    id: Id
    kind: Literal["display"]
    patient: Text
    staff: Text
    staff_help: Text | None = None  # what staff should do, not read aloud
    enable_when: Condition | None = None


Item = Annotated[
    Union[YesNoItem, SingleChoiceItem, MultiChoiceItem, IntegerItem, ScaleItem, TextItem, DisplayItem],
    Field(discriminator="kind"),
]


class Section(Frozen):
    id: Id
    title: Text
    intro: Text | None = None  # shown to patients at the top of the section
    staff_intro: Text | None = None  # read aloud by reception when the section starts
    items: Annotated[list[Item], Field(min_length=1)]


class Questionnaire(Frozen):
    id: Id
    version: SemVer
    title: Text
    language: Literal["en-GB"]
    description: Text | None = None
    sections: Annotated[list[Section], Field(min_length=1)]

    def items(self) -> list[Item]:
        """Every item in the order it is asked."""
        return [item for section in self.sections for item in section.items]


# ---------------------------------------------------------------------------------------------
# Ruleset


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
            raise ValueError(f"possible_at {self.possible_at} is above likely_at {self.likely_at}")
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
            raise ValueError(f"missing entries for: {', '.join(missing)}")
        low = [u for u, d in self.when_red_flag_unsure.items() if d.rank < Disposition.ROUTINE_GP.rank]
        if low:
            raise ValueError(
                f"an unanswered or 'not sure' red flag must lead to a GP at least (check {', '.join(low)})"
            )
        if self.unsure_text is not None and len(set(self.when_red_flag_unsure.values())) != 1:
            raise ValueError(
                "unsure_text is one message, so every when_red_flag_unsure entry must lead to the same disposition"
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
