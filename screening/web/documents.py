"""Rebuilding a stored submission's response and assessment, and its referral PDF (rendered once by a worker, then
kept)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import HTTPException
from fastapi.responses import Response as HttpResponse
from sqlalchemy.orm import Session

from ..assessment import Assessment, assessment_from_json
from ..definition import Definition
from ..report import questionnaire_response_json, render_pdf
from ..response import Response
from .db import Submission
from .jobs import ask_again
from .store import audit, keep_pdf, stored_pdf

if TYPE_CHECKING:  # app imports this module
    from .deps import Services


class StaleDefinition(Exception):
    """The submission was made with a questionnaire or ruleset other than the one being served."""


def response_of(row: Submission) -> Response:
    return Response.model_validate_json(row.response_json)


def assessment_of(row: Submission) -> Assessment:
    return assessment_from_json(row.assessment_json)


def pdf_name(row: Submission) -> str:
    return f"screening-summary-{row.created_at:%Y-%m-%d}-{row.id[:8]}.pdf"


def download(body: bytes | str, media_type: str, filename: str) -> HttpResponse:
    """A file for the browser to save under ``filename`` (never shown inline)."""
    return HttpResponse(
        body, media_type=media_type, headers={"content-disposition": f'attachment; filename="{filename}"'}
    )


def submission_pdf(services: Services, db: Session, row: Submission) -> bytes:
    """The stored PDF, or a new one rendered from the stored response and assessment and kept (by a worker, see
    ``jobs``: ``services`` can be a ``jobs.RenderContext``)."""
    data = stored_pdf(db, row.id)
    if data is not None:
        return data
    definition = services.definition
    if (row.questionnaire_sha256, row.ruleset_sha256) != (
        definition.questionnaire_sha256,
        definition.ruleset_sha256,
    ):
        raise StaleDefinition(row.id)
    response, assessment, created_at, row_id = response_of(row), assessment_of(row), row.created_at, row.id
    completed_by = row.created_by if row.channel == "staff" else None  # the staff member who asked the questions
    db.commit()  # hand the connection back while rendering
    with services.pdf_lock:  # one render at a time: WeasyPrint shares its font configuration
        data = render_pdf(
            definition,
            response,
            assessment,
            services.clinic,
            generated_at=created_at,
            reference=row_id[:8],
            completed_by=completed_by,
        )
    keep_pdf(db, row_id, data)
    db.commit()
    return data


def patient_summary_download(services: Services, db: Session, row: Submission, stale: str) -> HttpResponse:
    """The patient's own plain-English summary (rendered each time: the kept PDF is the clinician's referral)."""
    definition = services.definition
    if (row.questionnaire_sha256, row.ruleset_sha256) != (definition.questionnaire_sha256, definition.ruleset_sha256):
        raise HTTPException(409, stale)
    response, assessment, created_at, row_id = response_of(row), assessment_of(row), row.created_at, row.id
    name = pdf_name(row).replace("screening-summary", "your-headache-screening")
    audit(db, "patient", "patient_summary_download", row_id)
    db.commit()  # hand the connection back while rendering
    with services.pdf_lock:  # one render at a time: WeasyPrint shares its font configuration
        data = render_pdf(
            definition,
            response,
            assessment,
            services.clinic,
            generated_at=created_at,
            reference=row_id[:8].upper(),
            audience="patient",
        )
    return download(data, "application/pdf", name)


def questionnaire_response_body(definition: Definition, row: Submission) -> str:
    """The stored answers as an HL7 FHIR R4 QuestionnaireResponse (JSON text)."""
    return questionnaire_response_json(definition, response_of(row), complete=row.complete)


def pdf_download(services: Services, db: Session, row: Submission, actor: str, stale: str) -> HttpResponse | None:
    """The submission's PDF for download, recorded in the audit log; ``stale`` is said (409) if it cannot be made.

    None while a worker is still preparing it (see ``jobs``): requests never render a referral themselves.
    """
    data = stored_pdf(db, row.id)
    if data is None:
        served = services.definition
        if (row.questionnaire_sha256, row.ruleset_sha256) != (served.questionnaire_sha256, served.ruleset_sha256):
            raise HTTPException(409, stale)
        ask_again(db, row.id)  # on its way already, as a rule; this makes sure, and makes it due now
        db.commit()
        return None
    audit(db, actor, "pdf_download", row.id)
    db.commit()
    return download(data, "application/pdf", pdf_name(row))
