"""The database engine: SQLite by default (one writer at a time, in turn across processes), PostgreSQL by URL;
and bringing the schema up to date with the Alembic migrations shipped in the package. Nothing here needs the
table models."""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from ..error_codes import ErrorCode
from ..errors import Problem, SettingsError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: SQLite's own busy handler decides between processes
    fcntl = None  # type: ignore[assignment]

MIGRATIONS = Path(__file__).with_name("migrations")


def database_url_for(data_dir: Path) -> str:
    return f"sqlite+pysqlite:///{data_dir / 'screening.db'}"


# AnyIO runs FastAPI's plain (sync) routes and dependencies on at most this many worker threads at once.
WORKER_THREADS = 40


def make_engine(url: str) -> Engine:
    """An engine for the URL; SQLite gets WAL mode, enforced foreign keys and one writer at a time.

    Why the pools cannot deadlock: a request holds a connection only while its route runs in a worker thread
    (dependencies hand theirs back before they return, see ``app.release``), so whoever holds a connection is
    always able to finish and give it back. On SQLite the pool never makes a thread wait at all: connections are
    cheap, readers never block each other in WAL mode, and writers take turns on a ``WriterLock`` (in this
    process, and across processes on a lock file beside the database) instead of in SQLite's busy handler. On
    PostgreSQL the pool is as large as the thread pool, so a worker thread never waits for a connection that
    another thread could hand back.
    """
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            # one kept connection per worker thread: with fewer, a busy server opened and closed a connection
            # (with its pragmas) for every request beyond them
            pool_size=WORKER_THREADS + 4,  # and the background workers'
            max_overflow=-1,  # never wait for a connection
        )

        event.listen(engine, "connect", _pragmas)
        _LOCKS[engine] = _one_writer_at_a_time(engine, WriterLock(path=_writer_lock_path(engine)))
        return engine
    return create_engine(
        url, pool_size=WORKER_THREADS // 4, max_overflow=WORKER_THREADS, pool_timeout=30, pool_pre_ping=True
    )


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
BUSY = "the database stayed busy with another write for too long"  # waiting in this process or for another


class WriterLock:
    """SQLite allows one writer at a time: writers queue here, in order within this process, without SQLite's
    busy handler (which sleeps in steps of up to 100 ms).

    A connection takes the lock just before its first write statement and gives it back when it returns to the
    pool (after its commit or rollback). Threads of this process wait on a thread lock. With ``path``, the
    holder also takes an exclusive ``flock`` on that file, which other processes on the same database take too
    (``serve --workers N``, ``screening worker``, the commands): it is tried every ``POLL`` seconds, so a writer
    in another process gets its turn within moments of the last one's commit. Whoever cannot get the lock within
    ``timeout`` seconds gives up with an error instead of waiting for ever. A process that dies lets go of its
    ``flock`` with it.
    """

    POLL = 0.0005

    def __init__(self, timeout: float = 30.0, path: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._holder: object | None = None
        self.timeout = timeout
        self._path = path if fcntl is not None else None
        self._file: int | None = None  # open only while held: no descriptor outlives a write

    def take(self, connection: object) -> None:
        if self._holder is connection:
            return
        deadline = time.monotonic() + self.timeout
        if not self._lock.acquire(timeout=self.timeout):
            raise TimeoutError(BUSY)
        if self._path is not None:
            try:
                self._file = _flock_until(self._path, deadline, self.POLL)
            except BaseException:
                self._lock.release()
                raise
        self._holder = connection

    def give_back(self, connection: object) -> None:
        if self._holder is connection:
            self._holder = None
            if self._file is not None:
                os.close(self._file)  # which lets go of its flock
                self._file = None
            self._lock.release()


def _flock_until(path: Path, deadline: float, poll: float) -> int | None:
    """The lock file, open and locked; None where it cannot be opened (a read-only folder, say: SQLite's own
    locking still holds)."""
    try:
        file = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        return None
    while True:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return file
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(file)
                raise TimeoutError(BUSY) from None
            time.sleep(poll)
        except BaseException:
            os.close(file)
            raise


def _writer_lock_path(engine: Engine) -> Path | None:
    """``screening.db.writer-lock`` beside a database file; None for a database in memory."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).with_name(Path(database).name + ".writer-lock")


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")  # other processes (serve --workers N) still share the file
    cursor.close()


_LOCKS: weakref.WeakKeyDictionary[Engine, WriterLock] = weakref.WeakKeyDictionary()


class GroupDialect(SQLiteDialect_pysqlite):
    """SQLite for ``writer.GroupWriter``: SQLAlchemy begins each transaction (``BEGIN IMMEDIATE``, the driver
    begins nothing of its own), so savepoints nest inside it; the driver's habit of beginning a transaction only
    before the first write would let the first savepoint open the whole transaction, and its release commit it.
    Savepoints are plain SQL sent as it is: SQLAlchemy compiles its savepoint statements anew each time, and a
    group makes two of them per intake."""

    supports_statement_cache = True  # it compiles statements as SQLite's own dialect does

    def on_connect(self) -> Callable[[Any], None]:
        usual = super().on_connect()

        def connected(dbapi_connection: Any) -> None:
            if usual is not None:
                usual(dbapi_connection)
            _pragmas(dbapi_connection, None)
            dbapi_connection.isolation_level = None

        return connected

    def do_begin(self, dbapi_connection: Any) -> None:
        dbapi_connection.execute("BEGIN IMMEDIATE")

    def do_savepoint(self, connection: Any, name: str) -> None:
        connection.connection.dbapi_connection.execute(f"SAVEPOINT {name}")

    def do_release_savepoint(self, connection: Any, name: str) -> None:
        connection.connection.dbapi_connection.execute(f"RELEASE SAVEPOINT {name}")

    def do_rollback_to_savepoint(self, connection: Any, name: str) -> None:
        connection.connection.dbapi_connection.execute(f"ROLLBACK TO SAVEPOINT {name}")


registry.register("sqlite.screening_group", __name__, "GroupDialect")


def group_engine(engine: Engine) -> Engine:
    """A second engine on the same SQLite file for ``writer.GroupWriter`` (see ``GroupDialect``), with one
    connection, which takes this process's writer lock as each of its transactions begins."""
    lock = _LOCKS[engine]
    writer = create_engine(
        engine.url.set(drivername="sqlite+screening_group"),
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=1,
        max_overflow=0,
    )

    @event.listens_for(writer, "begin")
    def _begin(conn: Any) -> None:
        lock.take(conn.connection.dbapi_connection)

    _one_writer_at_a_time(writer, lock)
    return writer


def _one_writer_at_a_time(engine: Engine, lock: WriterLock) -> WriterLock:
    @event.listens_for(engine, "before_cursor_execute")
    def _before_write(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip()[:7].upper().startswith(_WRITES):
            lock.take(conn.connection.dbapi_connection)

    @event.listens_for(engine, "checkin")
    def _returned(dbapi_connection: Any, _record: Any) -> None:
        lock.give_back(dbapi_connection)

    @event.listens_for(engine, "close")
    def _closed(dbapi_connection: Any, _record: Any) -> None:
        lock.give_back(dbapi_connection)

    return lock


def migrate(engine: Engine) -> None:
    """Bring the database schema up to date with the Alembic migrations shipped in the package."""
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its plugin and upgrade chatter is not for users
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        opened = engine.connect()
    except OperationalError as exc:  # the server is down or the URL is wrong: say so, not a traceback
        problem = f"cannot reach the database ({type(exc.orig).__name__ if exc.orig else type(exc).__name__})"
        fix = "start the database, or check its URL (SCREENING_DATABASE_URL, or --database for the worker)"
        raise SettingsError(Problem("", None, "", problem, fix, code=ErrorCode.DATABASE_UNREACHABLE)) from None
    with opened as connection, connection.begin():
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        if connection.dialect.name == "postgresql":
            from .queue_schema import install_queue_schema

            install_queue_schema(connection)  # procrastinate's own tables, for the job queue
