"""Group commit on SQLite (``writer.GroupWriter``): the staff intakes waiting at the same moment share one
transaction, each in a savepoint of its own, and nobody is answered before that transaction has committed.

The calls here store rows in a small table of their own. A first call holds the writer's thread until the others
are queued, so they are stored together for certain, not only when the timing happens to group them.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from helpers.web import Site
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from screening.errors import GroupLost
from screening.web import staff
from screening.web.engine import WriterLock, make_engine
from screening.web.writer import GroupWriter

PLANS = ("commit", "raise", "leave", "commit_then_raise")


class Refused(Exception):
    """What a call's work raises on purpose."""


class Bench:
    def __init__(self, folder: Path) -> None:
        self.engine: Engine = make_engine(f"sqlite+pysqlite:///{folder / 'group.db'}")
        with self.engine.begin() as connection:
            connection.exec_driver_sql(
                "CREATE TABLE notes (n INTEGER PRIMARY KEY, "
                "parent INTEGER REFERENCES notes (n) DEFERRABLE INITIALLY DEFERRED)"
            )
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, info={"usual": True})
        self.writer = GroupWriter(self.engine, self.sessions)

    def stored(self) -> set[int]:
        with self.engine.connect() as connection:
            return {row[0] for row in connection.exec_driver_sql("SELECT n FROM notes")}

    def empty(self) -> None:
        with self.engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM notes")

    def together(self, calls: Sequence[Callable[[], Awaitable[Any]]]) -> list[Any]:
        """Run the calls so that the writer takes them all at once: a first call holds its thread until every
        other one is queued. Returns each call's value or the exception it raised, in order."""

        async def main() -> list[Any]:
            holding, gate = await _held(self.writer)
            started = [asyncio.ensure_future(call()) for call in calls]
            await _until(lambda: self.writer._queue.qsize() == len(calls))
            gate.set()
            await holding
            return list(await asyncio.gather(*started, return_exceptions=True))

        return asyncio.run(main())


async def _held(writer: GroupWriter) -> tuple[asyncio.Future[None], threading.Event]:
    """A call that holds the writer's thread until the returned gate is set, once it is running."""
    running, gate = threading.Event(), threading.Event()
    holding = asyncio.ensure_future(writer.run(_hold, running, gate))
    await _until(running.is_set)
    return holding, gate


def _hold(_db: Session, running: threading.Event, gate: threading.Event) -> None:
    running.set()
    assert gate.wait(10), "the test never let the writer go on"


async def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.001)


def _note(db: Session, n: int, plan: str = "commit", parent: int | None = None) -> int:
    db.execute(text("INSERT INTO notes (n, parent) VALUES (:n, :parent)"), {"n": n, "parent": parent})
    if plan == "raise":
        raise Refused(n)
    if plan == "leave":  # returns without committing, as a form shown again with errors does
        return n
    db.commit()
    if plan == "commit_then_raise":
        raise Refused(n)
    return n


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[Bench]:
    made = Bench(tmp_path)
    yield made
    made.writer.close()
    made.engine.dispose()


def test_calls_waiting_together_share_one_transaction(bench: Bench) -> None:
    calls = [lambda n=n: bench.writer.run(_note, n) for n in range(10)]
    assert bench.together(calls) == list(range(10))
    assert bench.stored() == set(range(10))
    assert (bench.writer.groups, bench.writer.stored) == (2, 11)  # the holding call, then the ten at once


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plans=st.lists(st.sampled_from(PLANS), min_size=1, max_size=2 * GroupWriter.MOST + 3))
def test_each_call_stores_and_is_answered_as_if_it_were_alone(bench: Bench, plans: list[str]) -> None:
    """Whatever the other calls in its group do, a call's rows are stored exactly when its work committed, and
    its caller gets its own value or its own error."""
    bench.empty()
    calls = [lambda n=n, plan=plan: bench.writer.run(_note, n, plan) for n, plan in enumerate(plans)]
    outcomes = bench.together(calls)
    assert bench.stored() == {n for n, plan in enumerate(plans) if plan in ("commit", "commit_then_raise")}
    for n, (plan, outcome) in enumerate(zip(plans, outcomes, strict=True)):
        if plan in ("raise", "commit_then_raise"):
            assert isinstance(outcome, Refused) and outcome.args == (n,)
        else:
            assert outcome == n


def test_a_failed_commit_is_every_callers_error_and_stores_nothing(bench: Bench) -> None:
    """The check of a deferred foreign key fails only at COMMIT: the call that broke it and the one stored with
    it are both told of the error, and neither row is there."""
    calls = [
        lambda: bench.writer.run(_note, 1),
        lambda: bench.writer.run(_note, 2, "commit", 999),  # no note 999
        lambda: bench.writer.run(_note, 3),
    ]
    outcomes = bench.together(calls)
    assert all(isinstance(outcome, IntegrityError) for outcome in outcomes), outcomes
    assert len({id(outcome) for outcome in outcomes}) == 3  # each caller its own copy of the error
    assert bench.stored() == set()
    # the writer goes on: the next group is stored
    assert bench.together([lambda: bench.writer.run(_note, 4)]) == [4]
    assert bench.stored() == {4}


def _end_the_transaction(db: Session) -> None:
    """What SQLite does on its own after some errors (a full disk, say): the whole transaction is rolled back."""
    db.execute(text("INSERT INTO notes (n) VALUES (7)"))
    db.connection().connection.dbapi_connection.execute("ROLLBACK")  # type: ignore[union-attr]


def test_a_transaction_that_sqlite_ended_fails_the_whole_group(bench: Bench) -> None:
    calls = [
        lambda: bench.writer.run(_note, 1),
        lambda: bench.writer.run(_end_the_transaction),
        lambda: bench.writer.run(_note, 3),  # never run: its group is lost
    ]
    outcomes = bench.together(calls)
    assert all(isinstance(outcome, GroupLost) for outcome in outcomes), outcomes
    assert bench.stored() == set()  # not even the first call's row, which its savepoint had released


def test_what_a_group_queued_is_announced_after_its_commit(bench: Bench) -> None:
    """The PDF worker and the alert sender wake on a commit of the app's sessions that carries their flag in
    ``Session.info``; in a group, that has to happen once the rows can be read, not at each savepoint."""
    heard: list[tuple[dict[str, Any], set[int]]] = []

    @event.listens_for(bench.sessions, "after_commit")
    def _committed(session: Session) -> None:
        heard.append((dict(session.info), bench.stored()))  # what another connection can read at that moment

    def queue(db: Session, n: int, plan: str) -> int:
        db.info[f"queued-{n}"] = True
        return _note(db, n, plan)

    calls = [lambda n=n, plan=plan: bench.writer.run(queue, n, plan) for n, plan in enumerate(PLANS)]
    bench.together(calls)
    assert len(heard) == 1, heard  # one announcement for the group
    info, visible = heard[0]
    assert visible == {0, 3}  # announced after the commit: the rows are there to be read
    assert info["usual"] is True  # the sessions' own settings
    # 3 committed and then raised: what it queued is stored, so it must be announced; 1 and 2 did not commit,
    # and waking a worker for them is harmless (it finds nothing new)
    assert {key for key in info if key.startswith("queued")} == {f"queued-{n}" for n in range(4)}


def test_a_failed_announcement_does_not_turn_stored_submissions_into_errors(bench: Bench) -> None:
    @event.listens_for(bench.sessions, "after_commit")
    def _broken(session: Session) -> None:
        raise RuntimeError("a listener that fails")

    def queue(db: Session, n: int) -> int:
        db.info["queued"] = True
        return _note(db, n)

    assert bench.together([lambda: bench.writer.run(queue, 1), lambda: bench.writer.run(queue, 2)]) == [1, 2]
    assert bench.stored() == {1, 2}


def test_the_idle_thread_ends_and_the_next_call_starts_another(bench: Bench) -> None:
    bench.writer.IDLE = 0.05

    async def one(n: int) -> int:
        return await bench.writer.run(_note, n)

    assert asyncio.run(one(1)) == 1
    deadline = time.monotonic() + 10
    while bench.writer._thread is not None:
        assert time.monotonic() < deadline, "the idle thread never ended"
        time.sleep(0.01)
    assert asyncio.run(one(2)) == 2
    assert bench.stored() == {1, 2}


def test_a_caller_that_goes_away_does_not_stop_the_writer(bench: Bench) -> None:
    """A request cancelled while it waits (its client hung up) is stored all the same, as it would be by a
    thread of its own; the writer answers nobody for it and goes on."""

    async def main() -> int:
        holding, gate = await _held(bench.writer)
        leaving = asyncio.ensure_future(bench.writer.run(_note, 1))
        await _until(lambda: bench.writer._queue.qsize() == 1)
        leaving.cancel()
        gate.set()
        await holding
        with pytest.raises(asyncio.CancelledError):
            await leaving
        return await bench.writer.run(_note, 2)

    assert asyncio.run(main()) == 2
    assert bench.stored() == {1, 2}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # PostgreSQL stores each on its own
def test_the_staff_intake_is_stored_by_the_group_writer_and_a_lost_group_is_a_503(
    site: Site, physio_answers: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = site.services.writer
    assert writer is not None
    site.add_staff()
    site.login()
    saved = site.staff_intake(physio_answers, name="Test Patient Grouped")
    assert saved.status_code == 303 and site.count() == 1
    assert writer.stored == 1

    original = staff._intake_post

    def then_sqlite_ends_the_transaction(request: Any, form: Any, user: Any, db: Session) -> Any:
        answer = original(request, form, user, db)  # stored and committed (its savepoint released)
        db.connection().connection.dbapi_connection.execute("ROLLBACK")  # type: ignore[union-attr]
        return answer

    monkeypatch.setattr(staff, "_intake_post", then_sqlite_ends_the_transaction)
    lost = site.staff_intake(physio_answers, name="Test Patient Lost")
    assert lost.status_code == 503 and lost.headers["retry-after"] == "5"
    assert "999" in lost.text  # the warning signs that cannot wait, on every error page
    assert site.count() == 1  # the staff member was not told it was saved, and it was not


def test_writers_of_two_processes_take_turns_on_the_lock_file(tmp_path: Path) -> None:
    """Each process opens the lock file itself; two locks on the same path stand for two processes (an
    ``flock`` belongs to an open file, not to a process). The second writer waits while the first holds it, gets
    it once the first gives it back, and gives up after its timeout rather than waiting for ever."""
    path = tmp_path / "screening.db.writer-lock"
    first, second = WriterLock(path=path), WriterLock(timeout=10, path=path)
    first.take("connection A")
    got = threading.Event()

    def take_then_say() -> None:
        second.take("connection B")
        got.set()

    waiting = threading.Thread(target=take_then_say)
    waiting.start()
    assert not got.wait(0.2), "the second process wrote while the first held the lock"
    first.give_back("connection A")
    assert got.wait(10), "the second process never got its turn"
    waiting.join()
    impatient = WriterLock(timeout=0.05, path=path)
    with pytest.raises(TimeoutError):
        impatient.take("connection C")
    second.give_back("connection B")
    impatient.take("connection C")  # free again
    impatient.give_back("connection C")


def test_the_app_engine_takes_the_lock_file_beside_the_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+pysqlite:///{tmp_path / 'screening.db'}")
    other = WriterLock(timeout=0.05, path=tmp_path / "screening.db.writer-lock")  # another process's lock
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (n INTEGER)")
        other.take("another process")  # nobody is writing
        other.give_back("another process")
        with engine.connect() as connection:
            connection.exec_driver_sql("INSERT INTO t VALUES (1)")  # a write: the engine holds the lock
            with pytest.raises(TimeoutError):
                other.take("another process")
            connection.commit()
        other.take("another process")  # given back with the connection
        other.give_back("another process")
    finally:
        engine.dispose()
