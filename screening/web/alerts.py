"""Alerts about emergency and urgent submissions: queued with the submission, sent by a thread off the request path.

``enqueue_alert`` adds a row to the outbox in the same transaction as the submission, so an alert is never lost
and never holds a request up. Every server process and every ``screening worker`` runs an ``AlertSender`` (a
server started with ``--no-jobs`` only watches for failures): it claims one due row at a time (a conditional
UPDATE that only one process can win, on SQLite and PostgreSQL alike), sends it, then marks it sent, or records
the error and tries again later with exponential back-off. What it sends is in ``mail``.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from ..clinic import ClinicSettings
from .db import AlertOutbox, AuditEvent, Submission, table, utcnow
from .mail import Alert, AlertConfigError, alert_email, send_email
from .polling import PollingThread
from .webhook import post_webhook, webhook_body

log = logging.getLogger("screening.web.alerts")

ALERTED_DISPOSITIONS = frozenset({"emergency", "urgent_gp"})
CHANNELS = "alert_channels"  # key in Session.info: the channels this app sends alerts on (none: alerts are off)
QUEUED = "alert_queued"  # key in Session.info: this transaction queued an alert (wake the sender on commit)


def enqueue_alert(db: Session, row: Submission) -> None:
    """Queue an alert for a new emergency or urgent submission, in the caller's transaction.

    A correction that keeps the urgency of the version it corrects raises no second alert.
    """
    channels: tuple[str, ...] = db.info.get(CHANNELS, ())
    if not channels or row.disposition not in ALERTED_DISPOSITIONS:
        return
    if row.supersedes_id and row.disposition == db.scalar(
        select(Submission.disposition).where(Submission.id == row.supersedes_id)
    ):
        return
    now = utcnow()
    alert = {"submission_id": row.id, "urgency": row.disposition, "submitted_at": row.created_at, "due_at": now}
    db.connection().execute(
        _NEW_ALERT, [{**alert, "channel": channel, "attempts": 0, "last_error": ""} for channel in channels]
    )
    db.info[QUEUED] = True


_NEW_ALERT = insert(table(AlertOutbox))  # compiled once; each alert's values go as parameters


@dataclass(frozen=True)
class Timing:
    """How often the sender looks for work and how it backs off; short in tests."""

    poll: timedelta = timedelta(seconds=5)
    first_retry: timedelta = timedelta(minutes=1)
    longest_retry: timedelta = timedelta(minutes=30)
    send_timeout: float = 20.0  # seconds for each network step of one delivery

    @property
    def lease(self) -> timedelta:
        """How long a claim holds: longer than any delivery can take, so a live sender never loses its claim."""
        return timedelta(seconds=self.send_timeout * 6 + 30)

    def retry_after(self, attempts: int) -> timedelta:
        """1st failure: first_retry, then doubled each time, never more than longest_retry."""
        return min(self.longest_retry, self.first_retry * (1 << min(max(attempts - 1, 0), 30)))


@dataclass(frozen=True)
class Trouble:
    """Alerts that failed at least once and are not sent yet: shown on every staff page."""

    failing: int
    last_error: str


Deliver = Callable[[Alert], None]


class AlertSender(PollingThread):
    """Delivers pending alerts from a daemon thread; ``run_once`` does one round (tests call it directly)."""

    timing: Timing
    thread_name = "alert-sender"
    queued_key = QUEUED
    what = "alerts"
    stop_timeout = 5.0

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clinic: ClinicSettings,
        timing: Timing = Timing(),
        deliver: Deliver | None = None,
        *,
        sending: bool = True,
    ) -> None:
        super().__init__(sessions, log)
        self.sending = sending  # False: only watch for failing alerts (a `screening worker` sends them)
        self.clinic = clinic
        self.timing = timing
        self.deliver = deliver or self._send
        self._password = os.environ.get("SCREENING_SMTP_PASSWORD")
        self._webhook_secret = os.environ.get("SCREENING_ALERT_WEBHOOK_SECRET")
        self._trouble: Trouble | None = None

    # one round -------------------------------------------------------------------------------------

    def run_once(self) -> int:
        """Send every alert that is due now; return how many were sent. Refreshes ``trouble``."""
        sent = 0
        while self.sending and not self._stop.is_set():
            claimed = self._claim_next()
            if claimed is None:
                break
            alert, claim = claimed
            try:
                self.deliver(alert)
            except Exception as exc:  # whatever the mail server or network did: keep it, retry later
                self._failed(alert, claim, f"{type(exc).__name__}: {exc}")
            else:
                self._sent(alert, claim)
                sent += 1
        self._trouble = self._read_trouble()
        return sent

    def trouble(self) -> Trouble | None:
        return self._trouble

    def _claim_next(self) -> tuple[Alert, str] | None:
        """Claim the alert due longest, or None. Another process may win the race for a row: then try the next."""
        while True:
            now = utcnow()
            free = or_(AlertOutbox.claimed_until.is_(None), AlertOutbox.claimed_until < now)
            with self.sessions() as db:
                candidates = list(
                    db.scalars(
                        select(AlertOutbox.id)
                        .where(AlertOutbox.sent_at.is_(None), AlertOutbox.due_at <= now, free)
                        .order_by(AlertOutbox.due_at, AlertOutbox.id)
                        .limit(10)
                    )
                )
                if not candidates:
                    return None
                for ident in candidates:
                    claim = secrets.token_hex(16)
                    won: Any = db.execute(
                        update(AlertOutbox)
                        .where(AlertOutbox.id == ident, AlertOutbox.sent_at.is_(None), free)
                        .values(claimed_until=now + self.timing.lease, claim=claim)
                        .execution_options(synchronize_session=False)
                    )
                    db.commit()
                    if won.rowcount == 1:
                        row = db.get_one(AlertOutbox, ident)
                        alert = Alert(row.id, row.submission_id, row.channel, row.urgency, row.submitted_at)
                        db.commit()
                        return alert, claim

    def _sent(self, alert: Alert, claim: str) -> None:
        now = utcnow()
        with self.sessions() as db:
            db.execute(
                update(AlertOutbox)
                .where(AlertOutbox.id == alert.id, AlertOutbox.claim == claim)
                .values(
                    sent_at=now,
                    last_attempt_at=now,
                    attempts=AlertOutbox.attempts + 1,
                    claimed_until=None,
                    claim=None,
                    last_error="",
                )
                .execution_options(synchronize_session=False)
            )
            db.add(
                AuditEvent(
                    at=now, actor="alerts", action="alert_sent", submission_id=alert.submission_id, detail=alert.channel
                )
            )
            db.commit()

    def _failed(self, alert: Alert, claim: str, error: str) -> None:
        now = utcnow()
        with self.sessions() as db:
            attempts = (db.scalar(select(AlertOutbox.attempts).where(AlertOutbox.id == alert.id)) or 0) + 1
            db.execute(
                update(AlertOutbox)
                .where(AlertOutbox.id == alert.id, AlertOutbox.claim == claim)
                .values(
                    attempts=attempts,
                    last_attempt_at=now,
                    due_at=now + self.timing.retry_after(attempts),
                    claimed_until=None,
                    claim=None,
                    last_error=error[:300],
                )
                .execution_options(synchronize_session=False)
            )
            db.commit()
        log.warning("an alert could not be sent (attempt %d; %s); trying again later", attempts, error[:200])

    def _read_trouble(self) -> Trouble | None:
        failing = (AlertOutbox.sent_at.is_(None), AlertOutbox.attempts > 0)
        with self.sessions() as db:
            count = db.scalar(select(func.count()).select_from(AlertOutbox).where(*failing)) or 0
            if not count:
                return None
            last = db.scalar(
                select(AlertOutbox.last_error).where(*failing).order_by(AlertOutbox.last_attempt_at.desc()).limit(1)
            )
        return Trouble(count, last or "")

    def _send(self, alert: Alert) -> None:
        settings = self.clinic.alerts
        if settings is None:
            raise AlertConfigError("no alerts block in the clinic settings")
        if alert.channel == "webhook" and settings.webhook_url:
            body = webhook_body(self.clinic, alert)
            post_webhook(settings.webhook_url, body, secret=self._webhook_secret, timeout=self.timing.send_timeout)
        elif alert.channel == "email":
            message = alert_email(self.clinic, settings, alert)
            send_email(settings, message, password=self._password, timeout=self.timing.send_timeout)
        else:
            raise AlertConfigError(f"alerts on '{alert.channel}' are not set up in the clinic settings")


def alert_channels(clinic: ClinicSettings) -> tuple[str, ...]:
    """Where this clinic's alerts go: e-mail, and a webhook too when one is set."""
    if clinic.alerts is None:
        return ()
    return ("email", "webhook") if clinic.alerts.webhook_url else ("email",)
