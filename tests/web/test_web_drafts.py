"""Save and return: drafts kept server-side under a hashed token, every step shown by a GET, e-mailed links."""

from __future__ import annotations

import re
import socket
import time
from datetime import timedelta
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from helpers.web import Site, hidden_fields
from sqlalchemy import select
from starlette.testclient import TestClient

from screening.clinic import AlertSettings
from screening.web.db import PatientDraft
from screening.web.forms import screens


def _first_answers(site: Site) -> list[tuple[str, str]]:
    first = [site.definition.items[i] for i in screens(site.definition)[0].items]  # the first screen of questions
    return [(i.id, "no") for i in first if i.kind == "yes_no" and i.enable_when is None]


def _past_first_section(site: Site) -> Any:
    first = site.first_section({"name": "Test Patient Draft", "contact": "01632 960000", "email": "d@example.invalid"})
    raw = site.client.post(
        "/screen",
        content="&".join(
            f"{k}={v}" for k, v in [*hidden_fields(first.text), *_first_answers(site), ("action", "next")]
        ),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert raw.status_code == 303 and raw.headers["location"] == "/screen/step/2"  # post/redirect/get
    return raw


def test_every_step_is_a_get_that_keeps_the_answers(site: Site) -> None:
    _past_first_section(site)
    again = site.client.get("/screen/step/1")  # Back, or a reload: a GET, no form re-sent
    assert again.status_code == 200
    for item_id, _ in _first_answers(site):
        assert re.search(rf'name="{item_id}" value="no" id="[^"]+" checked', again.text), item_id
    assert 'value="Test Patient Draft"' in site.client.get("/screen/step/0").text


def test_a_saved_draft_resumes_elsewhere_and_only_a_hash_is_stored(site: Site) -> None:
    _past_first_section(site)
    page = site.client.get("/screen/step/2")
    saved = site.post("/screen", [*hidden_fields(page.text), ("action", "save")])
    assert saved.status_code == 303 and saved.headers["location"] == "/screen/saved"
    shown = site.client.get("/screen/saved").text
    link = re.search(r'href="(http[^"]+/resume/([^"]+))" data-resume', shown)
    assert link, shown
    token = link.group(2)
    assert re.search(r"until \d+ \w+ \d{4} at \d\d:\d\d (GMT|BST)", shown)
    assert "Copy it, bookmark it" in shown  # no e-mail without SMTP settings
    with site.db() as db:
        (row,) = db.scalars(select(PatientDraft))
        assert row.token_sha256 != token and token not in row.form_json
    other = TestClient(site.client.app, follow_redirects=False)  # another browser, no cookies
    resumed = other.get(f"/resume/{token}")
    assert resumed.status_code == 303 and resumed.headers["location"] == "/screen/step/2"
    back = other.get("/screen/step/1")
    assert all(f'name="{i}" value="no"' in back.text for i, _ in _first_answers(site))
    assert other.get("/resume/not-a-token").status_code == 404


def test_drafts_expire_and_are_deleted_after_submission(site: Site, physio_answers: dict[str, Any]) -> None:
    _past_first_section(site)
    with site.db() as db:
        (row,) = db.scalars(select(PatientDraft))
        row.expires_at = row.expires_at - timedelta(days=8)
        db.commit()
    assert site.client.get("/screen/step/1").headers["location"] == "/screen"  # expired: start again
    assert site.count(PatientDraft) == 0
    fresh = TestClient(site.client.app, follow_redirects=False)
    done = Site(fresh, site.services).complete(physio_answers)
    assert done.status_code == 303 and done.headers["location"].startswith("/result/")
    assert site.count(PatientDraft) == 0  # the finished journey's draft is gone


def test_the_resume_link_is_emailed_when_an_address_was_given(site: Site) -> None:
    received: list[Any] = []

    class Keep(Message):
        def handle_message(self, message: Any) -> None:
            received.append(message)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        alerts = AlertSettings(
            email_to="duty@example.invalid",
            email_from="screening@example.invalid",
            smtp_host="127.0.0.1",
            smtp_port=port,
            starttls=False,
        )
        site.services.clinic = site.services.clinic.model_copy(update={"alerts": alerts})
        _past_first_section(site)
        page = site.client.get("/screen/step/2")
        site.post("/screen", [*hidden_fields(page.text), ("action", "save")])
        shown = site.client.get("/screen/saved").text
        assert "We have also sent it to your email address." in shown
        deadline = time.monotonic() + 10
        while not received and time.monotonic() < deadline:
            time.sleep(0.05)
        (mail,) = received
        assert mail["To"] == "d@example.invalid"
        token = re.search(r"/resume/([^\"]+)\" data-resume", shown)
        assert token and f"/resume/{token.group(1)}" in mail.get_payload()
    finally:
        controller.stop()
