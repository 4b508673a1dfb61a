"""Submissions, their follow-up status, their PDFs and the audit log, on top of the tables in ``db``."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import uuid
from collections.abc import Sequence

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, instrumentation
from sqlalchemy.sql.dml import Insert

from ..definition import Definition
from ..plan import definition_tables
from ..response import Response
from ..scorer import CompactResult, assess_compact
from .alerts import enqueue_alert
from .archive import insert_ignoring_duplicates, rule_digits, store_definitions
from .db import STATUSES, AuditEvent, Pdf, StatusChange, Submission, pack_response, table, utcnow
from .pdf_queue import queue_pdf

KEY_MAX_LENGTH = 255  # longer idempotency keys are refused (the API answers 400)


def idempotency_digest(scope: str, key: str, fingerprint: str = "") -> str:
    """What is stored for an idempotency key: a SHA-256, so any key up to the maximum fits the column.

    ``scope`` keeps keys of different channels and clients apart. When a ``fingerprint`` of the request is part
    of the digest, the same key with different answers is simply a different submission (the web forms); without
    it, the key alone is unique and the caller compares fingerprints itself (the API answers 409).
    """
    return hashlib.sha256("\x00".join((scope, key, fingerprint)).encode("utf-8")).hexdigest()


def response_fingerprint(response: Response, *, complete: bool, supersedes: str | None = None) -> str:
    """A SHA-256 of everything a form submission says (answers, patient, respondent), but not when it was sent."""
    document = response.model_dump(mode="json", exclude={"collected_at"})
    document["complete"], document["supersedes"] = complete, supersedes
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def submit(
    db: Session,
    definition: Definition,
    response: Response,
    *,
    result: CompactResult | None = None,
    channel: str,
    actor: str,
    action: str,
    detail: str = "",
    created_by: str | None = None,
    idempotency_key: str | None = None,
    request_sha256: str | None = None,
    complete: bool = True,
    supersedes: str | None = None,
    consent_notice_version: str | None = None,
) -> tuple[Submission, bool]:
    """Assess a response, store it once, record it in the audit log and commit: how every submission is made.

    ``result`` is the response's compact assessment when the caller has it already.
    Returns the row and whether it is new; a repeated idempotency key returns the first row (and False) and
    records nothing. The audit detail is ``detail``, else the disposition. Whatever the caller added to the
    session before is committed with it.
    """
    result = result or assess_compact(definition, response)
    row, created = record_submission(
        db,
        definition,
        response,
        result,
        channel=channel,
        created_by=created_by,
        idempotency_key=idempotency_key,
        request_sha256=request_sha256,
        complete=complete,
        supersedes=supersedes,
        consent_notice_version=consent_notice_version,
    )
    if created:
        audit(db, actor, action, row.id, detail or f"disposition={row.disposition}")
    db.commit()
    return row, created


def record_submission(
    db: Session,
    definition: Definition,
    response: Response,
    result: CompactResult,
    *,
    channel: str,
    created_by: str | None = None,
    idempotency_key: str | None = None,
    request_sha256: str | None = None,
    complete: bool = True,
    supersedes: str | None = None,
    consent_notice_version: str | None = None,
) -> tuple[Submission, bool]:
    """Store a submission once (one INSERT, no unit of work); a repeated idempotency key returns the first one.

    The row keeps the response, the compact result and the sha256 of the definitions, which are stored too
    when this is the first submission to use them (see ``archive``). ``idempotency_key`` is the stored digest
    (``idempotency_digest``); ``request_sha256`` fingerprints the request so that a caller can tell a true
    retry from a new request under an old key.
    """
    store_definitions(db, definition)
    p = definition_tables(definition).provenance
    now = utcnow()
    values = {
        "id": uuid.uuid4().hex,
        "created_at": now,
        "channel": channel,
        "respondent": response.respondent,
        "created_by": created_by,
        "patient_name": response.patient.name if response.patient else None,
        "complete": complete,
        "disposition": result.disposition.value,
        "likelihood": result.grade.value,
        "red_flags": " ".join(result.red_flags),
        "consent_notice_version": consent_notice_version,
        "consent_at": now if consent_notice_version is not None else None,
        "response": pack_response(compact_response_json(response)),
        "points": result.points,
        "unknown_points": result.unknown_points,
        "rule_results": rule_digits(result),
        "legacy_assessment_json": None,
        "questionnaire_id": p.questionnaire_id,
        "questionnaire_version": p.questionnaire_version,
        "questionnaire_sha256": p.questionnaire_sha256,
        "ruleset_id": p.ruleset_id,
        "ruleset_version": p.ruleset_version,
        "ruleset_sha256": p.ruleset_sha256,
        "engine_version": p.engine_version,
        "idempotency_key": idempotency_key or None,
        "request_sha256": request_sha256,
        "supersedes_id": supersedes,
    }
    # the unique key decides: no look-up first, so a double click cannot slip between the two
    # the values go as parameters of one cached statement: built with .values(...) the statement's cache key
    # would be worked out over every value on each call (about a quarter of an intake's CPU)
    # on the session's connection: Core statements need nothing of the ORM's execute (a tenth of the store's CPU)
    connection = db.connection()
    if connection.execute(_new_submission(connection.dialect.name), values).first() is None:  # the key exists
        found = db.scalar(select(Submission).where(Submission.idempotency_key == idempotency_key))
        if found is None:  # pragma: no cover - nothing else can conflict
            raise RuntimeError("a submission could not be stored")
        return found, False
    row = _as_row(values)  # what was inserted, for the caller to read (not added to the session)
    enqueue_alert(db, row)  # emergency and urgent ones: in this transaction, sent after it commits
    queue_pdf(db, row.id)  # its referral PDF, rendered by a worker once this transaction commits
    return row, True


_SUBMISSIONS = instrumentation.manager_of_class(Submission)


def _as_row(values: dict[str, object]) -> Submission:
    """A Submission holding ``values``, outside any session, made as the ORM makes the rows it loads: calling the
    class instead runs an attribute event per column (about 27 µs against 1 µs)."""
    row: Submission = _SUBMISSIONS.new_instance()
    row.__dict__.update(values)
    return row


@functools.cache
def _new_submission(dialect: str) -> Insert:
    """The INSERT of a submission for this kind of database, built once."""
    statement = insert_ignoring_duplicates(dialect, Submission, "idempotency_key")
    return statement.returning(table(Submission).c.id)


def compact_response_json(response: Response) -> str:
    """The response as stored: JSON without spaces or indentation (read back with ``model_validate_json``)."""
    return response.model_dump_json()


def find_submission(db: Session, submission_id: str) -> Submission | None:
    """The submission with this id, or None (ids are 32 hex characters; anything else is not looked up)."""
    return db.get(Submission, submission_id) if len(submission_id) == 32 else None


def access_token(secret: bytes, submission_id: str) -> str:
    """The unguessable token in a patient's result link: an HMAC of the submission id, so nothing is stored."""
    return hmac.new(secret, f"result:{submission_id}".encode(), hashlib.sha256).hexdigest()[:40]


def token_matches(secret: bytes, submission_id: str, token: str) -> bool:
    return hmac.compare_digest(access_token(secret, submission_id), token)


def latest_status(db: Session, submission_ids: Sequence[str]) -> dict[str, StatusChange]:
    if not submission_ids:
        return {}
    newest = (
        select(StatusChange.submission_id, func.max(StatusChange.id).label("id"))
        .where(StatusChange.submission_id.in_(submission_ids))
        .group_by(StatusChange.submission_id)
        .subquery()
    )
    rows = db.scalars(select(StatusChange).join(newest, StatusChange.id == newest.c.id))
    return {row.submission_id: row for row in rows}


def status_history(db: Session, submission_id: str) -> list[StatusChange]:
    return list(
        db.scalars(select(StatusChange).where(StatusChange.submission_id == submission_id).order_by(StatusChange.id))
    )


def set_status(db: Session, submission_id: str, status: str, by: str, note: str = "") -> StatusChange:
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    change = StatusChange(submission_id=submission_id, status=status, changed_by=by, changed_at=utcnow(), note=note)
    db.add(change)
    db.flush()
    return change


def versions_of(db: Session, submission: Submission) -> list[Submission]:
    """Every version in the chain of corrections this submission belongs to, oldest first."""
    first = submission
    while first.supersedes_id:
        parent = db.get(Submission, first.supersedes_id)
        if parent is None:
            break
        first = parent
    chain = [first]
    while True:
        nxt = db.scalar(select(Submission).where(Submission.supersedes_id == chain[-1].id))
        if nxt is None:
            return chain
        chain.append(nxt)


_AUDIT = insert(table(AuditEvent))  # one statement, compiled once: the values go as its parameters


def audit(db: Session, actor: str, action: str, submission_id: str | None = None, detail: str = "") -> None:
    """Record who did what in the caller's transaction (written at once, not at the next flush: the ORM's unit
    of work cost a submission about a tenth of its CPU)."""
    values = {"at": utcnow(), "actor": actor, "action": action, "submission_id": submission_id, "detail": detail}
    db.connection().execute(_AUDIT, values)


def stored_pdf(db: Session, submission_id: str) -> bytes | None:
    row = db.get(Pdf, submission_id)
    return row.data if row else None


def keep_pdf(db: Session, submission_id: str, data: bytes) -> None:
    if db.get(Pdf, submission_id) is None:
        try:
            with db.begin_nested():
                db.add(Pdf(submission_id=submission_id, rendered_at=utcnow(), data=data))
        except IntegrityError:
            pass  # rendered at the same moment by another request
