"""The "Needs action" queue and what staff did about each submission: contacts, attempts, discovery calls.

An emergency or urgent-GP submission waits in the queue until someone records an action that handles it (called
the patient, advised 999, GP informed); "no answer" counts an attempt and leaves it waiting. Only the newest
version of a corrected submission counts: a correction is a new version and, if it is still urgent, waits for an
acknowledgement of its own (the earlier ones are listed on its page).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session, aliased

from ..model import Disposition
from .db import CALL_ACTIONS, CONTACT_ACTIONS, HANDLED_ACTIONS, ContactRecord, DiscoveryCall, Submission, utcnow

URGENT = (Disposition.EMERGENCY.value, Disposition.URGENT_GP.value)
NOTE_MAX_LENGTH = 500


@dataclass(frozen=True)
class QueueRow:
    """One line of the queue: only the columns it shows, never the stored answers."""

    id: str
    created_at: datetime
    patient_name: str | None
    disposition: str
    complete: bool
    channel: str
    created_by: str | None
    red_flags: str
    attempts: int = 0  # "no answer" so far
    last_try: datetime | None = None


def needs_action_condition() -> ColumnElement[bool]:
    """Urgent, the newest version of its chain, and not yet handled (each test is an indexed look-up)."""
    later = aliased(Submission)
    corrected = exists().where(later.supersedes_id == Submission.id)
    handled = exists().where(ContactRecord.submission_id == Submission.id, ContactRecord.action.in_(HANDLED_ACTIONS))
    return Submission.disposition.in_(URGENT) & ~corrected & ~handled


def needs_action_count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Submission).where(needs_action_condition())) or 0


def needs_action(db: Session, limit: int = 200) -> list[QueueRow]:
    """The queue, oldest first, with the attempts made so far on each."""
    found = db.execute(
        select(
            Submission.id,
            Submission.created_at,
            Submission.patient_name,
            Submission.disposition,
            Submission.complete,
            Submission.channel,
            Submission.created_by,
            Submission.red_flags,
        )
        .where(needs_action_condition())
        .order_by(Submission.created_at, Submission.id)
        .limit(limit)
    ).all()
    tries = attempts(db, [row.id for row in found], actions=("no_answer",))
    return [
        QueueRow(*row, attempts=tries.get(row.id, (0, None))[0], last_try=tries.get(row.id, (0, None))[1])
        for row in found
    ]


def attempts(
    db: Session, submission_ids: Sequence[str], actions: Sequence[str] = CALL_ACTIONS
) -> dict[str, tuple[int, datetime | None]]:
    """How many tries to reach the patient each submission had, and when the last one was."""
    if not submission_ids:
        return {}
    rows = db.execute(
        select(ContactRecord.submission_id, func.count(), func.max(ContactRecord.acted_at))
        .where(ContactRecord.submission_id.in_(submission_ids), ContactRecord.action.in_(actions))
        .group_by(ContactRecord.submission_id)
    )
    return {ident: (count, _aware(last)) for ident, count, last in rows}


def _aware(value: datetime | None) -> datetime | None:
    """An aggregate bypasses the column type: SQLite hands back text or a naive UTC time."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def record_contact(db: Session, submission_id: str, action: str, by: str, note: str = "") -> ContactRecord:
    if action not in CONTACT_ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    record = ContactRecord(
        submission_id=submission_id, action=action, acted_by=by, acted_at=utcnow(), note=note[:NOTE_MAX_LENGTH]
    )
    db.add(record)
    db.flush()
    return record


def contacts(db: Session, submission_ids: Sequence[str]) -> list[ContactRecord]:
    """What was done about these submissions (a chain of versions, say), oldest first."""
    return list(
        db.scalars(
            select(ContactRecord).where(ContactRecord.submission_id.in_(submission_ids)).order_by(ContactRecord.id)
        )
    )


def is_handled(records: Sequence[ContactRecord], submission_id: str) -> bool:
    return any(r.submission_id == submission_id and r.action in HANDLED_ACTIONS for r in records)


def set_discovery_call(db: Session, submission_id: str, call_at: datetime, by: str) -> DiscoveryCall:
    call = DiscoveryCall(submission_id=submission_id, call_at=call_at, set_by=by, set_at=utcnow())
    db.add(call)
    db.flush()
    return call


def discovery_call(db: Session, submission_ids: Sequence[str]) -> DiscoveryCall | None:
    """The booked discovery call (the newest time recorded on any of these versions), if any."""
    return db.scalar(
        select(DiscoveryCall)
        .where(DiscoveryCall.submission_id.in_(submission_ids))
        .order_by(DiscoveryCall.id.desc())
        .limit(1)
    )
