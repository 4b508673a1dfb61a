"""Responses as they arrive, in our own format or as an HL7 FHIR QuestionnaireResponse: the one place that tells
the two apart, for files (the CLI, batch, rescore) and for parsed bodies (the API)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .answersheet import AnswerSheet, HiddenPolicy, plain_sheet, read_response_file
from .definition import Definition
from .yamlio import Path_

if TYPE_CHECKING:
    from .response import Response


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
    from .response import parse_response  # the pydantic models: only when a Response is needed

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


def load_answers(path: Path, definition: Definition, *, hidden: HiddenPolicy = "error") -> AnswerSheet | Response:
    """What the scorer needs of a response file: a plain answer sheet when the file has nothing wrong with it
    (no pydantic model is built), else the file read in full by ``load_response`` (which reports any problem)."""
    data, lines = read_response_file(path)
    sheet = None if is_fhir(data) else plain_sheet(data, definition, hidden=hidden)
    if sheet is not None:
        return sheet
    return response_from_document(definition, data, source=str(path), hidden=hidden, lines=lines)
