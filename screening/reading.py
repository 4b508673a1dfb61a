"""Responses as they arrive, in our own format or as an HL7 FHIR QuestionnaireResponse: the one place that tells
the two apart, for files (the CLI, batch, rescore) and for parsed bodies (the API)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .definition import Definition
from .response import HiddenPolicy, Response, parse_response, read_response_file
from .yamlio import Path_


def is_fhir(data: Any) -> bool:
    """True for an HL7 FHIR QuestionnaireResponse rather than a response in our own format."""
    return isinstance(data, dict) and data.get("resourceType") == "QuestionnaireResponse"


def response_from_document(
    definition: Definition,
    data: Any,
    *,
    source: str,
    hidden: HiddenPolicy = "error",
    lines: dict[Path_, int] | None = None,
) -> Response:
    """A checked response from a parsed document of either kind (a FHIR response still in progress is partial:
    an emergency stop)."""
    if is_fhir(data):
        from .fhir import response_from_resource  # FHIR models cost ~250 ms to import: only when needed

        native_lines: dict[Path_, int] = {}  # problems in the answers name the lines of the FHIR file
        native = response_from_resource(definition, data, source=source, lines=lines, native_lines=native_lines)
        stopped_early = data.get("status") == "in-progress"
        return parse_response(
            native, definition, hidden=hidden, source=source, partial=stopped_early, lines=native_lines
        )
    return parse_response(data, definition, hidden=hidden, source=source, lines=lines)


def load_response(path: Path, definition: Definition, *, hidden: HiddenPolicy = "error") -> Response:
    """A response file: our own format, or an HL7 FHIR QuestionnaireResponse (JSON) for this questionnaire."""
    data, lines = read_response_file(path)
    return response_from_document(definition, data, source=str(path), hidden=hidden, lines=lines)
