"""JSON API for clinic systems: submit a response, fetch its assessment and its PDF. Bearer-token authentication."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ..assessment import assessment_json
from ..definition import Definition
from ..errors import Problem, ResponseError
from ..jsonio import loads_strict
from ..reading import response_from_document
from ..response import is_complete
from ..schema import response_schema
from . import store
from .archive import RebuildError, assessment_of
from .auth import api_token_name
from .db import Submission
from .deps import body_bytes, database, release, services
from .documents import pdf_download, questionnaire_response_body
from .store import KEY_MAX_LENGTH, audit, find_submission, idempotency_digest

router = APIRouter(prefix="/api/v1", tags=["submissions"])
_bearer = HTTPBearer(auto_error=False, description="A token made with `screening token add NAME`.")


class ProblemOut(BaseModel):
    code: str = Field(description="the problem's stable code, such as SCR309 (see docs/error-codes.md)")
    location: str = Field(description="where: 'answers.ITEM', a top-level key, or '' for the whole body")
    subject: str
    message: str
    fix: str = ""


class ErrorOut(BaseModel):
    detail: str
    errors: list[ProblemOut] = []


class Versions(BaseModel):
    id: str
    version: str
    sha256: str


class SubmissionOut(BaseModel):
    id: str
    created_at: datetime
    channel: str
    complete: bool
    disposition: str
    likelihood: str
    red_flags: list[str]
    questionnaire: Versions
    ruleset: Versions
    engine_version: str
    supersedes: str | None
    pdf_url: str
    assessment: dict[str, Any] = Field(description="the full assessment, as printed by `screening score --json`")


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "missing or unknown token"},
    404: {"model": ErrorOut, "description": "no such submission"},
}


def error_response(status: int, detail: str, errors: list[ProblemOut] | None = None, **kw: Any) -> JSONResponse:
    headers = kw.get("headers")
    body = ErrorOut(detail=detail, errors=errors or []).model_dump()
    return JSONResponse(body, status_code=status, headers=headers)


def api_client(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    db: Session = Depends(database),
) -> str:
    name = api_token_name(db, credentials.credentials) if credentials else None
    release(db)  # before the route runs in another worker thread
    if name is None:
        raise HTTPException(401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    return name


def _submission(db: Session, submission_id: str) -> Submission:
    row = find_submission(db, submission_id)
    if row is None:
        raise HTTPException(404, "no such submission")
    return row


def _out(db: Session, definition: Definition, row: Submission) -> SubmissionOut:
    try:
        assessment = assessment_of(db, row, definition)  # rebuilt under the definitions it was scored with
    except RebuildError as exc:
        raise HTTPException(409, f"the assessment of this submission cannot be worked out here: {exc}") from None
    return SubmissionOut(
        id=row.id,
        created_at=row.created_at,
        channel=row.channel,
        complete=row.complete,
        disposition=row.disposition,
        likelihood=row.likelihood,
        red_flags=row.red_flags.split(),
        questionnaire=Versions(
            id=row.questionnaire_id, version=row.questionnaire_version, sha256=row.questionnaire_sha256
        ),
        ruleset=Versions(id=row.ruleset_id, version=row.ruleset_version, sha256=row.ruleset_sha256),
        engine_version=row.engine_version,
        supersedes=row.supersedes_id,
        pdf_url=f"/api/v1/submissions/{row.id}/summary.pdf",
        assessment=json.loads(assessment_json(assessment)),
    )


def _location(problem: Problem, body: Any) -> str:
    subject = problem.subject
    if subject.startswith("item '"):
        return "answers." + subject.removeprefix("item '").removesuffix("'")
    if isinstance(body, dict):  # a problem with a top-level key such as collected_at names it first
        return next((key for key in body if isinstance(key, str) and problem.message.startswith(f"'{key}'")), "")
    return ""


def request_body(definition: Definition) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": response_schema(definition)}}}


@router.post(
    "/submissions",
    status_code=201,
    response_model=SubmissionOut,
    responses={
        **ERRORS,
        400: {"model": ErrorOut, "description": "the body is not JSON, or the Idempotency-Key is too long"},
        409: {"model": ErrorOut, "description": "the Idempotency-Key was already used with a different body"},
        422: {"model": ErrorOut, "description": "the response does not fit the questionnaire; every problem listed"},
    },
    summary="Submit a response and get its assessment",
    description="The body is a response document (see `screening schema`) or an HL7 FHIR R4 "
    "QuestionnaireResponse for the questionnaire at `/api/v1/fhir/Questionnaire`. Send an `Idempotency-Key` header "
    "to make retries safe (at most 255 characters): the same key with the same body returns the first submission with "
    "status 200; the same key with a different body is refused with 409.",
)
def submit(
    request: Request,
    body: bytes = Depends(body_bytes),
    client: str = Depends(api_client),
    db: Session = Depends(database),
) -> Response:
    s = services(request)
    try:
        data = loads_strict(body)
    except json.JSONDecodeError as exc:
        return error_response(400, f"the body must be a JSON response document: {exc.msg} (line {exc.lineno})")
    except UnicodeDecodeError:
        return error_response(400, "the body must be a JSON response document in UTF-8")
    key = request.headers.get("idempotency-key", "").strip()
    if len(key) > KEY_MAX_LENGTH:
        return error_response(400, f"the Idempotency-Key header must be at most {KEY_MAX_LENGTH} characters long")
    # the fingerprint of the request: the body as JSON in a canonical form (key order and spacing do not matter)
    fingerprint = hashlib.sha256(
        json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    ).hexdigest()
    try:
        response = response_from_document(s.definition, data, source="body")
    except ResponseError as exc:
        problems = [
            ProblemOut(code=p.code.code, location=_location(p, data), subject=p.subject, message=p.message, fix=p.fix)
            for p in exc.problems
        ]
        return error_response(422, f"{len(problems)} problem(s) in the response", problems)
    row, created = store.submit(
        db,
        s.definition,
        response,
        channel="api",
        actor=f"api:{client}",
        action="api_submit",
        created_by=client,
        idempotency_key=idempotency_digest(f"api:{client}", key) if key else None,
        request_sha256=fingerprint,
        complete=is_complete(s.definition, response),  # a FHIR response "in-progress" stopped early
    )
    if not created and row.request_sha256 != fingerprint:
        return error_response(
            409,
            "this Idempotency-Key was already used for a different request body; send a new key for a new "
            "submission (a retry must repeat the first body exactly)",
        )
    return JSONResponse(_out(db, s.definition, row).model_dump(mode="json"), status_code=201 if created else 200)


@router.get("/submissions/{submission_id}", response_model=SubmissionOut, responses=ERRORS, summary="A submission")
def get_submission(
    request: Request, submission_id: str, client: str = Depends(api_client), db: Session = Depends(database)
) -> Any:
    row = _submission(db, submission_id)
    out = _out(db, services(request).definition, row)
    audit(db, f"api:{client}", "view", row.id)
    db.commit()
    return out


@router.get(
    "/submissions/{submission_id}/summary.pdf",
    response_class=Response,
    responses={**ERRORS, 200: {"content": {"application/pdf": {}}, "description": "the referral summary (PDF/A-3b)"}},
    summary="The referral summary PDF",
)
def get_pdf(
    request: Request, submission_id: str, client: str = Depends(api_client), db: Session = Depends(database)
) -> Response:
    row = _submission(db, submission_id)
    return pdf_download(
        services(request),
        db,
        row,
        f"api:{client}",
        "the questionnaire this submission was made with is not stored here; the PDF cannot be rendered",
    )


@router.get(
    "/fhir/Questionnaire",
    summary="The questionnaire as an HL7 FHIR R4 Questionnaire",
    responses={**ERRORS, 200: {"content": {"application/fhir+json": {}}, "description": "a FHIR Questionnaire"}},
    response_class=Response,
)
def fhir_questionnaire(request: Request, client: str = Depends(api_client)) -> Response:
    from ..fhir import questionnaire_resource

    resource = questionnaire_resource(services(request).definition)
    return Response(json.dumps(resource, ensure_ascii=False), media_type="application/fhir+json")


@router.get(
    "/submissions/{submission_id}/questionnaire-response.json",
    summary="A submission's answers as an HL7 FHIR R4 QuestionnaireResponse",
    responses={**ERRORS, 200: {"content": {"application/fhir+json": {}}, "description": "a QuestionnaireResponse"}},
    response_class=Response,
)
def get_questionnaire_response(
    request: Request, submission_id: str, client: str = Depends(api_client), db: Session = Depends(database)
) -> Response:
    row = _submission(db, submission_id)
    body = questionnaire_response_body(services(request), db, row)
    audit(db, f"api:{client}", "fhir_download", row.id)
    db.commit()
    return Response(body, media_type="application/fhir+json")
