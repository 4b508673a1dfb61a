"""Rebuilding a stored submission's response and assessment, and its referral PDF (rendered once by a worker, then
kept)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fastapi import HTTPException
from fastapi.responses import Response as HttpResponse
from sqlalchemy.orm import Session

from ..assessment import Assessment
from ..definition import Definition
from ..errors import RenderBusy
from ..report import questionnaire_response_json, render_pdf
from ..response import Response
from .archive import RebuildError, assessment_of, response_of, row_definition
from .db import Submission
from .pdf_queue import ask_again
from .store import audit, keep_pdf, stored_pdf

if TYPE_CHECKING:  # app imports this module
    from .deps import Services


RENDER_WAIT = 60.0  # seconds to wait for another render to finish before giving up (a render takes about one)


@contextmanager
def render_turn(services: Services) -> Iterator[None]:
    """One render at a time (WeasyPrint shares its font configuration), never waiting for ever: a render that
    hangs costs the requests behind it an error they can retry, not a thread each."""
    if not services.pdf_lock.acquire(timeout=RENDER_WAIT):
        raise RenderBusy
    try:
        yield
    finally:
        services.pdf_lock.release()


class StaleDefinition(Exception):
    """The questionnaire or ruleset the submission was scored with is not stored (an old row kept as it was)."""


def _scored_with(services: Services, db: Session, row: Submission) -> tuple[Definition, Response, Assessment]:
    """The definition the submission was scored with (the one served, or the stored one it names), its response
    and its assessment, rebuilt under that definition."""
    try:
        definition = row_definition(db, row, services.definition)
        return definition, response_of(row), assessment_of(db, row, definition)
    except RebuildError:
        raise StaleDefinition(row.id) from None


def _rendered(
    services: Services, scored: tuple[Definition, Response, Assessment], created_at: datetime, **options: Any
) -> bytes:
    """A PDF of a stored submission as it was scored, rendered in its turn (``render_turn``)."""
    definition, response, assessment = scored
    with render_turn(services):
        return render_pdf(definition, response, assessment, services.clinic, generated_at=created_at, **options)


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
    scored = _scored_with(services, db, row)
    created_at, row_id = row.created_at, row.id
    completed_by = row.created_by if row.channel == "staff" else None  # the staff member who asked the questions
    db.commit()  # hand the connection back while rendering
    # a worker whose turn does not come (RenderBusy) tries again later
    data = _rendered(services, scored, created_at, reference=row_id[:8], completed_by=completed_by)
    keep_pdf(db, row_id, data)
    db.commit()
    return data


def patient_summary_download(services: Services, db: Session, row: Submission, stale: str) -> HttpResponse:
    """The patient's own plain-English summary (rendered each time: the kept PDF is the clinician's referral)."""
    try:
        scored = _scored_with(services, db, row)
    except StaleDefinition:
        raise HTTPException(409, stale) from None
    created_at, row_id = row.created_at, row.id
    name = pdf_name(row).replace("screening-summary", "your-headache-screening")
    audit(db, "patient", "patient_summary_download", row_id)
    db.commit()  # hand the connection back while rendering
    try:
        data = _rendered(services, scored, created_at, reference=row_id[:8].upper(), audience="patient")
    except RenderBusy:
        message = "Your summary could not be prepared just now. Please try again in a minute."
        raise HTTPException(503, message, headers={"Retry-After": "60"}) from None
    return download(data, "application/pdf", name)


def questionnaire_response_body(services: Services, db: Session, row: Submission) -> str:
    """The stored answers as an HL7 FHIR R4 QuestionnaireResponse (JSON text), for the questionnaire they answered
    (the one served when an old row's questionnaire is not stored)."""
    try:
        definition = row_definition(db, row, services.definition)
    except RebuildError:
        definition = services.definition
    return questionnaire_response_json(definition, response_of(row), complete=row.complete)


def pdf_download(services: Services, db: Session, row: Submission, actor: str, stale: str) -> HttpResponse | None:
    """The submission's PDF for download, recorded in the audit log; ``stale`` is said (409) if it cannot be made
    (an old row whose definitions were not stored).

    None while a worker is still preparing it (see ``jobs``): requests never render a referral themselves.
    """
    data = stored_pdf(db, row.id)
    if data is None:
        try:
            row_definition(db, row, services.definition)
        except RebuildError:
            raise HTTPException(409, stale) from None
        ask_again(db, row.id)  # on its way already, as a rule; this makes sure, and makes it due now
        db.commit()
        return None
    audit(db, actor, "pdf_download", row.id)
    db.commit()
    return download(data, "application/pdf", pdf_name(row))
