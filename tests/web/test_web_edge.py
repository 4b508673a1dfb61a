"""The lean request path: one edge layer, sessions remembered for moments, no needless queries per staff intake."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from helpers.web import Site, field, form_pairs, shown_for
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, event

from screening.web import auth
from screening.web.db import StaffSession
from screening.web.security import CONTENT_SECURITY_POLICY, parse_form


@contextmanager
def statements(site: Site) -> Iterator[list[str]]:
    """Every SQL statement the app runs meanwhile."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    engines = [site.services.engine]
    if site.services.writer is not None:  # SQLite: the staff intake is stored on the group writer's engine
        engines.append(site.services.writer.engine)
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


def test_a_staff_intake_runs_no_session_query_and_no_queue_count(site: Site, physio_answers: dict[str, Any]) -> None:
    site.add_staff()
    site.login()
    page = site.client.get("/staff/intake")  # the session was just found valid
    data = [
        ("csrftoken", field(page.text, "csrftoken")),
        ("key", field(page.text, "key")),
        ("seen", " ".join(sorted(shown_for(site.definition, physio_answers)))),
        ("name", "Test Patient"),
        *form_pairs(physio_answers),
    ]
    with statements(site) as ran:
        saved = site.post("/staff/intake", data)
    assert saved.status_code == 303
    sql = "\n".join(ran)
    assert "staff_sessions" not in sql  # taken from memory (found valid moments ago)
    assert "count(*)" not in sql.lower()  # the header count is for pages, not for the redirect
    assert "INSERT INTO submissions" in sql


def test_staff_pages_still_show_the_queue_count(site: Site, physio_answers: dict[str, Any]) -> None:
    site.add_staff()
    site.login()
    site.staff_intake(physio_answers)
    page = site.client.get("/staff/submissions")
    assert 'class="count' in page.text  # the header's "Needs action" carries its count


def test_a_session_ended_elsewhere_is_refused_within_moments(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    site.add_staff()
    site.login()
    assert site.client.get("/staff/submissions").status_code == 200
    with site.db() as db:  # as another process would: no chance to forget the remembered session
        db.execute(delete(StaffSession))
        db.commit()
    assert site.client.get("/staff/submissions").status_code == 200, "remembered for a moment"
    monkeypatch.setattr(auth, "RECHECK_AFTER", -1.0)  # as if the moment had passed
    assert site.client.get("/staff/submissions").status_code == 303, "asked again, and refused"


def test_signing_out_ends_the_session_at_once(site: Site) -> None:
    site.add_staff()
    site.login()
    page = site.client.get("/staff/queue")
    cookie = site.client.cookies.get("screening_session")
    assert site.post("/staff/logout", {"csrftoken": field(page.text, "csrftoken")}).status_code == 303
    site.client.cookies.set("screening_session", cookie or "", path="/staff")  # the old cookie, kept by a thief
    assert site.client.get("/staff/queue").status_code == 303


def test_the_csrf_cookie_is_set_when_a_form_needs_it(site: Site) -> None:
    first = site.client.get("/screen")
    set_cookie = first.headers["set-cookie"]
    assert set_cookie.startswith("csrftoken=") and "SameSite=Strict" in set_cookie and "Path=/" in set_cookie
    assert "Cookie" in first.headers["vary"]
    token = field(first.text, "csrftoken")
    assert site.client.cookies.get("csrftoken") == token
    again = site.client.get("/screen")
    assert "set-cookie" not in again.headers  # a valid cookie is kept
    assert field(again.text, "csrftoken") == token


def test_a_csrf_cookie_not_signed_by_the_server_is_replaced(site: Site) -> None:
    site.client.cookies.set("csrftoken", "made-up")
    page = site.client.get("/screen")
    assert field(page.text, "csrftoken") != "made-up"
    posted = site.client.post(
        "/screen", content="csrftoken=made-up&a=b", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert posted.status_code == 403


def test_other_methods_on_pages_need_a_form_with_its_token(site: Site) -> None:
    site.client.get("/screen")
    for method in ("PUT", "DELETE", "PATCH"):
        answer = site.client.request(method, "/screen", content=b"{}", headers={"content-type": "application/json"})
        assert answer.status_code == 403, method
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_a_bearer_header_does_not_skip_the_csrf_check_on_pages(site: Site) -> None:
    site.client.get("/screen")
    answer = site.client.post(
        "/screen",
        content="a=b",
        headers={"content-type": "application/x-www-form-urlencoded", "authorization": "Bearer anything"},
    )
    assert answer.status_code == 403


def test_wildcard_hosts_and_ports(tmp_path: Any) -> None:
    from starlette.testclient import TestClient

    from screening.web.app import create_app
    from screening.web.settings import Settings

    settings = Settings.load(tmp_path / "data", allowed_hosts=("*.clinic.example", "localhost"))
    app = create_app(settings)
    with TestClient(app, base_url="http://localhost:8000") as client:
        assert client.get("/").status_code == 200
        assert client.get("/", headers={"host": "intake.clinic.example"}).status_code == 200
        assert client.get("/", headers={"host": "INTAKE.clinic.example:443"}).status_code == 200
        for host in ("clinic.example.evil", "evilclinic.example", "", "a b", "localhost:80:80"):
            assert client.get("/", headers={"host": host}).status_code == 400, host
    app.state.services.engine.dispose()


def test_a_body_cut_short_of_the_limit_is_still_refused_when_it_grows(site: Site) -> None:
    limit = site.services.settings.max_body_bytes
    site.client.get("/screen")

    def chunks() -> Iterator[bytes]:
        yield b"csrftoken=x&a="
        for _ in range(limit // 1024 + 2):
            yield b"x" * 1024

    answer = site.client.post(
        "/screen", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert answer.status_code == 413
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


FORM_TEXT = st.text(alphabet=st.sampled_from("ab=&+%20e9%C3%A9 %zz;\u00e9\x00"), max_size=60)


@given(text=FORM_TEXT | st.text(max_size=40))
def test_the_form_parser_reads_bodies_as_the_standard_library_does(text: str) -> None:
    """The edge's fast form parser gives the fields ``parse_qsl`` gives, whatever the body holds (escapes, plus
    signs, broken escapes, empty parts, non-ASCII)."""
    from urllib.parse import parse_qsl

    assert parse_form(text) == parse_qsl(text, keep_blank_values=True)
