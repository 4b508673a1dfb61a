"""JSON Schema for response files, with the answers of the given questionnaire spelled out."""

from __future__ import annotations

from typing import Any

from .definition import Definition
from .model import DisplayItem, IntegerItem, MultiChoiceItem, ScaleItem, SingleChoiceItem, TextItem, YesNoItem
from .response import Response


def answer_schema(item: Any) -> dict[str, Any]:
    """The JSON Schema of one item's answer."""
    schema: dict[str, Any]
    if isinstance(item, YesNoItem | SingleChoiceItem):
        schema = {"enum": list(item.codes)}
    elif isinstance(item, MultiChoiceItem):
        schema = {"type": "array", "uniqueItems": True, "items": {"enum": list(item.codes)}}
    elif isinstance(item, IntegerItem | ScaleItem):
        schema = {"type": "integer", "minimum": item.min, "maximum": item.max}
    elif isinstance(item, TextItem):
        schema = {"type": "string", "maxLength": item.max_length}
    else:  # pragma: no cover - display items are skipped by the caller
        schema = {}
    schema["description"] = item.patient
    return schema


def response_schema(definition: Definition) -> dict[str, Any]:
    q = definition.questionnaire
    schema = Response.model_json_schema()
    schema["title"] = f"Response to {q.id} {q.version}"
    schema["properties"]["questionnaire"] = {"const": q.id}
    schema["properties"]["answers"] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            i: answer_schema(item) for i, item in definition.items.items() if not isinstance(item, DisplayItem)
        },
    }
    return schema
