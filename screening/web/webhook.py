"""The alert for clinic systems: a small JSON document POSTed to the clinic's HTTPS address, signed with HMAC-SHA256.

The receiver checks ``X-Screening-Signature: sha256=HEX``, an HMAC of ``TIMESTAMP.BODY`` (the value of
``X-Screening-Timestamp``, a dot, then the raw body) keyed with the shared secret in
SCREENING_ALERT_WEBHOOK_SECRET, and refuses old timestamps. Like the e-mail it carries no patient details.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.request
from typing import Any

from ..clinic import ClinicSettings
from .db import utcnow
from .mail import Alert, AlertConfigError, staff_link


def webhook_body(clinic: ClinicSettings, alert: Alert) -> bytes:
    document = {
        "event": "submission.alert",
        "alert_id": alert.id,
        "urgency": alert.urgency,
        "reference": alert.reference,
        "submission_id": alert.submission_id,
        "submitted_at": alert.submitted_at.isoformat().replace("+00:00", "Z"),
        "link": staff_link(clinic, alert.submission_id),
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an error: the signed alert goes to the configured address or nowhere


_opener = urllib.request.build_opener(_NoRedirects)


def post_webhook(url: str, body: bytes, *, secret: str | None, timeout: float) -> None:
    """POST the alert; raises unless the receiver answers 2xx (the caller retries)."""
    if not secret:
        raise AlertConfigError("webhook_url is set but SCREENING_ALERT_WEBHOOK_SECRET is not")
    timestamp = str(int(utcnow().timestamp()))
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "screening-alerts",
            "X-Screening-Timestamp": timestamp,
            "X-Screening-Signature": signature(secret.encode("utf-8"), timestamp, body),
        },
    )
    with _opener.open(request, timeout=timeout) as answer:
        if not 200 <= answer.status < 300:
            raise OSError(f"the webhook answered HTTP {answer.status}")
