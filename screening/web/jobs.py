"""Work off the request path: each new submission's referral PDF, rendered once by whichever worker gets it.

Where the work waits depends on the database:

* SQLite (the default, one machine): a row in the ``jobs`` table, added in the submission's own transaction.
  ``TableWorker`` threads (one in each ``screening serve`` process, or ``screening worker`` on its own) claim a
  due row with a conditional UPDATE that only one of them can win, render, and mark the row done; a failure is
  tried again later with back-off, as the alert outbox does.
* PostgreSQL (any number of servers and workers, on any machines): a procrastinate job, deferred on the
  submission's own connection, so it exists exactly when the submission does. Its queueing lock keeps one job per
  submission waiting, and its lock keeps two workers from running jobs of one submission at the same time.

Either way a worker looks for a stored PDF before it renders and the ``pdfs`` row is keyed by submission, so a
job that runs again (a lost claim, a restart) does not render a second time. procrastinate costs ~0.5 s to import:
it is imported only on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from ..clinic import ClinicSettings
from ..definition import Definition
from .db import Job, Submission, utcnow
from .pdf_queue import PDF_TASK, QUEUED, pdf_is_ready
from .polling import PollingThread

if TYPE_CHECKING:
    import procrastinate

log = logging.getLogger("screening.web.jobs")

RESTART_AFTER = 10  # seconds before a procrastinate worker that lost its database starts again


@dataclass(frozen=True)
class RenderContext:
    """What rendering a referral needs; a server's ``Services`` has the same three."""

    definition: Definition
    clinic: ClinicSettings
    pdf_lock: threading.Lock = field(default_factory=threading.Lock)


# doing the work -------------------------------------------------------------------------------------------------


def render_pdf_of(context: Any, sessions: sessionmaker[Session], submission_id: str) -> bool:
    """Render and keep the submission's referral PDF unless it is stored already; True when this call rendered it.

    ``context`` has ``definition``, ``clinic`` and ``pdf_lock`` (a ``RenderContext`` or a server's ``Services``).
    """
    from .documents import StaleDefinition, submission_pdf

    with sessions() as db:
        if pdf_is_ready(db, submission_id):
            return False
        row = db.get(Submission, submission_id)
        if row is None:
            return False
        started = time.perf_counter()
        try:
            submission_pdf(context, db, row)
        except StaleDefinition:
            log.info("submission %s was made with other definitions: no PDF rendered here", submission_id[:8])
            return False
    took = (time.perf_counter() - started) * 1e3
    log.info("referral PDF of submission %s rendered in %.0f ms", submission_id[:8], took)
    return True


Handler = Callable[[str], None]


@dataclass(frozen=True)
class Timing:
    poll: timedelta = timedelta(seconds=2)  # how often a table worker looks for due jobs (SQLite)
    lease: timedelta = timedelta(minutes=5)  # how long a claim holds: far longer than any render takes
    first_retry: timedelta = timedelta(seconds=30)
    longest_retry: timedelta = timedelta(minutes=30)

    def retry_after(self, attempts: int) -> timedelta:
        return min(self.longest_retry, self.first_retry * (1 << min(max(attempts - 1, 0), 30)))


class TableWorker(PollingThread):
    """Does the jobs of the ``jobs`` table from a daemon thread; ``run_once`` does what is due (tests call it)."""

    timing: Timing
    thread_name = "job-worker"
    queued_key = QUEUED
    what = "jobs"

    def __init__(self, sessions: sessionmaker[Session], handle: Handler, timing: Timing = Timing()) -> None:
        super().__init__(sessions, log)
        self.handle = handle
        self.timing = timing

    def run_once(self) -> int:
        """Do every job that is due now; return how many were done."""
        done = 0
        while not self._stop.is_set():
            claimed = self._claim_next()
            if claimed is None:
                return done
            ident, submission_id, claim = claimed
            try:
                self.handle(submission_id)
            except Exception as exc:  # a broken render must not stop the others; it is tried again later
                self._failed(ident, claim, f"{type(exc).__name__}: {exc}")
            else:
                self._finish(ident, claim, done_at=utcnow())
                done += 1
        return done

    def _claim_next(self) -> tuple[int, str, str] | None:
        """Claim the job due longest; another process may win the race for a row, then try the next."""
        while True:
            now = utcnow()
            free = or_(Job.claimed_until.is_(None), Job.claimed_until < now)
            with self.sessions() as db:
                candidates = list(
                    db.execute(
                        select(Job.id, Job.submission_id)
                        .where(Job.done_at.is_(None), Job.due_at <= now, free)
                        .order_by(Job.due_at, Job.id)
                        .limit(10)
                    )
                )
                if not candidates:
                    return None
                for ident, submission_id in candidates:
                    claim = secrets.token_hex(16)
                    won: Any = db.execute(
                        update(Job)
                        .where(Job.id == ident, Job.done_at.is_(None), free)
                        .values(claimed_until=now + self.timing.lease, claim=claim, attempts=Job.attempts + 1)
                        .execution_options(synchronize_session=False)
                    )
                    db.commit()
                    if won.rowcount == 1:
                        return ident, submission_id, claim

    def _failed(self, ident: int, claim: str, error: str) -> None:
        with self.sessions() as db:
            attempts = db.scalar(select(Job.attempts).where(Job.id == ident)) or 1
        self._finish(ident, claim, due_at=utcnow() + self.timing.retry_after(attempts), last_error=error[:300])
        log.warning("a job failed (attempt %d; %s); trying again later", attempts, error[:200])

    def _finish(self, ident: int, claim: str, **values: Any) -> None:
        with self.sessions() as db:
            db.execute(
                update(Job)
                .where(Job.id == ident, Job.claim == claim)
                .values(claimed_until=None, claim=None, **values)
                .execution_options(synchronize_session=False)
            )
            db.commit()


class QueueWorker:
    """A procrastinate worker (PostgreSQL) in a thread of its own with its own event loop.

    ``run_once`` does every job that is waiting, then returns (tests and ``screening worker --once``).
    """

    def __init__(self, database_url: str, handle: Handler, name: str = "screening") -> None:
        self.dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.handle = handle
        self.name = name
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._started = threading.Event()
        self._stopping = threading.Event()

    def _app(self) -> procrastinate.App:
        from procrastinate import App, PsycopgConnector, RetryStrategy

        app = App(connector=PsycopgConnector(conninfo=self.dsn, min_size=1, max_size=3))
        handle = self.handle

        # a failed render is tried again 30 s later, then a minute longer each time (five times); a staff member
        # waiting for it queues it again
        @app.task(name=PDF_TASK, retry=RetryStrategy(max_attempts=6, wait=30, linear_wait=60), pass_context=False)
        def render_referral_pdf(submission_id: str) -> None:
            handle(submission_id)

        return app

    async def _work(self, wait: bool) -> None:
        app = self._app()
        async with app.open_async():
            await app.run_worker_async(
                wait=wait,
                name=self.name,
                install_signal_handlers=False,  # the server or the command handles signals
                fetch_job_polling_interval=10,  # new jobs are announced (LISTEN/NOTIFY); polling is the fallback
                shutdown_graceful_timeout=60,
                delete_jobs="successful",  # keep only what failed, to look into
            )

    def run_once(self) -> None:
        asyncio.run(self._work(wait=False))

    def start(self) -> None:
        if self._thread is None:
            self._started.clear()
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="job-worker", daemon=True)
            self._thread.start()
            self._started.wait(30)

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.current_task()
            self._started.set()
            if self._stopping.is_set():  # stopped before this loop could be told
                return
            with contextlib.suppress(asyncio.CancelledError):  # stopped, after the job in progress
                await self._work(wait=True)

        while not self._stopping.is_set():
            try:
                asyncio.run(main())
            except Exception as exc:  # the database is away: start again a little later, never give up
                log.warning("the job worker stopped (%s); starting again in %d s", type(exc).__name__, RESTART_AFTER)
            finally:
                self._started.set()
            self._stopping.wait(RESTART_AFTER)

    def stop(self, timeout: float = 70.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            loop, task = self._loop, self._task
            if loop is not None and task is not None and not loop.is_closed():
                loop.call_soon_threadsafe(task.cancel)
            self._thread.join(timeout)
            self._thread = None


Worker = TableWorker | QueueWorker


def make_worker(
    database_url: str, sessions: sessionmaker[Session], context: Any, timing: Timing = Timing(), name: str = "screening"
) -> Worker:
    """The worker for this database: procrastinate on PostgreSQL, the jobs table on SQLite."""

    def handle(submission_id: str) -> None:
        render_pdf_of(context, sessions, submission_id)

    if make_url(database_url).get_backend_name() == "postgresql":
        return QueueWorker(database_url, handle, name)
    return TableWorker(sessions, handle, timing)
