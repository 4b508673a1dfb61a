"""The definition format: questionnaires and rulesets as frozen pydantic models.

Conditions are data. Each one is a mapping with a single key naming the operator, so a rule reads as
plain YAML (``all: [{yes: neck_stiffness}, {in: {item: side, values: [left, right]}}]``) and nothing
is ever evaluated as a string.

``base`` holds the shared vocabulary, ``conditions`` the condition kinds, ``items`` the questionnaire and
``ruleset`` the rules; every name is importable from here.
"""

from __future__ import annotations

from .base import NO, NOT_SURE, YES, Disposition, Frozen, Id, Likelihood, SemVer, Text, Urgency
from .conditions import (
    CONDITION_KEYS,
    AllOf,
    Answered,
    AnyOf,
    AtLeast,
    AtLeastArgs,
    Between,
    Condition,
    Equals,
    FindingRef,
    Ge,
    In,
    IsYes,
    ItemNumber,
    ItemRange,
    ItemValue,
    ItemValues,
    Le,
    Not,
)
from .items import (
    DisplayItem,
    IntegerItem,
    Item,
    ItemBase,
    MultiChoiceItem,
    Option,
    Questionnaire,
    ScaleItem,
    Section,
    SingleChoiceItem,
    TextItem,
    YesNoItem,
)
from .ruleset import (
    Differential,
    DispositionPolicy,
    DispositionText,
    Feature,
    Finding,
    GradeCap,
    Grading,
    QuestionnaireRef,
    RedFlag,
    Ruleset,
)

__all__ = [
    "CONDITION_KEYS",
    "NO",
    "NOT_SURE",
    "YES",
    "AllOf",
    "Answered",
    "AnyOf",
    "AtLeast",
    "AtLeastArgs",
    "Between",
    "Condition",
    "Differential",
    "DisplayItem",
    "Disposition",
    "DispositionPolicy",
    "DispositionText",
    "Equals",
    "Feature",
    "Finding",
    "FindingRef",
    "Frozen",
    "Ge",
    "GradeCap",
    "Grading",
    "Id",
    "In",
    "IntegerItem",
    "IsYes",
    "Item",
    "ItemBase",
    "ItemNumber",
    "ItemRange",
    "ItemValue",
    "ItemValues",
    "Le",
    "Likelihood",
    "MultiChoiceItem",
    "Not",
    "Option",
    "Questionnaire",
    "QuestionnaireRef",
    "RedFlag",
    "Ruleset",
    "ScaleItem",
    "Section",
    "SemVer",
    "SingleChoiceItem",
    "Text",
    "TextItem",
    "Urgency",
    "YesNoItem",
]
