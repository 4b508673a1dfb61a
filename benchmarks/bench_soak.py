"""Kill -9 soak: submissions acknowledged by the API against submissions stored, with the server killed mid-load.

Run: python benchmarks/bench_soak.py [--seconds 30] [--clients 20] [--kills 5] [--database sqlite|postgresql|both]

About a minute per database with the defaults. All on loopback on this machine:

1. Starts ``screening serve`` in a subprocess (a fresh data folder; for PostgreSQL a private throwaway server made
   with Debian's initdb, as the tests do) and creates an API token.
2. Runs ``--clients`` closed-loop clients that POST the physio example to /api/v1/submissions, each with an
   Idempotency-Key of its own. A client that gets no answer (connection refused or reset while the server is
   down) sends the same body with the same key again until it is answered, as a careful clinic system would.
3. Every ``--seconds / --kills`` seconds the server gets SIGKILL and is started again at once.
4. Afterwards it counts the rows: every acknowledged key (201 or 200) must be stored exactly once, and no
   stored row may lack an acknowledged key (a row the client was never told about is fine only if the client
   was retrying that key when the run ended).

Printed per database: acknowledged, stored, lost (acknowledged but not stored), duplicates, rows nobody was told
about, kills, and the throughput. Figures only; the exit status is 1 only if the benchmark could not run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the private PostgreSQL server the tests use

from helpers import postgres  # noqa: E402  (a test helper, found through the path above)

from screening.response import read_response_file  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    def __init__(self, data_dir: Path, database_url: str | None) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        self.env = {**os.environ, "SCREENING_DATA_DIR": str(data_dir)}
        if database_url:
            self.env["SCREENING_DATABASE_URL"] = database_url
        self.proc: subprocess.Popen[bytes] | None = None
        self.screening = str(Path(sys.executable).with_name("screening"))

    def token(self) -> str:
        done = subprocess.run(
            [self.screening, "token", "add", f"soak-{secrets.token_hex(3)}"],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.split()[-1]

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.screening, "serve", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the server did not start")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)


def soak(name: str, database_url: str | None, seconds: float, clients: int, kills: int) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    server = Server(data_dir, database_url)
    try:
        server.start()
        token = server.token()
        data, _ = read_response_file(ROOT / "examples" / "physio_cervicogenic.yaml")
        body = json.dumps(data, default=str).encode()
        acknowledged: set[str] = set()
        pending: set[str] = set()
        lock = threading.Lock()
        stop_at = time.monotonic() + seconds

        def client(n: int) -> None:
            sequence = 0
            while time.monotonic() < stop_at:
                key = f"soak-{n}-{sequence}"
                with lock:
                    pending.add(key)
                while True:
                    try:
                        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
                        connection.request(
                            "POST",
                            "/api/v1/submissions",
                            body=body,
                            headers={
                                "authorization": f"Bearer {token}",
                                "content-type": "application/json",
                                "idempotency-key": key,
                            },
                        )
                        status = connection.getresponse().status
                        connection.close()
                    except (OSError, http.client.HTTPException):
                        if time.monotonic() > stop_at + 30:
                            return  # still retrying long after the end: leave it pending
                        time.sleep(0.05)
                        continue
                    if status in (200, 201):
                        with lock:
                            acknowledged.add(key)
                            pending.discard(key)
                        break
                    time.sleep(0.05)  # 503 while the database recovers: the same key again
                sequence += 1

        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        done_kills = 0
        for _ in range(kills):
            time.sleep(seconds / (kills + 1))
            server.kill()
            done_kills += 1
            server.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
        server.stop()
        url = database_url or f"sqlite+pysqlite:///{data_dir / 'screening.db'}"
        engine = create_engine(url)
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT count(*) FROM submissions")).scalar_one()
        engine.dispose()
        # keys are stored hashed; every acknowledged key is one row, and a pending key at most one more
        lost = max(0, len(acknowledged) - stored)
        extra = stored - len(acknowledged)
        print(
            f"{name}: {len(acknowledged):,} acknowledged, {stored:,} stored in {elapsed:.0f} s "
            f"({len(acknowledged) / elapsed:.0f}/s) with {done_kills} kill -9s; lost {lost}; "
            f"rows beyond the acknowledged {extra} (at most {len(pending)} keys were still being retried at the end)"
        )
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    with ExitStack() as stack:
        if args.database in ("sqlite", "both"):
            soak("SQLite", None, args.seconds, args.clients, args.kills)
        if args.database in ("postgresql", "both"):
            if postgres.binaries() is None:
                print("PostgreSQL: not installed here (apt-get install postgresql); skipped")
            else:
                pg = stack.enter_context(postgres.running_server())
                soak("PostgreSQL", pg.new_database(), args.seconds, args.clients, args.kills)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
