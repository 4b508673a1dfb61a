"""The addresses, code systems and codings that the FHIR export and import share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..definition import Definition
from ..error_codes import ErrorCode
from ..labels import YES_NO_WORDS
from ..model import (
    Item,
    MultiChoiceItem,
    SingleChoiceItem,
    YesNoItem,
)

ROOT = "https://screening.invalid/fhir"
DEFAULT_BASE_URL = f"{ROOT}/Questionnaire"
YES_NO_SYSTEM = f"{ROOT}/CodeSystem/yes-no-not-sure"
STAFF_WORDING = f"{ROOT}/StructureDefinition/staff-wording"
STAFF_HELP = f"{ROOT}/StructureDefinition/staff-help"
STAFF_INTRO = f"{ROOT}/StructureDefinition/staff-intro"
ENABLE_WHEN_CONDITION = f"{ROOT}/StructureDefinition/enable-when-condition"

_HL7 = "http://hl7.org/fhir/StructureDefinition"
MIN_VALUE = f"{_HL7}/minValue"
MAX_VALUE = f"{_HL7}/maxValue"
UNIT = f"{_HL7}/questionnaire-unit"
ITEM_CONTROL = f"{_HL7}/questionnaire-itemControl"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"
SLIDER_STEP = f"{_HL7}/questionnaire-sliderStepValue"
OPTION_EXCLUSIVE = f"{_HL7}/questionnaire-optionExclusive"
ENABLE_WHEN_EXPRESSION = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression"

YES_NO_LABELS = YES_NO_WORDS  # the display of each yes/no coding: the words shown everywhere else
HELPER_SUFFIXES = ("__help", "__lower", "__upper", "__intro")
PATIENT_ID = "patient"

JSON = dict[str, Any]
Report = Callable[[str, str, str, ErrorCode], None]  # (subject, message, fix, code)


def option_system(questionnaire_id: str, item_id: str) -> str:
    """The code system of one question's options."""
    return f"{ROOT}/CodeSystem/{questionnaire_id}/{item_id}"


def is_questionnaire_response(data: Any) -> bool:
    """True for a FHIR QuestionnaireResponse (as parsed JSON), so callers can tell it from a native response."""
    return isinstance(data, dict) and data.get("resourceType") == "QuestionnaireResponse"


def _coding(item: Item, code: str, definition: Definition) -> JSON:
    if isinstance(item, YesNoItem):
        return {"system": YES_NO_SYSTEM, "code": code, "display": YES_NO_LABELS.get(code, code)}
    labels = {o.code: o.label for o in item.options} if isinstance(item, SingleChoiceItem | MultiChoiceItem) else {}
    coding = {"system": option_system(definition.questionnaire.id, item.id), "code": code}
    return {**coding, "display": labels[code]} if code in labels else coding
