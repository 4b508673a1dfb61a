"""Many clients at once on a real server, on SQLite and PostgreSQL: nothing hangs, nothing fails, nothing is lost.

Two hundred authenticated requests start together (API submissions, staff intakes and staff list views), more
than the server's worker threads. Once, a request held the only SQLite connection while it waited for a worker
thread, and every worker thread waited for that connection: the whole site stopped until the 60-second pool
timeouts.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
import uvicorn
from helpers.web import field, form_pairs, shown_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from screening.loader import load_definition
from screening.response import read_response_file
from screening.web.app import create_app
from screening.web.auth import add_api_token, add_user, start_session
from screening.web.db import WORKER_THREADS, Submission, make_engine
from screening.web.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CLIENTS = 200
CLIENT_TIMEOUT = 45.0  # seconds; the old deadlock held requests for 60 s and more


@dataclass
class Server:
    port: int
    settings: Settings
    api_token: str
    staff_cookie: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    settings = Settings.load(tmp_path / "data", database_url=database_url)
    app = create_app(settings)
    sessions = app.state.services.sessions
    with sessions() as db:
        user = add_user(db, "reception", "correct horse battery staple")
        cookie = start_session(db, user, timedelta(hours=1))
        token = add_api_token(db, "clinic-system")
        db.commit()
    port = _free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", access_log=False, backlog=4096
    )
    runner = uvicorn.Server(config)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not runner.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    yield Server(port, settings, token, cookie)
    runner.should_exit = True
    thread.join(timeout=30)
    app.state.services.engine.dispose()


def _request(port: int, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


@dataclass
class StaffPage:
    text: str
    csrf_cookie: str


def _staff_page(server: Server, path: str) -> StaffPage:
    """A staff page and the CSRF cookie it sets (its form must repeat the token)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=CLIENT_TIMEOUT)
    try:
        connection.request("GET", path, headers={"cookie": f"screening_session={server.staff_cookie}"})
        answer = connection.getresponse()
        text = answer.read().decode()
        cookies = SimpleCookie()
        for header in answer.headers.get_all("set-cookie") or []:
            cookies.load(header)
        assert answer.status == 200 and "csrftoken" in cookies, answer.status
        return StaffPage(text, cookies["csrftoken"].value)
    finally:
        connection.close()


def test_two_hundred_concurrent_authenticated_requests_all_complete(server: Server) -> None:
    assert CLIENTS > WORKER_THREADS  # more requests than worker threads, as in the deadlock
    data, _ = read_response_file(EXAMPLES / "physio_cervicogenic.yaml")
    body = json.dumps(data, default=str).encode()
    intake_page = _staff_page(server, "/staff/intake")
    intake_token = field(intake_page.text, "csrftoken")
    intake_cookie = f"screening_session={server.staff_cookie}; csrftoken={intake_page.csrf_cookie}"
    definition = load_definition(server.settings.questionnaire, server.settings.ruleset)
    answers = data["answers"]
    seen = " ".join(sorted(shown_for(definition, answers)))
    intake_fields = [("seen", seen), ("name", "Test Patient Load"), *form_pairs(answers)]
    start = threading.Barrier(CLIENTS)
    outcomes: dict[int, tuple[str, int | str, str]] = {}

    def client(n: int) -> None:
        start.wait()
        try:
            if n % 5 < 3:  # three in five submit through the API, each with a key of its own
                key = f"load-{n}"
                status, _ = _request(
                    server.port,
                    "POST",
                    "/api/v1/submissions",
                    body,
                    {
                        "authorization": f"Bearer {server.api_token}",
                        "content-type": "application/json",
                        "idempotency-key": key,
                    },
                )
                outcomes[n] = ("api", status, key)
            elif n % 5 == 3:  # one in five opens the staff list
                cookie = {"cookie": f"screening_session={server.staff_cookie}"}
                status, _ = _request(server.port, "GET", "/staff/submissions", None, cookie)
                outcomes[n] = ("staff", status, "")
            else:  # and one in five saves a staff intake (stored together with others on SQLite)
                headers = {"cookie": intake_cookie, "content-type": "application/x-www-form-urlencoded"}
                form = urlencode([("csrftoken", intake_token), ("key", f"intake-{n}"), *intake_fields])
                status, _ = _request(server.port, "POST", "/staff/intake", form.encode(), headers)
                outcomes[n] = ("intake", status, f"intake-{n}")
        except (OSError, http.client.HTTPException) as exc:
            outcomes[n] = ("error", type(exc).__name__, "")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=CLIENT_TIMEOUT + 30)
    assert len(outcomes) == CLIENTS, "some clients never finished"
    failures = {n: o for n, o in outcomes.items() if o[1] not in ((303,) if o[0] == "intake" else (200, 201))}
    assert not failures, f"{len(failures)} of {CLIENTS} requests failed: {sorted(failures.items())[:5]}"
    acknowledged = sorted(key for kind, status, key in outcomes.values() if kind in ("api", "intake"))
    assert len(acknowledged) == sum(1 for n in range(CLIENTS) if n % 5 != 3)
    engine = make_engine(server.settings.database_url)
    try:
        with Session(engine) as db:
            stored = db.scalar(select(func.count()).select_from(Submission))
            distinct = db.scalar(select(func.count(func.distinct(Submission.idempotency_key))))
    finally:
        engine.dispose()
    assert stored == len(acknowledged) == distinct  # every acknowledged submission stored, each once
