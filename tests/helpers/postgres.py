"""A private, throwaway PostgreSQL server for the storage tests, started from Debian's packages.

The web tests run once on SQLite and once on PostgreSQL. When the PostgreSQL binaries are missing the
PostgreSQL half is skipped with the reason, unless SCREENING_REQUIRE_POSTGRES=1 (set by CI) makes that a failure.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa


@dataclass(frozen=True)
class Server:
    socket_dir: str
    port: int

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://screening@/{database}?host={self.socket_dir}&port={self.port}"

    def new_database(self) -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        admin = sa.create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return self.url(name)


def binaries() -> str | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return str(found[-1].parent) if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def running_server() -> Iterator[Server]:
    bin_dir = binaries()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL is not installed (apt-get install postgresql)")
    base = tempfile.mkdtemp(prefix="screening-pg-")
    data, sock = f"{base}/data", f"{base}/sock"
    Path(sock).mkdir()
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        owner = pwd.getpwnam("postgres")
        for path in (base, sock):
            os.chown(path, owner.pw_uid, owner.pw_gid)
        as_postgres = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    try:
        subprocess.run(
            [*as_postgres, f"{bin_dir}/initdb", "-D", data, "-A", "trust", "-U", "screening", "-E", "UTF8",
             "--locale=C.UTF-8", "--no-sync", "--no-instructions"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        options = f"-k {sock} -p {port} -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
        subprocess.run(
            [*as_postgres, f"{bin_dir}/pg_ctl", "-D", data, "-l", f"{base}/log", "-w", "-t", "60", "-o", options,
             "start"],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        yield Server(sock, port)
    finally:
        if Path(data, "postmaster.pid").exists():
            subprocess.run(
                [*as_postgres, f"{bin_dir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"],
                check=False, stdout=subprocess.DEVNULL,
            )  # fmt: skip
        shutil.rmtree(base, ignore_errors=True)
