"""Conditions as data: each one a mapping with a single key naming the operator."""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import Discriminator, Field, Tag, model_validator

from ..error_codes import ErrorCode
from .base import Frozen, Id, invalid


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
            raise invalid(ErrorCode.RANGE_REVERSED, f"min {self.min} is above max {self.max}; swap them")
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
            message = f"n is {self.n} but only {len(self.of)} conditions are listed; lower n"
            raise invalid(ErrorCode.AT_LEAST_TOO_MANY, message)
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
