"""Alerts: an e-mail to the duty address for each emergency or urgent submission, tested against a real SMTP server.

The server (aiosmtpd) runs in the test process; "down" is a port nobody listens on, or one that accepts the
connection and then never answers. Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import email
import hashlib
import hmac
import http.server
import json
import smtplib
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from helpers.web import Site, hidden_fields
from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker
from starlette.testclient import TestClient

from screening.clinic import AlertSettings, ClinicSettings
from screening.response import read_response_file
from screening.web.alerts import CHANNELS, AlertSender, Timing
from screening.web.app import create_app
from screening.web.db import AlertOutbox, make_engine, utcnow
from screening.web.mail import Alert, AlertConfigError, alert_email, send_email
from screening.web.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BASE_URL = "https://screening.clinic.example"
FAST = {
    "secret_key": b"a test signing key shared by every app on one database",
    "alert_poll": timedelta(milliseconds=50),
    "alert_first_retry": timedelta(milliseconds=200),
    "alert_longest_retry": timedelta(milliseconds=400),
}


class Inbox:
    """What the SMTP server received: the raw bytes of each message."""

    def __init__(self) -> None:
        self.raw: list[bytes] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.raw.append(bytes(envelope.original_content or envelope.content))
        return "250 OK"

    def messages(self) -> list[Message]:
        with self.lock:
            return [email.message_from_bytes(raw) for raw in self.raw]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Message]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.raw) >= count:
                break
            time.sleep(0.02)
        return self.messages()


def text_of(message: Message) -> str:
    """The decoded body of a plain-text e-mail."""
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def smtp_server(port: int) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def clinic_file(folder: Path, port: int, more: str = "") -> Path:
    path = folder / "clinic.yaml"
    path.write_text(
        "name: Test Physiotherapy Clinic\n"
        "time_zone: Europe/London\n"
        f"base_url: {BASE_URL}\n"
        "alerts:\n"
        "  email_to: duty@clinic.example\n"
        "  email_from: screening@clinic.example\n"
        "  smtp_host: 127.0.0.1\n"
        f"  smtp_port: {port}\n"
        "  starttls: false\n" + more,
        encoding="utf-8",
    )
    return path


@contextmanager
def alert_site(
    database_url: str, folder: Path, port: int, *, started: bool = True, alerts: str = "", **overrides: Any
) -> Iterator[Site]:
    """A site whose clinic settings send alerts to 127.0.0.1:port; ``started``: its sender runs (lifespan)."""
    folder.mkdir(parents=True, exist_ok=True)
    settings = Settings.load(
        folder / "data", database_url=database_url, clinic=clinic_file(folder, port, alerts), **{**FAST, **overrides}
    )
    app = create_app(settings)
    client = TestClient(app, follow_redirects=False)
    try:
        if started:
            with client:
                yield Site(client, app.state.services)
        else:
            yield Site(client, app.state.services)
    finally:
        app.state.services.engine.dispose()


def document(name: str, **answers: Any) -> dict[str, Any]:
    data, _ = read_response_file(EXAMPLES / name)
    plain: dict[str, Any] = json.loads(json.dumps(data, default=str))
    plain["answers"].update(answers)
    return plain


def api_submit(site: Site, body: dict[str, Any], token: str) -> Any:
    return site.client.post("/api/v1/submissions", json=body, headers={"authorization": f"Bearer {token}"})


def patient_emergency(site: Site) -> None:
    first = site.first_section({"name": "Test Patient Alert", "contact": "01632 960000"})
    stopped = site.post("/screen", [*hidden_fields(first.text), ("sudden_onset_headache", "yes"), ("action", "next")])
    assert stopped.status_code == 303


def outbox(site: Site) -> list[AlertOutbox]:
    with site.db() as db:
        return list(db.scalars(select(AlertOutbox).order_by(AlertOutbox.id)))


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


# ---------------------------------------------------------------------------------------------------------------


def test_an_emergency_on_each_channel_sends_one_email_with_no_patient_details(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    with smtp_server(port) as inbox, alert_site(database_url, tmp_path, port) as site:
        patient_emergency(site)
        site.add_staff()
        site.login()
        assert site.staff_intake({"sudden_onset_headache": "yes"}, name="Test Patient Alerts").status_code == 303
        api = api_submit(site, document("emergency_thunderclap.yaml"), site.api_token())
        assert api.status_code == 201
        messages = inbox.wait_for(3)
        time.sleep(0.5)  # time enough for a second copy to arrive, if one were ever sent
        assert len(inbox.messages()) == 3
        rows = site.submissions()
        assert [r.disposition for r in rows] == ["emergency"] * 3
        assert {r.channel for r in rows} == {"web", "staff", "api"}
        by_reference = {m["Subject"].rsplit(" ", 1)[-1]: m for m in messages}
        assert set(by_reference) == {r.id[:8] for r in rows}
        for row in rows:
            message = by_reference[row.id[:8]]
            body = text_of(message)
            assert message["To"] == "duty@clinic.example" and message["From"] == "screening@clinic.example"
            assert "Emergency" in message["Subject"] and "Urgency:   Emergency" in body
            assert f"{BASE_URL}/staff/submissions/{row.id}" in body
            arrived = row.created_at.astimezone(ZoneInfo("Europe/London")).strftime("%d %b %Y, %H:%M %Z")
            assert f"Arrived:   {arrived}" in body
        assert all(m["Content-Transfer-Encoding"] == "7bit" for m in messages)  # the raw text is what is read
        raw = b"\n".join(inbox.raw).decode("utf-8", "replace").lower()
        raw += "\n".join(text_of(m).lower() for m in messages)
        response_words = {"ada example", "test patient alerts", "01632", "sudden_onset", "worst_ever", "thunderclap"}
        flags = {flag for row in rows for flag in row.red_flags.split()}
        assert flags  # the submissions did raise red flags: none of them is named in any e-mail
        for word in response_words | flags:
            assert word.lower() not in raw, word
        assert all(r.sent_at is not None and r.attempts == 1 for r in outbox(site))
        assert site.audit_actions().count("alert_sent") == 3


def test_urgent_gp_alerts_and_routine_does_not(database_url: str, tmp_path: Path, physio_answers: Any) -> None:
    port = free_port()
    with smtp_server(port) as inbox, alert_site(database_url, tmp_path, port) as site:
        token = site.api_token()
        assert api_submit(site, document("physio_cervicogenic.yaml"), token).status_code == 201
        assert api_submit(site, document("gp_medication_overuse.yaml"), token).status_code == 201
        assert site.complete(physio_answers).status_code == 303
        urgent = document("physio_cervicogenic.yaml", fever="yes", fever_with_stiff_neck="no", fever_with_rash="no")
        assert api_submit(site, urgent, token).json()["disposition"] == "urgent_gp"
        (message,) = inbox.wait_for(1)
        time.sleep(0.5)
        assert len(inbox.raw) == 1
        assert len(outbox(site)) == 1  # nothing is even queued for the routine ones
    assert message["Subject"].startswith("Urgent GP")


def test_a_mail_server_that_never_answers_does_not_slow_a_submission(database_url: str, tmp_path: Path) -> None:
    """The server accepts the connection and then says nothing: the sender waits, the request does not."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        with alert_site(database_url, tmp_path, port) as site:
            site.services.alerts.timing = Timing(poll=timedelta(milliseconds=50), send_timeout=3.0)  # type: ignore[union-attr]
            token = site.api_token()
            first = api_submit(site, document("emergency_thunderclap.yaml"), token)
            assert first.status_code == 201
            assert eventually(lambda: outbox(site)[0].claimed_until is not None)  # the sender is stuck in it now
            started = time.monotonic()
            again = api_submit(site, document("emergency_thunderclap.yaml", headache_days_per_month=3), token)
            took = time.monotonic() - started
            assert again.status_code == 201
            assert took < 1.0, f"a submission took {took:.2f} s while the mail server hung"
            assert site.count() == 2


def test_down_then_back_retries_with_back_off_and_staff_see_the_failure(database_url: str, tmp_path: Path) -> None:
    port = free_port()  # nobody listens: connections are refused
    with alert_site(database_url, tmp_path, port) as site:
        site.add_staff()
        site.login()
        started = time.monotonic()
        saved = site.staff_intake({"sudden_onset_headache": "yes"}, name="Test Patient Down")
        assert saved.status_code == 303 and time.monotonic() - started < 2.0
        assert site.count() == 1
        assert eventually(lambda: outbox(site)[0].attempts >= 3)  # 0.2 s, 0.4 s, 0.4 s (capped) apart
        (row,) = outbox(site)
        assert row.sent_at is None and "ConnectionRefusedError" in row.last_error
        assert eventually(lambda: "could not be sent" in site.client.get("/staff/submissions").text)
        page = site.client.get("/staff/submissions").text
        assert "1 alert could not be sent; last error: ConnectionRefusedError" in page and "retrying" in page
        with smtp_server(port) as inbox:
            (message,) = inbox.wait_for(1)
            assert eventually(lambda: outbox(site)[0].sent_at is not None)
            assert eventually(lambda: "could not be sent" not in site.client.get("/staff/submissions").text)
            time.sleep(0.5)
            assert len(inbox.raw) == 1
    assert saved.headers["location"].split("/")[3].split("?")[0][:8] in message["Subject"]


def test_back_off_doubles_up_to_its_cap() -> None:
    timing = Timing(first_retry=timedelta(minutes=1), longest_retry=timedelta(minutes=30))
    waits = [timing.retry_after(n) for n in range(1, 9)]
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 30, 30, 30)]
    assert timing.retry_after(500) == timedelta(minutes=30)


def test_a_restart_delivers_what_is_pending(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    with alert_site(database_url, tmp_path, port, started=False) as site:  # a server that stops before sending
        assert api_submit(site, document("emergency_thunderclap.yaml"), site.api_token()).status_code == 201
        assert (
            api_submit(
                site, document("emergency_thunderclap.yaml", headache_days_per_month=3), site.api_token("second")
            ).status_code
            == 201
        )
        with site.db() as db:  # one was being sent when the process died: its claim runs out on its own
            db.execute(
                update(AlertOutbox)
                .where(AlertOutbox.id == 1)
                .values(claim="x" * 32, claimed_until=utcnow() - timedelta(seconds=1))
            )
            db.commit()
    with smtp_server(port) as inbox, alert_site(database_url, tmp_path / "again", port) as again:
        messages = inbox.wait_for(2)
        time.sleep(0.3)
        assert len(inbox.raw) == 2
        assert {m["Subject"].rsplit(" ", 1)[-1] for m in messages} == {s.id[:8] for s in again.submissions()}


def test_a_claim_held_by_a_live_sender_is_left_alone(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    with alert_site(database_url, tmp_path, port, started=False) as site:
        assert api_submit(site, document("emergency_thunderclap.yaml"), site.api_token()).status_code == 201
        with site.db() as db:
            db.execute(update(AlertOutbox).values(claim="y" * 32, claimed_until=utcnow() + timedelta(minutes=5)))
            db.commit()
        delivered: list[Alert] = []
        sender = AlertSender(site.services.sessions, site.services.clinic, deliver=delivered.append)
        assert sender.run_once() == 0 and delivered == []


def test_two_processes_never_send_the_same_alert(database_url: str, tmp_path: Path) -> None:
    """Two senders, each with its own engine (as two server processes), race over 20 pending alerts."""
    port = free_port()
    with alert_site(database_url, tmp_path, port, started=False) as site:
        token = site.api_token()
        for _ in range(20):
            assert api_submit(site, document("emergency_thunderclap.yaml"), token).status_code == 201
        delivered: list[int] = []
        lock = threading.Lock()

        def deliver(alert: Alert) -> None:
            time.sleep(0.01)  # a slow mail server widens the window for a race
            with lock:
                delivered.append(alert.id)

        engines = [make_engine(database_url) for _ in range(2)]
        senders = [
            AlertSender(
                sessionmaker(e, expire_on_commit=False, info={CHANNELS: ("email",)}),
                site.services.clinic,
                deliver=deliver,
            )
            for e in engines
        ]
        threads = [threading.Thread(target=s.run_once) for s in senders for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        for engine in engines:
            engine.dispose()
        assert sorted(delivered) == [row.id for row in outbox(site)]  # each once, none left out
        assert all(row.sent_at is not None and row.claim is None for row in outbox(site))


def test_two_running_apps_share_the_work_without_sending_twice(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    with (
        smtp_server(port) as inbox,
        alert_site(database_url, tmp_path / "a", port) as a,
        alert_site(database_url, tmp_path / "b", port) as b,
    ):
        apps = [(a, a.api_token("a")), (b, b.api_token("b"))]
        for n in range(6):
            site, token = apps[n % 2]
            assert api_submit(site, document("emergency_thunderclap.yaml"), token).status_code == 201
        inbox.wait_for(6)
        time.sleep(0.5)
        ids = [m["Message-ID"] for m in inbox.messages()]
        assert len(ids) == 6 and len(set(ids)) == 6


def test_without_alert_settings_nothing_is_queued(site: Site) -> None:
    assert site.services.alerts is None
    token = site.api_token()
    assert api_submit(site, document("emergency_thunderclap.yaml"), token).status_code == 201
    assert outbox(site) == []
    assert "could not be sent" not in site.client.get("/staff/login").text


def test_a_correction_that_keeps_the_urgency_sends_no_second_alert(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    with alert_site(database_url, tmp_path, port, started=False) as site:
        site.add_staff()
        site.login()
        site.staff_intake({"sudden_onset_headache": "yes"}, name="Test Patient Correction")
        (first,) = site.submissions()
        corrected = site.staff_intake(
            {"sudden_onset_headache": "yes"},
            name="Test Patient Correction",
            supersedes=first.id,
        )
        assert corrected.status_code == 303
        assert [s.supersedes_id for s in site.submissions()] == [None, first.id]
        assert [row.submission_id for row in outbox(site)] == [first.id]


def test_the_email_uses_the_clinic_time_zone_and_works_without_a_base_url() -> None:
    settings = AlertSettings(email_to="duty@clinic.example", email_from="screening@clinic.example", smtp_host="x")
    clinic = ClinicSettings(name="Test Clinic", time_zone="Pacific/Auckland", alerts=settings)
    alert = Alert(7, "0123456789abcdef" * 2, "email", "urgent_gp", datetime(2026, 11, 29, 23, 30, tzinfo=UTC))
    message = alert_email(clinic, settings, alert)
    body = message.get_content()
    assert "Arrived:   30 Nov 2026, 12:30 NZDT" in body  # the next day there
    assert "http" not in body and "with reference 01234567" in body
    assert message["Subject"] == "Urgent GP screening result waiting, reference 01234567"
    assert message["Message-ID"] == "<alert-7-01234567@clinic.example>"  # the same each time it is sent


def test_the_smtp_password_is_needed_and_never_sent_unencrypted() -> None:
    port = free_port()
    plain = AlertSettings(
        email_to="duty@clinic.example",
        email_from="screening@clinic.example",
        smtp_host="127.0.0.1",
        smtp_port=port,
        starttls=False,
        smtp_user="screening",
    )
    message = alert_email(ClinicSettings(name="Test Clinic"), plain, Alert(1, "a" * 32, "email", "emergency", utcnow()))
    with smtp_server(port) as inbox:
        with pytest.raises(AlertConfigError, match="SCREENING_SMTP_PASSWORD is not"):
            send_email(plain, message, password=None, timeout=5)
        with pytest.raises(AlertConfigError, match="never sent unencrypted"):
            send_email(plain, message, password="a test password", timeout=5)
        assert inbox.raw == []
        send_email(plain.model_copy(update={"smtp_user": None}), message, password=None, timeout=5)
        assert len(inbox.wait_for(1)) == 1


def test_starttls_and_sign_in_and_no_plain_text_fallback(tmp_path: Path) -> None:
    """The usual clinic set-up (port 587, STARTTLS, a user): the password goes over TLS, and a server that
    does not offer STARTTLS gets nothing."""
    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    client_tls = ssl.create_default_context(cafile=str(cert))
    signed_in: list[tuple[bytes, bool]] = []

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        signed_in.append((data.login, data.password == b"a test password"))
        return AuthResult(success=data.password == b"a test password")

    inbox, port = Inbox(), free_port()
    settings = AlertSettings(
        email_to="duty@clinic.example",
        email_from="screening@clinic.example",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_user="screening",
    )
    message = alert_email(
        ClinicSettings(name="Test Clinic"), settings, Alert(1, "b" * 32, "email", "emergency", utcnow())
    )
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, tls_context=server_tls, require_starttls=True,
        authenticator=authenticate, auth_require_tls=True,
    )  # fmt: skip
    controller.start()
    try:
        send_email(settings, message, password="a test password", timeout=5, tls=client_tls)
    finally:
        controller.stop()
    assert signed_in == [(b"screening", True)] and len(inbox.raw) == 1
    with smtp_server(port) as plain_inbox:  # no STARTTLS on offer: refused before any password or message
        with pytest.raises(smtplib.SMTPNotSupportedError):
            send_email(settings, message, password="a test password", timeout=5, tls=client_tls)
        assert plain_inbox.raw == []


class Hooks(http.server.BaseHTTPRequestHandler):
    """A clinic system receiving webhooks: records each one; answers 503 while ``down``."""

    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []
    down: ClassVar[bool] = False

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if not Hooks.down:
            Hooks.received.append((dict(self.headers.items()), body))
        self.send_response(503 if Hooks.down else 204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_a_webhook_gets_a_signed_alert_once_and_is_retried(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "a shared webhook secret for the tests"
    monkeypatch.setenv("SCREENING_ALERT_WEBHOOK_SECRET", secret)
    Hooks.received, Hooks.down = [], True
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hooks)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    port, hook = free_port(), f"  webhook_url: http://127.0.0.1:{receiver.server_address[1]}/alerts\n"
    try:
        with smtp_server(port) as inbox, alert_site(database_url, tmp_path, port, alerts=hook) as site:
            response = api_submit(site, document("emergency_thunderclap.yaml"), site.api_token())
            assert response.status_code == 201
            assert len(inbox.wait_for(1)) == 1  # the e-mail does not wait for the webhook
            assert eventually(lambda: any(r.channel == "webhook" and r.attempts >= 1 for r in outbox(site)))
            assert "HTTPError" in next(r.last_error for r in outbox(site) if r.channel == "webhook")
            Hooks.down = False
            assert eventually(lambda: len(Hooks.received) == 1)
            time.sleep(0.5)
            assert len(Hooks.received) == 1 and len(inbox.raw) == 1
    finally:
        receiver.shutdown()
        receiver.server_close()
    (headers, body), row = Hooks.received[0], response.json()
    expected = hmac.new(secret.encode(), headers["X-Screening-Timestamp"].encode() + b"." + body, hashlib.sha256)
    assert headers["X-Screening-Signature"] == "sha256=" + expected.hexdigest()
    sent = json.loads(body)
    assert (sent["urgency"], sent["reference"], sent["submission_id"]) == ("emergency", row["id"][:8], row["id"])
    assert sent["link"] == f"{BASE_URL}/staff/submissions/{row['id']}"
    assert b"Ada Example" not in body and b"thunderclap" not in body


def test_a_webhook_must_be_https_unless_on_this_machine() -> None:
    base = {"email_to": "d@c.example", "email_from": "s@c.example", "smtp_host": "x"}
    assert AlertSettings(**base, webhook_url="https://clinic.example/hook").webhook_url
    assert AlertSettings(**base, webhook_url="http://127.0.0.1:9000/hook").webhook_url
    with pytest.raises(ValueError, match="https://"):
        AlertSettings(**base, webhook_url="http://clinic.example/hook")
