"""PDFs off the request path: queued with the submission, rendered once by whichever worker gets the job.

On SQLite the jobs table is claimed like the alert outbox; on PostgreSQL procrastinate runs the jobs. The last
test runs what a deployment on several machines runs: two `screening serve` processes and a `screening worker` on
one PostgreSQL (one server with a worker inside, one without), and checks that they share limits and idempotency
keys and that every PDF is rendered exactly once.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from helpers.postgres import Server as PostgresServer
from helpers.web import Site
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from screening.response import read_response_file
from screening.web.db import Job, Pdf, make_engine, migrate
from screening.web.jobs import TableWorker, Timing, render_pdf_of

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
RENDERED = re.compile(r"referral PDF of submission ([0-9a-f]{8}) rendered")


def _api_submissions(site: Site, count: int) -> list[str]:
    token = site.api_token()
    body = _document()
    ids = []
    for n in range(count):
        answer = site.client.post(
            "/api/v1/submissions", json=body, headers={"authorization": f"Bearer {token}", "idempotency-key": f"k{n}"}
        )
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    return ids


def _document() -> dict[str, Any]:
    data, _ = read_response_file(EXAMPLES / "physio_cervicogenic.yaml")
    document: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return document


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # its own queue
def test_a_submission_queues_its_pdf_in_its_own_transaction(site: Site) -> None:
    (submission,) = _api_submissions(site, 1)
    with site.db() as db:
        job = db.scalars(select(Job)).one()
        assert (job.kind, job.submission_id, job.done_at, job.attempts) == ("pdf", submission, None, 0)
        assert db.scalar(select(func.count()).select_from(Pdf)) == 0  # nothing rendered while the request ran


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # its own queue
def test_two_workers_on_one_sqlite_file_render_each_pdf_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, site: Site
) -> None:
    ids = _api_submissions(site, 4)
    handled: list[str] = []
    workers = []
    for _ in range(2):  # two engines: as two processes sharing the file
        engine = make_engine(site.services.settings.database_url)
        sessions = sessionmaker(engine, expire_on_commit=False)

        def handle(submission_id: str, sessions: sessionmaker[Any] = sessions) -> None:
            handled.append(submission_id)
            render_pdf_of(site.services, sessions, submission_id)

        workers.append((engine, TableWorker(sessions, handle)))
    start = threading.Barrier(2)

    def run(worker: TableWorker) -> None:
        start.wait()
        worker.run_once()

    with caplog.at_level(logging.INFO, logger="screening.web.jobs"):
        threads = [threading.Thread(target=run, args=(w,)) for _, w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert sorted(handled) == sorted(ids)  # each job claimed by one worker only
    rendered = Counter(m.group(1) for r in caplog.records if (m := RENDERED.search(r.getMessage())))
    assert rendered == Counter(i[:8] for i in ids)
    with site.db() as db:
        assert db.scalar(select(func.count()).select_from(Pdf)) == 4
        assert db.scalar(select(func.count()).select_from(Job).where(Job.done_at.is_(None))) == 0
    for engine, _ in workers:
        engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # its own queue
def test_a_failed_job_waits_then_a_waiting_staff_member_makes_it_due_again(site: Site) -> None:
    (submission,) = _api_submissions(site, 1)
    calls: list[str] = []

    def broken(submission_id: str) -> None:
        calls.append(submission_id)
        raise OSError("disk full")

    worker = TableWorker(site.services.sessions, broken, Timing(first_retry=timedelta(hours=1)))
    assert worker.run_once() == 0 and calls == [submission]
    assert worker.run_once() == 0 and len(calls) == 1  # not due again for an hour
    with site.db() as db:
        job = db.scalars(select(Job)).one()
        assert job.attempts == 1 and job.last_error == "OSError: disk full" and job.claim is None
    site.add_staff()
    site.login()
    waiting = site.client.get(f"/staff/submissions/{submission}/summary.pdf")
    assert waiting.status_code == 200 and "being prepared" in waiting.text
    assert worker.run_once() == 0 and len(calls) == 2  # asked for again: due now
    site.run_jobs()
    assert len(calls) == 2  # failed again: backing off, not done by the next worker either
    assert "being prepared" in site.client.get(f"/staff/submissions/{submission}/summary.pdf").text
    site.run_jobs()  # a working render this time
    assert site.client.get(f"/staff/submissions/{submission}/summary.pdf").content.startswith(b"%PDF")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # its own queue
def test_the_pdf_is_rendered_once_on_postgresql_even_when_asked_for_while_rendering(site: Site) -> None:
    (submission,) = _api_submissions(site, 1)
    token = site.api_token("second")
    auth = {"authorization": f"Bearer {token}"}
    for _ in range(3):  # each one asks again: a single job stays queued
        assert site.client.get(f"/api/v1/submissions/{submission}/summary.pdf", headers=auth).status_code == 202
    with site.services.engine.connect() as connection:
        waiting = connection.exec_driver_sql("SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo'").scalar()
    assert waiting == 1
    site.run_jobs()
    pdf = site.client.get(f"/api/v1/submissions/{submission}/summary.pdf", headers=auth)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


# --- two servers and a worker, as separate processes, on one PostgreSQL ------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _call(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        connection.close()


@pytest.fixture
def processes(postgres_server: PostgresServer | None, tmp_path: Path) -> Iterator[dict[str, Any]]:
    if postgres_server is None:
        pytest.skip("PostgreSQL is not installed here (CI installs it and runs these)")
    url = postgres_server.new_database()
    data = tmp_path / "data"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SCREENING_DATABASE_URL": url,
        "SCREENING_SECRET_KEY": "k" * 48,
        "SCREENING_PUBLIC_PAGE_POSTS_PER_MINUTE": "8",
    }
    from screening.web.auth import add_api_token

    engine = make_engine(url)
    migrate(engine)
    with sessionmaker(engine)() as db:
        token = add_api_token(db, "clinic-system")
        db.commit()
    ports = [_free_port(), _free_port()]
    command = [sys.executable, "-m", "screening"]
    started: list[tuple[subprocess.Popen[bytes], Path]] = []
    for name, args in (
        ("server-a", ["serve", "--port", str(ports[0]), "--data", str(data)]),
        ("server-b", ["serve", "--port", str(ports[1]), "--data", str(data), "--no-jobs"]),  # renders nothing
        ("worker", ["worker", "--data", str(data)]),
    ):
        log = tmp_path / f"{name}.log"
        with log.open("wb") as out:
            started.append((subprocess.Popen([*command, *args], env=env, stdout=out, stderr=out), log))
    try:
        for port in ports:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if _call(port, "GET", "/")[0] == 200:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, "a server did not start"
                time.sleep(0.2)
        yield {"ports": ports, "token": token, "engine": engine, "logs": [log for _, log in started]}
    finally:
        for process, _ in started:
            process.send_signal(signal.SIGTERM)
        for process, _ in started:
            try:
                process.wait(90)
            except subprocess.TimeoutExpired:
                process.kill()
        engine.dispose()


def _page_posts(ports: list[int], count: int) -> list[int]:
    """Patient page posts from one address, alternating between the two servers (one form cookie for both)."""
    status, headers, _ = _call(ports[0], "GET", "/screen")
    assert status == 200
    cookie = headers["set-cookie"].split(";")[0]
    token = cookie.split("=", 1)[1]
    body = urlencode({"csrftoken": token}).encode()
    form = {"cookie": cookie, "content-type": "application/x-www-form-urlencoded"}
    return [_call(ports[n % 2], "POST", "/visibility", body, form)[0] for n in range(count)]


@pytest.mark.slow
def test_two_servers_and_a_worker_share_limits_and_render_every_pdf_once(processes: dict[str, Any]) -> None:
    ports, engine = processes["ports"], processes["engine"]
    auth = {"authorization": f"Bearer {processes['token']}", "content-type": "application/json"}
    # 1. the per-address limit (8 patient posts a minute) is counted across both servers
    for _ in range(2):  # a clock minute may turn over in the middle: then the counts restart; try once more
        minute = time.time() // 60
        statuses = _page_posts(ports, 12)
        if time.time() // 60 == minute:
            break
    assert statuses == [200] * 8 + [429] * 4, statuses
    # 2. an idempotency key sent to one server and retried on the other makes one submission
    body = json.dumps(_document(), default=str).encode()
    first = _call(ports[0], "POST", "/api/v1/submissions", body, {**auth, "idempotency-key": "retry"})
    again = _call(ports[1], "POST", "/api/v1/submissions", body, {**auth, "idempotency-key": "retry"})
    assert (first[0], again[0]) == (201, 200)
    assert json.loads(first[2])["id"] == json.loads(again[2])["id"]
    # 3. every PDF is rendered exactly once, by the worker in server A or by the worker process
    ids = [json.loads(first[2])["id"]]
    for n in range(9):
        keyed = {**auth, "idempotency-key": f"s{n}"}
        status, _, answer = _call(ports[n % 2], "POST", "/api/v1/submissions", body, keyed)
        assert status == 201
        ids.append(json.loads(answer)["id"])
    pending = set(ids)
    deadline = time.monotonic() + 180
    while pending:  # staff systems poll; each poll while it is not ready asks for it again
        for submission in sorted(pending):
            path = f"/api/v1/submissions/{submission}/summary.pdf"
            status, headers, content = _call(ports[len(pending) % 2], "GET", path, None, auth)
            if status == 200:
                assert content.startswith(b"%PDF")
                pending.discard(submission)
            else:
                assert status == 202 and headers["retry-after"] == "2"
        assert time.monotonic() < deadline, f"{len(pending)} PDFs never arrived"
        time.sleep(0.3)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Pdf)).scalar() == len(ids)
    time.sleep(1.0)  # jobs queued again by the polls run now, and must find the PDFs there
    rendered: Counter[str] = Counter()
    by_process = []
    for log in processes["logs"]:
        found = RENDERED.findall(log.read_text("utf-8", "replace"))
        by_process.append(len(found))
        rendered.update(found)
    assert rendered == Counter(i[:8] for i in ids), rendered
    assert by_process[1] == 0  # server B was started with --no-jobs
