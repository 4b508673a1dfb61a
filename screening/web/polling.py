"""A daemon thread that does what is due in a table: every ``poll``, and at once after a commit that queued work.

The alert sender and the SQLite job worker share it: each says what its rounds are (``run_once``), which key in
``Session.info`` a transaction sets when it queued something, and what to call its thread.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker


class HasPoll(Protocol):
    @property
    def poll(self) -> timedelta: ...


class PollingThread:
    timing: HasPoll  # every subclass keeps its own timing, with at least ``poll``
    thread_name = "poller"
    queued_key = ""  # set in Session.info by a transaction that queued work
    what = "work"  # for the log line when the database is away
    stop_timeout = 30.0

    def __init__(self, sessions: sessionmaker[Session], log: logging.Logger) -> None:
        self.sessions = sessions
        self._log = log
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:  # pragma: no cover - every subclass has its own
        raise NotImplementedError

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            event.listen(self.sessions, "after_commit", self._committed)
            event.listen(self.sessions, "after_rollback", self._rolled_back)
            self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop after the round in progress (a claim left by a hung round expires on its own)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            event.remove(self.sessions, "after_commit", self._committed)
            event.remove(self.sessions, "after_rollback", self._rolled_back)
            self._thread.join(self.stop_timeout if timeout is None else timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception as exc:  # the database is away: try again next round, never end the thread
                name = type(exc).__name__
                self._log.warning("%s could not be read from the database (%s); trying again", self.what, name)
            self._wake.wait(self.timing.poll.total_seconds())
            self._wake.clear()

    def _committed(self, session: Session) -> None:
        if session.info.pop(self.queued_key, False):
            self._wake.set()  # something new: do it now rather than at the next poll

    def _rolled_back(self, session: Session) -> None:
        session.info.pop(self.queued_key, None)
