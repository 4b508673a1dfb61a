"""Per-address limits on patient posts, counted in the database so that every server process and machine shares them."""

from __future__ import annotations

import hashlib
import hmac
import time

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from .db import RateCount


class SharedRateLimiter:
    """At most ``per_minute`` events per key in each clock minute.

    The count lives in the ``rate_counts`` table (one row per key and minute, raised with a single atomic upsert),
    so several ``screening serve`` processes, on one machine or several, share it. Keys are stored as an HMAC
    with the server's secret, never as the address itself. Call it before the request's own database session is
    first used, so that a request never holds two connections at once.
    """

    def __init__(self, sessions: sessionmaker[Session], secret: bytes, per_minute: int, kind: str) -> None:
        self.kind = kind  # limits of different kinds count apart
        self.sessions = sessions
        self.secret = secret
        self.per_minute = per_minute
        self.clock = time.time  # seconds since the epoch; a test may hold it still

    def allow(self, key: str) -> bool:
        window = int(self.clock() // 60)
        digest = hmac.new(self.secret, f"{self.kind}:{key}".encode(), hashlib.sha256).hexdigest()[:40]
        with self.sessions() as db:
            insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
            statement = (
                insert(RateCount)
                .values(key=digest, window=window, count=1)
                .on_conflict_do_update(index_elements=["key", "window"], set_={"count": RateCount.count + 1})
                .returning(RateCount.count)
            )
            count = db.execute(statement).scalar_one()
            if count == 1:  # the first event of a key in a new minute: forget minutes that are over
                db.execute(delete(RateCount).where(RateCount.window < window - 1))
            db.commit()
        return int(count) <= self.per_minute
