"""Group commit on SQLite: the staff intakes that arrive together are stored in one transaction.

SQLite lets one writer in at a time, and each commit writes every page its transaction changed to the log: about
twenty-four pages for one intake (the submission and its indexes, its name in the search index, its audit entry
and its PDF job), about a fifth of the CPU an intake spends storing itself. Intakes stored together change many
of the same pages (the newest page of each index), so the ones waiting at the same moment share a transaction
here:

- one thread per server process takes every intake waiting (at most ``MOST``), runs each in a savepoint of one
  ``BEGIN IMMEDIATE`` transaction, commits once, and only then answers them all;
- an intake that fails rolls back its own savepoint and gets its own error: the others are not touched;
- a commit that fails is the error of every intake in it (a 503 with Retry-After), so nobody is told of a
  submission that was not stored;
- whatever their sessions queued for the PDF worker and the alert sender is announced once the commit is done,
  as a commit of the app's own sessions announces it (``polling``).

One thread in place of a pool also means one hand-off per intake and no threads taking turns at random for the
GIL. The thread ends after ``IDLE`` seconds without work and starts again with the next intake.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from ..errors import GroupLost
from .engine import group_engine

T = TypeVar("T")
log = logging.getLogger("screening.web")


@dataclass
class _Job:
    work: Callable[..., Any]
    args: tuple[Any, ...]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


class GroupWriter:
    """Runs ``work(session, *args)`` for the callers of ``run``, as many at a time as are waiting, in one
    transaction on SQLite; each ``work`` commits its session as it would on its own (which releases its
    savepoint) and its caller is answered after the transaction commits.

    A ``work`` writes through the session it is given and nothing else: the group holds SQLite's one write lock
    (and this process's), so a write on another connection would wait for the group, which waits for it, until
    the lock's 30 s run out. Reading through other sessions is fine (they see what is committed).
    """

    MOST = 16  # intakes in one transaction at most: the last waits for the others to be stored
    IDLE = 10.0  # seconds without work before the thread ends

    def __init__(self, engine: Engine, sessions: sessionmaker[Session]) -> None:
        self._engine = group_engine(engine)
        self._sessions = sessions
        self._options = {key: value for key, value in sessions.kw.items() if key != "bind"}
        self._usual_info = set(sessions.kw.get("info") or {})
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.groups = 0  # transactions committed, and the calls answered in them (for tests and benchmarks)
        self.stored = 0

    @property
    def engine(self) -> Engine:
        """The engine of the writer's one connection (its own, on the same file as the app's)."""
        return self._engine

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        with self._lock:
            self._queue.put(_Job(work, args, loop, future))
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="group-writer", daemon=True)
                self._thread.start()
        return await future

    def close(self) -> None:
        """Close the writer's connection (the thread, if any, opens a new one for the next group)."""
        self._engine.dispose()

    def _serve(self) -> None:
        while True:
            try:
                group = [self._queue.get(timeout=self.IDLE)]
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            while len(group) < self.MOST:
                try:
                    group.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._store(group)
            except BaseException as exc:  # whatever happened, every caller gets an answer (a second is ignored)
                for job in group:
                    _answer(job, False, RuntimeError("the submission could not be stored"))
                if not isinstance(exc, Exception):
                    with self._lock:
                        self._thread = None  # the next call starts a thread again
                    raise
                log.error("storing %d submission(s) together failed (%s)", len(group), type(exc).__name__)

    def _store(self, group: list[_Job]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        announce: dict[str, Any] = {}
        try:
            with self._engine.connect() as connection, connection.begin():
                for job in group:
                    outcomes.append(self._one(connection, job, announce))
        except Exception as exc:  # BEGIN or COMMIT failed, or SQLite ended the transaction: nothing is stored
            log.warning("%d submission(s) stored together could not be committed (%s)", len(group), type(exc).__name__)
            outcomes = [(False, _own(exc)) for _ in group]
            announce = {}
        else:
            self.groups += 1
            self.stored += len(group)
        if announce:  # only after a commit (a failed group announces nothing)
            try:
                self._announce(announce)
            except Exception as exc:  # the background threads find the work at their next look instead
                log.warning("the work queued by stored submissions could not be announced (%s)", type(exc).__name__)
        for job, (ok, value) in zip(group, outcomes, strict=True):
            _answer(job, ok, value)

    def _one(self, connection: Connection, job: _Job, announce: dict[str, Any]) -> tuple[bool, Any]:
        session = Session(bind=connection, join_transaction_mode="create_savepoint", **self._options)
        try:
            with session:  # closing rolls its savepoint back unless the work committed it
                value = job.work(session, *job.args)
        except Exception as exc:
            outcome: tuple[bool, Any] = (False, exc)
        else:
            outcome = (True, value)
        # whether or not the work committed what it queued (a thread woken for nothing finds nothing new)
        announce.update((key, flag) for key, flag in session.info.items() if key not in self._usual_info)
        if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
            raise GroupLost("the transaction ended before its commit")
        return outcome

    def _announce(self, flags: dict[str, Any]) -> None:
        """Tell the background threads what the group queued: a commit of one of the app's own sessions, with the
        flags the group's sessions set, is what they listen for."""
        with self._sessions() as carrier:
            carrier.info.update(flags)
            carrier.commit()


def _own(exc: Exception) -> Exception:
    """A copy of the error for each caller (an exception records where it was raised)."""
    try:
        return copy.copy(exc)
    except Exception:  # an error class that cannot be copied: the one instance, then
        return exc


def _answer(job: _Job, ok: bool, value: Any) -> None:
    with contextlib.suppress(RuntimeError):  # that event loop has closed: nobody is waiting any more
        job.loop.call_soon_threadsafe(_settle, job.future, ok, value)


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # the request was cancelled (its client went away); what it stored stays stored
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
