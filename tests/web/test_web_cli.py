"""The web commands: `screening user`, `screening token`, `screening serve` (started for real, then stopped) and
`screening worker`."""

from __future__ import annotations

import io
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from screening.cli import main


def test_user_add_and_password(tmp_path: Path, monkeypatch: object, capsys: object) -> None:
    import io

    data = tmp_path / "data"
    sys_stdin = sys.stdin
    try:
        sys.stdin = io.StringIO("a long enough password\n")
        assert main(["user", "add", "reception", "--data", str(data)]) == 0
        sys.stdin = io.StringIO("a long enough password\n")
        assert main(["user", "add", "reception", "--data", str(data)]) == 1  # already there: clear error
        sys.stdin = io.StringIO("short\n")
        assert main(["user", "password", "reception", "--data", str(data)]) == 1
        sys.stdin = io.StringIO("another long password\n")
        assert main(["user", "password", "reception", "--data", str(data)]) == 0
    finally:
        sys.stdin = sys_stdin
    out = capsys.readouterr()  # type: ignore[attr-defined]
    assert "already exists" in out.err and "at least 10" in out.err
    assert "Traceback" not in out.err
    assert (data / "screening.db").exists() and (data / "secret.key").exists()
    assert oct((data / "secret.key").stat().st_mode & 0o777) == "0o600"


def test_token_add_prints_it_once(tmp_path: Path, capsys: object) -> None:
    assert main(["token", "add", "practice-system", "--data", str(tmp_path)]) == 0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "scr_" in out


def test_user_list_disable_and_enable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    assert main(["user", "list", "--data", data]) == 0
    assert "No staff accounts yet" in capsys.readouterr().err
    for name in ("reception", "physio"):
        sys.stdin, saved = io.StringIO("a long enough password\n"), sys.stdin
        try:
            assert main(["user", "add", name, "--data", data]) == 0
        finally:
            sys.stdin = saved
    assert main(["user", "disable", "physio", "--data", data]) == 0
    assert "sessions have ended" in capsys.readouterr().out
    assert main(["user", "list", "--data", data]) == 0
    listed = [line.split("\t")[:2] for line in capsys.readouterr().out.splitlines()]
    assert listed == [["physio", "disabled"], ["reception", "active"]]
    assert main(["user", "enable", "physio", "--data", data]) == 0
    assert main(["user", "list", "--data", data]) == 0
    assert "physio\tactive" in capsys.readouterr().out
    assert main(["user", "disable", "nobody", "--data", data]) == 1
    assert main(["user", "disable", "--data", data]) == 64, "a missing NAME is a usage error"
    err = capsys.readouterr().err
    assert "no user called 'nobody'" in err and "Traceback" not in err
    assert "[SCR805] NAME: say which one: screening user disable NAME" in err


def test_token_list_and_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    assert main(["token", "add", "practice-system", "--data", data]) == 0
    assert main(["token", "add", "lab-system", "--data", data]) == 0
    assert main(["token", "revoke", "lab-system", "--data", data]) == 0
    capsys.readouterr()
    assert main(["token", "list", "--data", data]) == 0
    out = capsys.readouterr().out
    listed = [line.split("\t")[:2] for line in out.splitlines()]
    assert listed == [["lab-system", "revoked"], ["practice-system", "active"]]
    assert "scr_" not in out, "a token is shown once, when it is made, and never listed"
    assert main(["token", "revoke", "no-such-system", "--data", data]) == 1
    assert "no API token called" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_serve_starts_on_its_defaults(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "screening", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as answer:
                    page = answer.read().decode()
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "the server did not answer within 30 s"
                time.sleep(0.2)
        assert "Start now" in page
        assert (tmp_path / "screening-data" / "screening.db").exists()  # embedded default: SQLite in a data folder
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "No staff accounts yet" in output
    assert "Traceback" not in output


def test_serve_ignores_forwarding_headers_unless_a_proxy_is_named(tmp_path: Path) -> None:
    """A client on this machine cannot escape the per-address limit by claiming other addresses."""
    import httpx2

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
    env["SCREENING_PUBLIC_PAGE_POSTS_PER_MINUTE"] = "3"
    server = subprocess.Popen(
        [sys.executable, "-m", "screening", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        with httpx2.Client(base_url=base, timeout=5) as client:
            while True:
                try:
                    page = client.get("/screen")
                    break
                except httpx2.TransportError:
                    assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                    time.sleep(0.2)
            token = re.search(r'name="csrftoken" value="([^"]+)"', page.text)
            assert token is not None
            statuses = [
                client.post(
                    "/visibility",
                    data={"csrftoken": token.group(1)},
                    headers={"x-forwarded-for": f"203.0.113.{n}"},
                ).status_code
                for n in range(5)
            ]
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]


def test_worker_once_renders_what_is_queued_then_stops(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """On SQLite a `screening worker` process works through the same jobs table as the servers."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from screening.loader import load_definition
    from screening.response import parse_response, read_response_file
    from screening.web.db import Job, Pdf, make_engine, migrate
    from screening.web.settings import Settings
    from screening.web.store import submit

    caplog.set_level(logging.INFO, logger="screening.web.jobs")
    data = tmp_path / "data"
    engine = make_engine(Settings.load(data).database_url)
    migrate(engine)
    definition = load_definition(None, None)
    raw, _ = read_response_file(Path(__file__).resolve().parents[2] / "examples" / "physio_cervicogenic.yaml")
    response = parse_response(raw, definition)
    with Session(engine) as db:
        for _ in range(2):
            submit(db, definition, response, channel="api", actor="api:test", action="api_submit")
    assert main(["worker", "--once", "--data", str(data)]) == 0
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(Pdf)) == 2
        assert db.scalar(select(func.count()).select_from(Job).where(Job.done_at.is_(None))) == 0
    assert len([r for r in caplog.records if "rendered" in r.getMessage()]) == 2
    assert main(["worker", "--once", "--data", str(data)]) == 0  # nothing left to do: nothing rendered again
    assert len([r for r in caplog.records if "rendered" in r.getMessage()]) == 2
    engine.dispose()


def test_worker_says_when_the_database_cannot_be_reached(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCREENING_SECRET_KEY", "k" * 48)
    unreachable = f"postgresql+psycopg://nobody@/screening?host={tmp_path / 'no-server'}"
    assert main(["worker", "--once", "--data", str(tmp_path / "data"), "--database", unreachable]) == 2
    message = capsys.readouterr().err
    assert "SCR608" in message and "cannot reach the database" in message and "Traceback" not in message


@pytest.mark.parametrize("command", [["serve"], ["user", "list"], ["token", "list"]])
def test_server_and_account_commands_say_when_the_database_cannot_be_reached(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a signing key set, the first thing to reach the database is bringing its schema up to date."""
    monkeypatch.setenv("SCREENING_SECRET_KEY", "k" * 48)
    monkeypatch.setenv("SCREENING_DATABASE_URL", f"postgresql+psycopg://nobody@/screening?host={tmp_path / 'none'}")
    assert main([*command, "--data", str(tmp_path / "data")]) == 2
    message = capsys.readouterr().err
    assert "SCR608" in message and "cannot reach the database" in message and "Traceback" not in message
