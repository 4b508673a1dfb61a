"""Save and return: a patient's unfinished answers, kept server-side for a week under a random token.

Only a SHA-256 of the token is stored, so the table alone cannot resume anyone's answers. A draft is the form's
own fields (answers as typed, details, the form key) and the step reached; it is deleted once the answers are sent.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import smtplib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import delete
from sqlalchemy.orm import Session

from ..clinic import ClinicSettings
from .db import PatientDraft, utcnow

KEEP_FOR = timedelta(days=7)
COOKIE = "draft"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Draft:
    pairs: list[tuple[str, str]]
    step: int
    expires_at: datetime


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def save_draft(db: Session, token: str, pairs: Sequence[tuple[str, str]], step: int) -> datetime:
    """Store (or replace) the draft behind ``token``; a week from its first save. Expired drafts go at once."""
    now = utcnow()
    db.execute(delete(PatientDraft).where(PatientDraft.expires_at < now))
    row = db.get(PatientDraft, _digest(token))
    if row is None:
        row = PatientDraft(token_sha256=_digest(token), created_at=now, expires_at=now + KEEP_FOR)
        db.add(row)
    row.form_json = json.dumps([list(p) for p in pairs])
    row.step = step
    row.saved_at = now
    return row.expires_at


def load_draft(db: Session, token: str | None) -> Draft | None:
    """The draft behind a token, unless it is unknown or has expired (an expired one is deleted)."""
    if not token or len(token) > 100:
        return None
    row = db.get(PatientDraft, _digest(token))
    if row is None:
        return None
    if row.expires_at < utcnow():
        db.delete(row)
        return None
    pairs = [(str(name), str(value)) for name, value in json.loads(row.form_json)]
    return Draft(pairs, row.step, row.expires_at)


def delete_draft(db: Session, token: str | None) -> None:
    if token:
        db.execute(delete(PatientDraft).where(PatientDraft.token_sha256 == _digest(token)))


def send_resume_link(clinic: ClinicSettings, password: str | None, to: str, link: str, until: str) -> threading.Thread:
    """E-mail the resume link from a background thread (never on the request path); failures are logged only."""

    def send() -> None:
        alerts = clinic.alerts
        if alerts is None:
            return
        message = EmailMessage()
        message["Subject"] = f"Your headache questions for {clinic.name}"
        message["From"] = alerts.email_from
        message["To"] = to
        message.set_content(
            f"You can carry on with your answers for {clinic.name} until {until}:\n\n{link}\n\n"
            "Anyone with this link can see your answers, so do not share it. If you did not start these "
            "questions, you can ignore this e-mail.\n\nIf you have a headache with any warning sign (sudden and "
            "severe, weakness, numbness, slurred speech, loss of sight, a fit, fever with a stiff neck or rash, "
            "or confusion), call 999 now.\n"
        )
        try:
            with smtplib.SMTP(alerts.smtp_host, alerts.smtp_port, timeout=20) as smtp:
                if alerts.starttls:
                    smtp.starttls()
                if alerts.smtp_user and password:
                    smtp.login(alerts.smtp_user, password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:  # the link is on screen too; no address in the log
            log.warning("could not e-mail a resume link: %s", type(exc).__name__)

    thread = threading.Thread(target=send, name="resume-link-mail", daemon=True)
    thread.start()
    return thread
