"""Storage: the tables, the database engine (SQLite with WAL by default, PostgreSQL by URL) and migrations."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .engine import MIGRATIONS as MIGRATIONS
from .engine import WORKER_THREADS as WORKER_THREADS
from .engine import database_url_for as database_url_for
from .engine import make_engine as make_engine
from .engine import migrate as migrate
from .names import search_form

STATUSES = ("new", "contacted", "booked", "referred_to_gp", "closed")
# Which follow-up status can come next (a closed submission can be reopened as contacted).
NEXT_STATUSES = {
    "new": ("contacted", "booked", "referred_to_gp", "closed"),  # a call booked straight away skips "contacted"
    "contacted": ("booked", "referred_to_gp", "closed"),
    "booked": ("referred_to_gp", "closed"),
    "referred_to_gp": ("contacted", "closed"),
    "closed": ("contacted",),
}
STATUS_LABELS = {
    "new": "New",
    "contacted": "Contacted",
    "booked": "Booked",
    "referred_to_gp": "Referred to GP",
    "closed": "Closed",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def table(model: type[Base]) -> Table:
    """The table of a mapped class, for Core statements (no unit of work: cheaper on the request path)."""
    return cast(Table, model.__table__)


def _folded_name(context: Any) -> str | None:
    name = context.get_current_parameters().get("patient_name")
    return search_form(name) if name else None


class Base(DeclarativeBase):
    pass


class Submission(Base):
    """One completed (or emergency-stopped) questionnaire with its assessment. Never edited in place."""

    __tablename__ = "submissions"
    __table_args__ = (  # the list's keyset pages, all submissions or those of one disposition
        Index("ix_submissions_created_at_id", "created_at", "id"),
        Index("ix_submissions_disposition_created_at_id", "disposition", "created_at", "id"),
        Index("ix_submissions_name_search", "name_search", "id"),  # a name search too short for trigrams
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    channel: Mapped[str] = mapped_column(String(16))  # patient (web), staff (intake form) or api
    respondent: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str | None] = mapped_column(String(64))  # staff user or API token name
    patient_name: Mapped[str | None] = mapped_column(String(200))
    # the name as searches compare it (names.search_form), filled from patient_name on insert; see listing.py
    name_search: Mapped[str | None] = mapped_column(Text, default=_folded_name)
    complete: Mapped[bool] = mapped_column(Boolean, default=True)  # False: stopped early for an emergency
    disposition: Mapped[str] = mapped_column(String(32))
    likelihood: Mapped[str] = mapped_column(String(32))
    red_flags: Mapped[str] = mapped_column(Text, default="")  # space-separated ids, for lists and exports
    consent_notice_version: Mapped[str | None] = mapped_column(String(40), nullable=True)  # patient web only
    consent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # the response as compact JSON, zlib-compressed (``pack_response``; read as ``response_json``); never NULL once
    # written, declared nullable only so that migration 0007 could add it without copying the table
    response: Mapped[bytes] = mapped_column(LargeBinary, nullable=True)
    points: Mapped[int | None] = mapped_column(Integer)  # the compact result; None only on a legacy row
    unknown_points: Mapped[int | None] = mapped_column(Integer)
    rule_results: Mapped[str | None] = mapped_column(Text)  # one digit per rule: 0 false, 1 unknown, 2 true
    # the assessment as stored before definitions were kept, for a row whose definitions could not be found
    legacy_assessment_json: Mapped[str | None] = mapped_column(Text)
    questionnaire_id: Mapped[str] = mapped_column(String(64))
    questionnaire_version: Mapped[str] = mapped_column(String(32))
    questionnaire_sha256: Mapped[str] = mapped_column(String(64))
    ruleset_id: Mapped[str] = mapped_column(String(64))
    ruleset_version: Mapped[str] = mapped_column(String(32))
    ruleset_sha256: Mapped[str] = mapped_column(String(64))
    engine_version: Mapped[str] = mapped_column(String(32))
    # SHA-256 of the client's key (scoped; see store.idempotency_digest), and of the request it came with
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    request_sha256: Mapped[str | None] = mapped_column(String(64))
    supersedes_id: Mapped[str | None] = mapped_column(ForeignKey("submissions.id"), index=True)

    @property
    def response_json(self) -> str:
        """The stored response as JSON text (the Assessment is rebuilt from it, see ``archive``)."""
        return zlib.decompress(self.response).decode("utf-8")


def pack_response(response_json: str) -> bytes:
    """How a response's JSON text is stored: compressed, a third of its size."""
    return zlib.compress(response_json.encode("utf-8"), 6)


class StoredDefinition(Base):
    """The bytes of one questionnaire or ruleset file a submission was scored with, stored once by its sha256."""

    __tablename__ = "definitions"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # questionnaire or ruleset
    definition_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    source: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class StatusChange(Base):
    """The follow-up workflow: each change is a new row saying who changed it and when."""

    __tablename__ = "status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(String(500), default="")


# What staff did about a submission (acknowledging an urgent one, or any later contact). "No answer" leaves an urgent
# submission waiting in the "Needs action" queue; every other action takes it out.
CONTACT_ACTIONS = {
    "called_patient": "Called the patient",
    "advised_999": "Advised 999",
    "gp_informed": "GP informed",
    "no_answer": "No answer — try again",
}
HANDLED_ACTIONS = ("called_patient", "advised_999", "gp_informed")
CALL_ACTIONS = ("called_patient", "advised_999", "no_answer")  # the ones that are a try to reach the patient


class ContactRecord(Base):
    """One thing done about a submission: who, when, which action, and an optional note (never in the audit log)."""

    __tablename__ = "contact_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    acted_by: Mapped[str] = mapped_column(String(64))
    acted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(String(500), default="")


class DiscoveryCall(Base):
    """When the discovery call with the patient is booked for; the newest row is the one that counts."""

    __tablename__ = "discovery_calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    call_at: Mapped[datetime] = mapped_column(UtcDateTime)
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Pdf(Base):
    """The referral summary of a submission, rendered once on first request and kept."""

    __tablename__ = "pdfs"

    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), primary_key=True)
    rendered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class RateCount(Base):
    """How many limited events a key (an HMAC of a client address and a kind of event) had in one clock minute."""

    __tablename__ = "rate_counts"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    window: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # minutes since 1970
    count: Mapped[int] = mapped_column(Integer)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class LoginThrottle(Base):
    """Sign-in attempts counted per (name, address) and per address within a window (see ``throttle``).

    The key is a SHA-256 of what is counted, so neither addresses nor typed names are kept in the clear.
    """

    __tablename__ = "login_throttle"

    key_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer)
    window_ends: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class PatientDraft(Base):
    """A patient's unfinished answers (save and return), under a SHA-256 of the resume token; see ``drafts``."""

    __tablename__ = "patient_drafts"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    form_json: Mapped[str] = mapped_column(Text)
    step: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class StaffSession(Base):
    """A signed-in staff member; the cookie holds a random token and only its SHA-256 is stored."""

    __tablename__ = "staff_sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditEvent(Base):
    """Who did what and when. Holds ids and actions only, never answers or names of patients."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_submission", "submission_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(32))
    submission_id: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(200), default="")


class AlertOutbox(Base):
    """An alert to send about an emergency or urgent submission, written in the same transaction as it.

    A sender thread (``alerts.AlertSender``) delivers it off the request path: a sender claims a row until
    ``claimed_until`` before it sends, so two server processes never send the same alert at once; a failure
    sets ``due_at`` later (exponential back-off) and keeps the error for the staff pages. No patient data here.
    """

    __tablename__ = "alert_outbox"
    __table_args__ = (UniqueConstraint("submission_id", "channel", name="uq_alert_outbox_submission_channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"))
    channel: Mapped[str] = mapped_column(String(16))  # email or webhook
    urgency: Mapped[str] = mapped_column(String(32))  # the submission's disposition: emergency or urgent_gp
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)  # the next attempt, not before
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claim: Mapped[str | None] = mapped_column(String(32))  # the claiming sender's random token
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str] = mapped_column(String(300), default="")


class Job(Base):
    """Work queued off the request path on SQLite (a submission's referral PDF); see ``jobs``.

    Written in the same transaction as its submission. A worker claims a row until ``claimed_until`` before it
    works on it, so two workers never do the same job at once; ``done_at`` is set once it is done. PostgreSQL
    queues the same work with procrastinate instead, and leaves this table empty.
    """

    __tablename__ = "jobs"
    __table_args__ = (UniqueConstraint("kind", "submission_id", name="uq_jobs_kind_submission"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # pdf
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)  # the next attempt, not before
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claim: Mapped[str | None] = mapped_column(String(32))  # the claiming worker's random token
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    last_error: Mapped[str] = mapped_column(String(300), default="")
