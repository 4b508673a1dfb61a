"""Submissions, their follow-up status, their PDFs and the audit log, on top of the tables in ``db``."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, tzinfo

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..assessment import Assessment, assessment_json
from ..response import Response, response_json
from .alerts import enqueue_alert
from .db import STATUSES, AuditEvent, Pdf, StatusChange, Submission, utcnow
from .jobs import queue_pdf
from .localtime import day_after, day_start
from .names import search_form

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


def record_submission(
    db: Session,
    response: Response,
    assessment: Assessment,
    *,
    channel: str,
    created_by: str | None = None,
    idempotency_key: str | None = None,
    request_sha256: str | None = None,
    complete: bool = True,
    supersedes: str | None = None,
) -> tuple[Submission, bool]:
    """Store a submission once. A repeated idempotency key returns the first one (and False).

    ``idempotency_key`` is the stored digest (``idempotency_digest``); ``request_sha256`` fingerprints the request
    so that a caller can tell a true retry from a new request under an old key. Call it before anything else is
    added to the session: a duplicate key rolls the session back.
    """
    p = assessment.provenance
    row = Submission(
        id=uuid.uuid4().hex,
        created_at=utcnow(),
        channel=channel,
        respondent=response.respondent,
        created_by=created_by,
        patient_name=response.patient.name if response.patient else None,
        complete=complete,
        disposition=assessment.disposition.value,
        likelihood=assessment.likelihood.grade.value,
        red_flags=" ".join(flag.id for flag in assessment.red_flags),
        response_json=response_json(response),
        assessment_json=assessment_json(assessment),
        questionnaire_id=p.questionnaire_id,
        questionnaire_version=p.questionnaire_version,
        questionnaire_sha256=p.questionnaire_sha256,
        ruleset_id=p.ruleset_id,
        ruleset_version=p.ruleset_version,
        ruleset_sha256=p.ruleset_sha256,
        engine_version=p.engine_version,
        idempotency_key=idempotency_key or None,
        request_sha256=request_sha256,
        supersedes_id=supersedes,
    )
    db.add(row)
    try:
        db.flush()  # the unique key decides: no look-up first, so a double click cannot slip between the two
    except IntegrityError:
        db.rollback()
        found = db.scalar(select(Submission).where(Submission.idempotency_key == idempotency_key))
        if found is None or not idempotency_key:
            raise
        return found, False
    enqueue_alert(db, row)  # emergency and urgent ones: in this transaction, sent after it commits
    queue_pdf(db, row.id)  # its referral PDF, rendered by a worker once this transaction commits
    return row, True


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


@dataclass(frozen=True)
class ListFilter:
    disposition: str = ""
    since: date | None = None
    until: date | None = None
    name: str = ""
    limit: int = 50
    offset: int = 0
    zone: tzinfo = UTC  # the days of ``since`` and ``until`` start at midnight here


def list_submissions(db: Session, f: ListFilter) -> tuple[list[Submission], int]:
    """Newest first, filtered; with the total count for paging."""
    query = select(Submission)
    if f.disposition:
        query = query.where(Submission.disposition == f.disposition)
    if f.since:
        query = query.where(Submission.created_at >= day_start(f.since, f.zone))
    if f.until:
        query = query.where(Submission.created_at < day_after(f.until, f.zone))
    if term := search_form(f.name):
        return _matching_names(db, query, term, f)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(query.order_by(Submission.created_at.desc(), Submission.id).limit(f.limit).offset(f.offset))
    return list(rows), total


def _matching_names(db: Session, query: Select[Submission], term: str, f: ListFilter) -> tuple[list[Submission], int]:
    """A name search, compared in Python: neither database can apply NFKC and drop invisible characters alike.

    Only ids and names of the rows the other filters leave are read; the page's rows are fetched by id.
    """
    names = db.execute(
        query.with_only_columns(Submission.id, Submission.patient_name)
        .where(Submission.patient_name.is_not(None))
        .order_by(Submission.created_at.desc(), Submission.id)
    )
    matching = [ident for ident, name in names if name and term in search_form(name)]
    wanted = matching[f.offset : f.offset + f.limit]
    found = {row.id: row for row in db.scalars(select(Submission).where(Submission.id.in_(wanted)))}
    return [found[ident] for ident in wanted], len(matching)


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


def audit(db: Session, actor: str, action: str, submission_id: str | None = None, detail: str = "") -> None:
    db.add(AuditEvent(at=utcnow(), actor=actor, action=action, submission_id=submission_id, detail=detail))


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
