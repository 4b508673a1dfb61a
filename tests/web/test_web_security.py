"""Security of the web edge: login walls, CSRF, headers, caching, body limits, rate limits, escaping, logs."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from helpers.web import Site, field, hidden_fields
from sqlalchemy import text
from starlette.routing import Mount

from screening.web.security import CONTENT_SECURITY_POLICY

PUBLIC_STAFF = {("/staff/login", "GET"), ("/staff/login", "POST")}


def _routes(site: Site, prefix: str) -> list[tuple[str, str]]:
    """Every (path, method) the app answers under the prefix, included routers and all."""
    routes = []
    for context in iter_route_contexts(site.client.app.routes):  # type: ignore[attr-defined]
        path = context.path or ""
        if isinstance(context.original_route, Mount) or not path.startswith(prefix):
            continue
        for method in sorted(getattr(context.original_route, "methods", None) or {"GET"}):
            if method != "HEAD" and (path, method) not in PUBLIC_STAFF:
                routes.append((path, method))
    return routes


def test_every_staff_route_needs_a_session(site: Site) -> None:
    routes = _routes(site, "/staff")
    assert len(routes) >= 8  # the walk really covers the staff area
    page = site.client.get("/staff/login")
    token = field(page.text, "csrftoken")
    for path, method in routes:
        url = re.sub(r"\{[^}]+\}", "0" * 32, path)
        if method == "GET":
            answer = site.client.get(url)
        else:
            answer = site.post(url, {"csrftoken": token, "status": "contacted"})
        assert answer.status_code in (303, 401, 403), (method, path, answer.status_code)
        if answer.status_code == 303:
            assert answer.headers["location"] == "/staff/login", (method, path)


def test_every_api_route_needs_a_token(site: Site) -> None:
    routes = [r for r in _routes(site, "/api/v1") if not r[0].endswith("openapi.json")]
    assert len(routes) >= 3
    for path, method in routes:
        url = re.sub(r"\{[^}]+\}", "0" * 32, path)
        for headers in ({}, {"authorization": "Bearer scr_not-a-real-token"}):
            answer = site.client.request(method, url, headers=headers, json={})
            assert answer.status_code == 401, (method, path)
            assert answer.headers["www-authenticate"] == "Bearer"


def test_a_forged_or_expired_session_cookie_is_refused(site: Site) -> None:
    site.client.cookies.set("screening_session", "forged-token", path="/staff")
    assert site.client.get("/staff/submissions").status_code == 303


def test_every_post_needs_a_csrf_token(site: Site, physio_answers: dict[str, Any]) -> None:
    site.add_staff()
    site.login()
    page = site.client.get("/screen")
    posts = [
        ("/screen", [p for p in hidden_fields(page.text) if p[0] != "csrftoken"]),
        ("/visibility", []),
        ("/staff/login", [("name", "reception"), ("password", "x")]),
        ("/staff/logout", []),
        ("/staff/intake", [("name", "Test Patient")]),
        (f"/staff/submissions/{'0' * 32}/status", [("status", "contacted")]),
    ]
    for path, data in posts:
        assert site.post(path, data).status_code == 403, path  # with cookies, no token
        assert site.post(path, [*data, ("csrftoken", "forged")]).status_code == 403, path
    # and without any cookie at all
    fresh = site.client.__class__(site.client.app, follow_redirects=False)
    for path, _ in posts:
        answer = fresh.post(path, content="a=b", headers={"content-type": "application/x-www-form-urlencoded"})
        assert answer.status_code == 403, path
    assert site.count() == 0


def test_other_form_encodings_are_refused_outside_the_api(site: Site) -> None:
    page = site.client.get("/screen")
    token = field(page.text, "csrftoken")
    multipart = site.client.post("/screen", files={"x": ("a.txt", b"hi")}, data={"csrftoken": token})
    assert multipart.status_code == 415
    as_json = site.client.post("/screen", json={"csrftoken": token})
    assert as_json.status_code == 415


@pytest.mark.parametrize("path", ["/", "/screen", "/staff/login", "/nowhere", "/api/v1/openapi.json"])
def test_security_headers_on_every_response(site: Site, path: str) -> None:
    answer = site.client.get(path)
    h = answer.headers
    assert h["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in h["content-security-policy"] and "unsafe-inline" not in h["content-security-policy"]
    assert "frame-ancestors 'none'" in h["content-security-policy"]
    assert h["x-frame-options"] == "DENY"
    assert h["referrer-policy"] == "no-referrer"
    assert h["x-content-type-options"] == "nosniff"
    assert h["cache-control"] == "no-store"


def test_pages_with_patient_data_are_not_stored(site: Site, physio_answers: dict[str, Any]) -> None:
    done = site.complete(physio_answers)
    for url in (done.headers["location"], done.headers["location"] + "/summary.pdf"):
        assert site.client.get(url).headers["cache-control"] == "no-store"
    assert site.client.get("/static/site.css").headers["cache-control"].startswith("public")


def test_no_inline_script_or_style_in_pages(site: Site, physio_answers: dict[str, Any]) -> None:
    pages = [p for p in site.walk(physio_answers) if p.status_code == 200]
    for page in pages:
        assert not re.search(r"<script(?![^>]*\bsrc=)", page.text)
        assert " style=" not in page.text and "<style" not in page.text
        assert not re.search(r"\son[a-z]+=", page.text)


def test_request_size_limit(site: Site) -> None:
    limit = site.services.settings.max_body_bytes
    big = "a=" + "x" * (limit + 1)
    answer = site.client.post("/screen", content=big, headers={"content-type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 413

    def chunks() -> Any:  # no Content-Length: counted as it streams
        for _ in range(limit // 1024 + 2):
            yield b"x" * 1024

    token = site.api_token()
    streamed = site.client.post(
        "/api/v1/submissions",
        content=chunks(),
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
    )
    assert streamed.status_code == 413


MID_MINUTE = 1_800_000_030.0  # 30 s into a clock minute


def test_public_submissions_are_rate_limited(site: Site, physio_answers: dict[str, Any]) -> None:
    site.services.limiter.per_minute = 2
    site.services.limiter.clock = lambda: MID_MINUTE  # all three in one clock minute, however slow the machine
    assert site.complete(physio_answers).status_code == 303
    assert site.complete(physio_answers).status_code == 303
    third = site.complete(physio_answers)
    assert third.status_code == 429
    assert "wait a minute" in third.text
    assert site.count() == 2


def test_shared_rate_limit_counts_in_the_database(site: Site) -> None:
    from screening.web.ratelimit import SharedRateLimiter

    services = site.services
    one = SharedRateLimiter(services.sessions, services.settings.secret_key, 3, "test")
    other = SharedRateLimiter(services.sessions, services.settings.secret_key, 3, "test")  # another process
    elsewhere = SharedRateLimiter(services.sessions, services.settings.secret_key, 3, "other kind")

    def allow(limiter: SharedRateLimiter, key: str, now: float) -> bool:
        limiter.clock = lambda: now
        return limiter.allow(key)

    assert [allow(limiter, "a", t) for t, limiter in ((0, one), (1, other), (2, one), (3, other))] == [
        True,
        True,
        True,
        False,
    ]
    assert allow(one, "b", 3)  # per address
    assert allow(elsewhere, "a", 3)  # per kind
    assert allow(other, "a", 61)  # the next minute starts afresh
    with site.db() as db:
        stored = [key for (key,) in db.execute(text("SELECT key FROM rate_counts"))]
    assert stored and all(key not in {"a", "b"} for key in stored)  # addresses are not stored as such


def test_emergency_stops_are_rate_limited_and_still_say_call_999(site: Site, physio_answers: dict[str, Any]) -> None:
    site.services.limiter.per_minute = 2
    site.services.limiter.clock = lambda: MID_MINUTE  # all three in one clock minute, however slow the machine
    emergency = {**physio_answers, "sudden_onset_headache": "yes", "worst_ever_headache": "yes"}
    assert site.complete(emergency).status_code == 303
    assert site.complete(emergency).status_code == 303
    third = site.complete(emergency)
    assert third.status_code == 429
    assert "call 999" in third.text
    assert site.count() == 2


def test_every_patient_post_is_limited(site: Site) -> None:
    site.services.page_limiter.per_minute = 3
    site.services.page_limiter.clock = lambda: MID_MINUTE
    page = site.client.get("/screen")
    form = [("csrftoken", field(page.text, "csrftoken")), ("key", field(page.text, "key")), ("step", "0")]
    statuses = [site.post("/screen", [*form, ("action", "next")]).status_code for _ in range(4)]
    assert statuses[:3] == [200, 200, 200] and statuses[3] == 429


def test_host_header_is_never_reflected_into_a_redirect(site: Site) -> None:
    answer = site.client.get(f"/result/{'a' * 32}/{'b' * 40}/", headers={"host": "evil.example"})
    assert "evil.example" not in answer.headers.get("location", "")
    assert answer.status_code == 404


def test_allowed_hosts_refuse_other_host_headers(tmp_path: Any) -> None:
    from starlette.testclient import TestClient

    from screening.web.app import create_app
    from screening.web.settings import Settings

    settings = Settings.load(tmp_path / "data", allowed_hosts=("clinic.example",))
    app = create_app(settings)
    with TestClient(app, base_url="http://clinic.example") as client:
        assert client.get("/").status_code == 200
        other = client.get("/", headers={"host": "evil.example"})
        assert other.status_code == 400
        assert other.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    app.state.services.engine.dispose()


def test_errors_carry_the_security_headers(site: Site) -> None:
    from sqlalchemy.exc import OperationalError

    def broken() -> None:
        raise RuntimeError("boom")

    def database_down() -> None:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    app = site.client.app
    app.add_api_route("/broken", broken)  # type: ignore[attr-defined]
    app.add_api_route("/api/v1/database-down", database_down)  # type: ignore[attr-defined]
    page = site.client.get("/broken")
    assert page.status_code == 500 and "text/html" in page.headers["content-type"]
    assert "999" in page.text and "boom" not in page.text
    api = site.client.get("/api/v1/database-down")
    assert api.status_code == 503 and api.headers["retry-after"] == "5" and api.json()["detail"]
    too_big = site.client.post("/api/v1/submissions", content=b"x" * (site.services.settings.max_body_bytes + 1))
    for answer in (page, api, too_big):
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert answer.headers["x-frame-options"] == "DENY"
    assert too_big.status_code == 413


def test_list_filters_out_of_range_are_form_errors_not_server_errors(site: Site) -> None:
    site.add_staff()
    site.login()
    for query in (
        "page_number=100000000000000000000",
        "until=9999-12-31",
        "since=0001-01-01",
        "name=%00",
        "name=a%00b",
    ):
        answer = site.client.get(f"/staff/submissions?{query}")
        assert answer.status_code == 200, (query, answer.status_code)
    assert "Enter a date between" in site.client.get("/staff/submissions?until=9999-12-31").text


def test_head_is_answered_like_get_without_a_body(site: Site) -> None:
    for path in ("/", "/screen", "/staff/login"):
        answer = site.client.head(path)
        assert answer.status_code == 200, path
        assert answer.content == b""
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_answers_and_names_are_escaped_everywhere(site: Site, physio_answers: dict[str, Any]) -> None:
    site.add_staff()
    site.login()
    saved = site.staff_intake(physio_answers, name=HOSTILE, contact=HOSTILE)
    assert saved.status_code == 303
    detail = site.client.get(saved.headers["location"])
    listing = site.client.get("/staff/submissions")
    for page in (detail.text, listing.text):
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert" in page


def test_no_patient_data_in_logs(site: Site, physio_answers: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    name, contact = "Zebedee Uniquename", "07700 900123"
    answers = dict(physio_answers)
    caplog.set_level(logging.DEBUG)
    done = site.complete(answers, {"name": name, "contact": contact})
    site.client.get(done.headers["location"])
    site.client.get(done.headers["location"] + "/summary.pdf")
    site.add_staff()
    site.login()
    site.client.get("/staff/submissions", params={"name": "Zebedee"})
    site.staff_intake(answers, name=name, contact=contact)
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "POST /screen 303" in logged  # the access log is on, and was captured
    assert "POST /staff/intake 303" in logged  # a plain Starlette route is named by its path too
    (token,) = re.findall(r"/result/[0-9a-f]{32}/([0-9a-f]{40})", done.headers["location"])
    for secret in (name, "Zebedee", contact, token, "physio_assessment"):
        assert secret not in logged
    for value in {str(v) for v in answers.values() if isinstance(v, str) and len(v) > 3}:
        assert f"={value}" not in logged
