"""The questionnaire: sections of items, each asked of patients and read aloud by staff."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, StringConstraints, model_validator

from ..error_codes import ErrorCode
from .base import NO, NOT_SURE, YES, Frozen, Id, SemVer, Text, invalid
from .conditions import Condition


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

    @property
    def codes(self) -> tuple[str, ...]:
        """Every answer the question takes, in the order it offers them."""
        return (YES, NO, NOT_SURE) if self.allow_not_sure else (YES, NO)


class SingleChoiceItem(ItemBase):
    kind: Literal["single_choice"]
    options: Annotated[list[Option], Field(min_length=2)]

    @property
    def codes(self) -> tuple[str, ...]:
        """Every option's code, in the order they are offered."""
        return tuple(option.code for option in self.options)


class MultiChoiceItem(ItemBase):
    kind: Literal["multi_choice"]
    options: Annotated[list[Option], Field(min_length=2)]

    @property
    def codes(self) -> tuple[str, ...]:
        """Every option's code, in the order they are offered."""
        return tuple(option.code for option in self.options)


class IntegerItem(ItemBase):
    kind: Literal["integer"]
    min: int
    max: int
    unit: Annotated[str, StringConstraints(min_length=1, max_length=40)]

    @model_validator(mode="after")
    def _ordered(self) -> IntegerItem:
        if self.min >= self.max:
            raise invalid(ErrorCode.RANGE_REVERSED, f"min {self.min} must be below max {self.max}")
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
