"""The alert e-mail and its delivery over SMTP.

E-mail is not a safe channel for health information, so an alert says only how urgent a new submission is,
its short reference, when it arrived (in the clinic's time zone) and where staff open it. Never a name, an
answer or a red flag: those are behind the staff sign-in.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from ..clinic import AlertSettings, ClinicSettings
from ..errors import AlertConfigError as AlertConfigError  # importable from here as before
from ..labels import disposition_words
from .db import utcnow

IMPLICIT_TLS_PORT = 465  # SMTPS: TLS from the first byte; any other port uses STARTTLS when it is asked for


@dataclass(frozen=True)
class Alert:
    """One queued alert, as the sender reads it from the outbox."""

    id: int
    submission_id: str
    channel: str
    urgency: str
    submitted_at: datetime

    @property
    def reference(self) -> str:
        """What staff and the e-mail call the submission: the first 8 characters of its id."""
        return self.submission_id[:8]


def staff_link(clinic: ClinicSettings, submission_id: str) -> str | None:
    return f"{clinic.base_url}/staff/submissions/{submission_id}" if clinic.base_url else None


def alert_email(clinic: ClinicSettings, settings: AlertSettings, alert: Alert) -> EmailMessage:
    """The e-mail for one alert: urgency, reference, time and link only."""
    urgency = disposition_words(alert.urgency)
    arrived = alert.submitted_at.astimezone(clinic.zone).strftime("%d %b %Y, %H:%M %Z")
    link = staff_link(clinic, alert.submission_id)
    where = (
        f"Open it in the staff area: {link}"
        if link
        else f"Sign in to the staff area and open the submission with reference {alert.reference}."
    )
    message = EmailMessage()
    message["Subject"] = f"{urgency} screening result waiting, reference {alert.reference}"
    message["From"] = settings.email_from
    message["To"] = settings.email_to
    message["Date"] = format_datetime(utcnow())
    # the same id every time this alert is sent, so a mail client can fold a repeated delivery into one
    message["Message-ID"] = f"<alert-{alert.id}-{alert.reference}@{_domain(settings.email_from)}>"
    message["Auto-Submitted"] = "auto-generated"
    text = "\n".join(
        (
            f"A new screening submission marked {urgency} is waiting for staff.",
            "",
            f"Urgency:   {urgency}",
            f"Reference: {alert.reference}",
            f"Arrived:   {arrived}",
            "",
            where,
            "",
            "On purpose, this e-mail holds no name, answers or other details",
            "of the patient: sign in to see them.",
            "",
            f"Sent automatically by the headache screening of {clinic.name}.",
            "",
        )
    )
    # plain text as it is, readable in any mail client (the link stays whole); quoted-printable only if needed
    message.set_content(text, cte="7bit" if text.isascii() else "quoted-printable")
    return message


def _domain(address: str) -> str:
    domain = address.rpartition("@")[2].strip(" >")
    return domain if re.fullmatch(r"[A-Za-z0-9.-]+", domain) else "screening.invalid"


def send_email(
    settings: AlertSettings,
    message: EmailMessage,
    *,
    password: str | None,
    timeout: float,
    tls: ssl.SSLContext | None = None,
) -> None:
    """Deliver one message to the clinic's SMTP server; raises on any failure (the caller retries).

    The password (SCREENING_SMTP_PASSWORD) is only ever sent over TLS.
    """
    context = tls or ssl.create_default_context()
    implicit = settings.smtp_port == IMPLICIT_TLS_PORT
    smtp: smtplib.SMTP = (
        smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=timeout, context=context)
        if implicit
        else smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    )
    with smtp:
        if settings.starttls and not implicit:
            smtp.starttls(context=context)  # refuses to go on if the server does not offer it
        if settings.smtp_user:
            if not password:
                raise AlertConfigError("smtp_user is set but SCREENING_SMTP_PASSWORD is not")
            if not (implicit or settings.starttls):
                raise AlertConfigError("the SMTP password is never sent unencrypted: set starttls: true or port 465")
            smtp.login(settings.smtp_user, password)
        smtp.send_message(message)
