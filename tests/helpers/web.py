"""Helpers for the web tests: an in-process site (app, client, database) and form-filling shortcuts."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile
from starlette.testclient import TestClient

from screening.definition import Definition
from screening.web.auth import add_api_token, add_user
from screening.web.db import AuditEvent, Submission, pack_response
from screening.web.deps import Services
from screening.web.forms import read_form, shown_items

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
STAFF_PASSWORD = "correct horse battery staple"


def hidden_fields(page: str) -> list[tuple[str, str]]:
    return [(name, html.unescape(value)) for name, value in HIDDEN.findall(page)]


def field(page: str, name: str) -> str:
    for key, value in hidden_fields(page):
        if key == name:
            return value
    raise AssertionError(f"no hidden field {name!r} on the page")


def form_pairs(answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Answers as the browser would send them: one pair per value, numbers as text."""
    pairs = []
    for item_id, value in answers.items():
        for one in value if isinstance(value, list | tuple) else [value]:
            pairs.append((item_id, str(one)))
    return pairs


def shown_for(definition: Definition, answers: Mapping[str, Any]) -> set[str]:
    """The questions the server shows for these answers, reading them as it reads a form."""
    pairs: list[tuple[str, str | UploadFile]] = list(form_pairs(answers))
    return shown_items(definition, read_form(definition, FormData(pairs)).values)


def errors_on(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<li><a href="#f-[^"]+">([^<]+)', page)]


@dataclass
class Site:
    client: TestClient
    services: Services

    @property
    def definition(self) -> Definition:
        return self.services.definition

    def post(self, path: str, pairs: list[tuple[str, str]] | Mapping[str, str]) -> Any:
        """Post a URL-encoded form as a browser does, repeated names and all."""
        items = list(pairs.items()) if isinstance(pairs, Mapping) else pairs
        sent = self.client.post(
            path, content=urlencode(items), headers={"content-type": "application/x-www-form-urlencoded"}
        )
        if sent.status_code == 303 and sent.headers["location"].startswith("/screen/step/"):
            return self.client.get(sent.headers["location"])  # each step is shown by a GET (post/redirect/get)
        return sent

    def db(self) -> Session:
        return self.services.sessions()

    def count(self, model: Any = Submission) -> int:
        with self.db() as db:
            return db.scalar(select(func.count()).select_from(model)) or 0

    def submissions(self) -> list[Submission]:
        with self.db() as db:
            return list(db.scalars(select(Submission).order_by(Submission.created_at)))

    def run_jobs(self) -> None:
        """Do the queued jobs (PDFs) now, as a worker would: the test site runs none in the background."""
        from screening.web.jobs import make_worker

        make_worker(self.services.settings.database_url, self.services.sessions, self.services).run_once()

    def audit_actions(self) -> list[str]:
        with self.db() as db:
            return [e.action for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]

    def add_staff(self, name: str = "reception", password: str = STAFF_PASSWORD) -> None:
        with self.db() as db:
            add_user(db, name, password)
            db.commit()

    def api_token(self, name: str = "clinic-system") -> str:
        with self.db() as db:
            token = add_api_token(db, name)
            db.commit()
        return token

    def login(self, name: str = "reception", password: str = STAFF_PASSWORD) -> Any:
        page = self.client.get("/staff/login")
        return self.client.post(
            "/staff/login", data={"csrftoken": field(page.text, "csrftoken"), "name": name, "password": password}
        )

    # patient journey ------------------------------------------------------------------------------

    def first_section(self, details: Mapping[str, str] | None = None) -> Any:
        """The first page of questions, reached by giving the contact details the first page asks for."""
        page = self.client.get("/screen")
        sent = dict(details or {"name": "Test Patient", "contact": "01632 960000"})
        return self.post("/screen", [*hidden_fields(page.text), *sent.items(), ("action", "next")])

    def walk(self, answers: Mapping[str, Any], details: Mapping[str, str] | None = None) -> Iterator[Any]:
        """Go through the patient pages answering from ``answers``; yields each response on the way."""
        page = self.client.get("/screen")
        yield page
        sent_fields = dict(details or {"name": "Test Patient", "contact": "01632 960000"})
        while True:
            text = page.text
            if 'value="submit"' in text:  # the review page
                page = self.post("/screen", [*hidden_fields(text), ("action", "submit")])
                yield page
                return
            carried = hidden_fields(text)
            on_page = set(re.findall(r'data-item="([^"]+)"', text))
            own = [(k, v) for k, v in form_pairs(answers) if k in on_page]
            if 'id="f-contact"' in text:  # the first page (contact) or the details page
                own = list(sent_fields.items())
            carried = [(k, v) for k, v in carried if k not in on_page]
            seen = " ".join(i for i in on_page if i in shown_for(self.definition, answers))
            data = [*(p for p in carried if p[0] != "seen"), ("seen", seen), *own, ("action", "next")]
            page = self.post("/screen", data)
            yield page
            if page.status_code != 200:
                return
            if errors_on(page.text):
                return

    def complete(self, answers: Mapping[str, Any], details: Mapping[str, str] | None = None) -> Any:
        """The last response of a patient journey (a redirect to the result, or a page with errors)."""
        *_, last = self.walk(answers, details)
        return last

    def staff_intake(self, answers: Mapping[str, Any], name: str = "Test Patient", **extra: str) -> Any:
        page = self.client.get("/staff/intake")
        seen = " ".join(sorted(shown_for(self.definition, answers)))
        data = [
            ("csrftoken", field(page.text, "csrftoken")),
            ("key", field(page.text, "key")),
            ("seen", seen),
            ("name", name),
            *extra.items(),
            *form_pairs(answers),
        ]
        return self.post("/staff/intake", data)


def stored_row(n: int, name: str | None, disposition: str = "physio_assessment", **extra: Any) -> dict[str, Any]:
    """The columns of a stored submission (placeholder answers), the n-th a minute after 2026-03-01 09:00 UTC."""
    return {
        "id": uuid.UUID(int=n + 1).hex,
        "created_at": datetime(2026, 3, 1, 9, tzinfo=UTC) + timedelta(minutes=n),
        "channel": "web",
        "respondent": "patient",
        "patient_name": name,
        "complete": True,
        "disposition": disposition,
        "likelihood": "likely",
        "red_flags": "",
        "response": pack_response("{}"),
        "points": 0,
        "unknown_points": 0,
        "rule_results": "",
        "questionnaire_id": "q",
        "questionnaire_version": "1",
        "questionnaire_sha256": "0" * 64,
        "ruleset_id": "r",
        "ruleset_version": "1",
        "ruleset_sha256": "0" * 64,
        "engine_version": "1",
        **extra,
    }
