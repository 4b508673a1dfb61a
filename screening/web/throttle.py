"""Sign-in throttling: attempts counted per (name, address) and per address, in the database, atomically.

Each attempt is counted before its password is checked, with one INSERT ... ON CONFLICT DO UPDATE ... RETURNING
statement (SQLite and PostgreSQL alike), so parallel guesses cannot read a stale count: of a burst, only the
first ``limit`` attempts can succeed. A successful sign-in takes its own attempt back. Counting per address as
well as per name means a stranger can pause sign-in only for themselves, never lock a colleague out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .db import LoginThrottle, UtcDateTime


@dataclass(frozen=True)
class Limits:
    per_name_and_address: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)


def _key(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


def _keys(name: str, address: str, limits: Limits) -> list[tuple[str, int]]:
    return [(_key("name", address, name), limits.per_name_and_address), (_key("address", address), limits.per_address)]


def take_attempt(db: Session, name: str, address: str, now: datetime, limits: Limits) -> bool:
    """Count one attempt; False when the name at this address, or this address, has used up its window."""
    counts = [(_count(db, key, now, limits.window), limit) for key, limit in _keys(name, address, limits)]
    _forget_finished_windows(db, now)
    return all(count <= limit for count, limit in counts)


def _forget_finished_windows(db: Session, now: datetime) -> None:
    """Delete rows whose window has ended (the same as no row). Last, and skipping rows that others hold, so
    it never waits for a lock while holding one: the two counts above always lock in the same order."""
    finished = (
        select(LoginThrottle.key_sha256).where(LoginThrottle.window_ends <= now).with_for_update(skip_locked=True)
    )
    db.execute(delete(LoginThrottle).where(LoginThrottle.key_sha256.in_(finished)))


def give_back(db: Session, name: str, address: str, limits: Limits) -> None:
    """After a successful sign-in: the name at this address starts afresh; the address gets its attempt back."""
    (pair, _), (whole, _) = _keys(name, address, limits)
    db.execute(delete(LoginThrottle).where(LoginThrottle.key_sha256 == pair))
    db.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key_sha256 == whole, LoginThrottle.attempts > 0)
        .values(attempts=LoginThrottle.attempts - 1)
    )


def _count(db: Session, key: str, now: datetime, window: timedelta) -> int:
    """Add one attempt to the key's window (a new window if the last has ended) and return the count."""
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    ends = literal(now + window, UtcDateTime())
    ended = LoginThrottle.window_ends <= literal(now, UtcDateTime())
    statement = (
        insert(LoginThrottle)
        .values(key_sha256=key, attempts=1, window_ends=now + window)
        .on_conflict_do_update(
            index_elements=[LoginThrottle.key_sha256],
            set_={
                "attempts": case((ended, 1), else_=LoginThrottle.attempts + 1),
                "window_ends": case((ended, ends), else_=LoginThrottle.window_ends),
            },
        )
        .returning(LoginThrottle.attempts)
    )
    count: int = db.execute(statement).scalar_one()
    return count
