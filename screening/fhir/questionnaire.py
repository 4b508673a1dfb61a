"""The definition as a FHIR R4 Questionnaire."""

from __future__ import annotations

import json

from ..conditions import describe
from ..definition import Definition
from ..model import (
    Condition,
    DisplayItem,
    IntegerItem,
    Item,
    MultiChoiceItem,
    ScaleItem,
    Section,
    SingleChoiceItem,
    YesNoItem,
)
from .codings import (
    DEFAULT_BASE_URL,
    ENABLE_WHEN_CONDITION,
    ENABLE_WHEN_EXPRESSION,
    ITEM_CONTROL,
    ITEM_CONTROL_SYSTEM,
    JSON,
    MAX_VALUE,
    MIN_VALUE,
    OPTION_EXCLUSIVE,
    SLIDER_STEP,
    STAFF_HELP,
    STAFF_INTRO,
    STAFF_WORDING,
    UNIT,
    _coding,
)
from .enable_when import _enable_when, fhirpath


def questionnaire_resource(definition: Definition, *, base_url: str = DEFAULT_BASE_URL) -> JSON:
    """The questionnaire as a FHIR R4 Questionnaire, validated with fhir.resources; ``url|version`` is canonical."""
    q = definition.questionnaire
    resource: JSON = {
        "resourceType": "Questionnaire",
        "id": q.id.replace("_", "-"),  # FHIR ids allow no underscores
        "language": q.language,
        "url": f"{base_url.rstrip('/')}/{q.id}",
        "version": q.version,
        "name": "".join(part.capitalize() for part in q.id.split("_")),
        "title": q.title,
        "status": "active",
        "subjectType": ["Patient"],
    }
    if q.description:
        resource["description"] = q.description
    resource["item"] = [_section(section, definition) for section in q.sections]
    from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire

    FhirQuestionnaire.model_validate(resource)
    return resource


def _section(section: Section, definition: Definition) -> JSON:
    children = [_display(f"{section.id}__intro", section.intro)] if section.intro else []
    children += [_item(item, definition) for item in section.items]
    group: JSON = {}
    if section.staff_intro:
        group["extension"] = [{"url": STAFF_INTRO, "valueString": section.staff_intro}]
    return {**group, "linkId": section.id, "text": section.title, "type": "group", "item": children}


def _display(link_id: str, text: str, control: str | None = None) -> JSON:
    out: JSON = {"extension": [_control(control)]} if control else {}
    return {**out, "linkId": link_id, "text": text, "type": "display"}


def _control(code: str) -> JSON:
    return {"url": ITEM_CONTROL, "valueCodeableConcept": {"coding": [{"system": ITEM_CONTROL_SYSTEM, "code": code}]}}


def _item(item: Item, definition: Definition) -> JSON:
    extensions: list[JSON] = [{"url": STAFF_WORDING, "valueString": item.staff}]
    if item.staff_help:
        extensions.append({"url": STAFF_HELP, "valueString": item.staff_help})
    out: JSON = {"linkId": item.id, "text": item.patient}
    children: list[JSON] = []
    if isinstance(item, DisplayItem):
        out["type"] = "display"
    elif isinstance(item, YesNoItem | SingleChoiceItem | MultiChoiceItem):
        out["type"] = "choice"
        multi = isinstance(item, MultiChoiceItem)
        extensions.append(_control("check-box" if multi else "radio-button"))
        out["answerOption"] = [_option(item, code, definition) for code in item.codes]
        if multi:
            out["repeats"] = True
    elif isinstance(item, IntegerItem | ScaleItem):
        out["type"] = "integer"
        extensions += [{"url": MIN_VALUE, "valueInteger": item.min}, {"url": MAX_VALUE, "valueInteger": item.max}]
        if isinstance(item, IntegerItem):
            extensions.append({"url": UNIT, "valueCoding": {"display": item.unit}})
        else:
            extensions += [_control("slider"), {"url": SLIDER_STEP, "valueInteger": 1}]
            children += [
                _display(f"{item.id}__lower", item.min_label, "lower"),
                _display(f"{item.id}__upper", item.max_label, "upper"),
            ]
    else:  # TextItem
        out["type"] = "text"
        out["maxLength"] = item.max_length
    if not isinstance(item, DisplayItem):
        out["required"] = item.required
        help_text = item.help
        if isinstance(item, ScaleItem):
            # renderers that ignore the lower/upper label controls (LHC-Forms) still show the ends in the help
            ends = f"{item.min_label}; {item.max_label}."
            help_text = f"{help_text} {ends}" if help_text else ends
        if help_text:
            children.append(_display(f"{item.id}__help", help_text, "help"))
    gate = item.enable_when
    if gate is not None:
        extensions.append({"url": ENABLE_WHEN_CONDITION, "valueString": condition_json(gate)})
        mapped = _enable_when(gate, definition)
        if mapped is None:
            expression = {"description": describe(gate), "language": "text/fhirpath"}
            expression["expression"] = fhirpath(gate, definition)
            extensions.append({"url": ENABLE_WHEN_EXPRESSION, "valueExpression": expression})
        else:
            out["enableWhen"], behavior = mapped
            if behavior:
                out["enableBehavior"] = behavior
    if children:
        out["item"] = children
    return {"extension": extensions, **out}


def _option(item: YesNoItem | SingleChoiceItem | MultiChoiceItem, code: str, definition: Definition) -> JSON:
    option: JSON = {"valueCoding": _coding(item, code, definition)}
    if isinstance(item, MultiChoiceItem) and any(o.exclusive for o in item.options if o.code == code):
        option = {"extension": [{"url": OPTION_EXCLUSIVE, "valueBoolean": True}], **option}
    return option


def condition_json(condition: Condition) -> str:
    """A condition as canonical JSON (the YAML form: ``{"yes": "fever"}``)."""
    data = condition.model_dump(by_alias=True, mode="json")
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
