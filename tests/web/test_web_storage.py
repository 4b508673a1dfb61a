"""Storage: the Alembic migration matches the tables, SQLite runs in WAL mode, accounts and tokens behave."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from screening.web.auth import AccountError, add_api_token, add_user, api_token_name, authenticate
from screening.web.db import MIGRATIONS, Base, LoginThrottle, make_engine, migrate
from screening.web.listing import is_schema_object
from screening.web.store import access_token, token_matches
from screening.web.throttle import Limits


def test_migrations_build_exactly_the_tables_the_code_uses(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    migrate(engine)  # a second run changes nothing
    with engine.connect() as connection:
        # procrastinate's own tables (the job queue on PostgreSQL) are not ours to compare either
        def ours(name: str | None, kind: str, parents: object) -> bool:
            queue = kind == "table" and str(name).startswith("procrastinate")
            return is_schema_object(name, kind, parents) and not queue

        context = MigrationContext.configure(connection, opts={"include_name": ours})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
    assert set(inspect(engine).get_table_names()) >= {"submissions", "status_changes", "users", "audit_events"}
    engine.dispose()


def test_upgrading_keeps_accounts_and_their_sessions(database_url: str) -> None:
    """The throttle migration drops the old per-account lock columns without touching rows that sessions use."""
    engine = make_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (name, password_hash, created_at, failed_logins, disabled) "
                "VALUES ('reception', 'x', :now, 3, false)"
            ),
            {"now": datetime.now(UTC)},
        )
        connection.execute(
            text("INSERT INTO staff_sessions VALUES ('s' || :pad, 1, :now, :now)"),
            {"pad": "0" * 63, "now": datetime.now(UTC)},
        )
    migrate(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM users")).scalars().all() == ["reception"]
        assert connection.execute(text("SELECT count(*) FROM staff_sessions")).scalar() == 1
    assert "failed_logins" not in {c["name"] for c in inspect(engine).get_columns("users")}
    assert inspect(engine).has_table("login_throttle")
    engine.dispose()


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+pysqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


@pytest.fixture
def db(database_url: str) -> Iterator[Session]:
    engine = make_engine(database_url)
    migrate(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_passwords_are_argon2_hashes(db: Session) -> None:
    user = add_user(db, "reception", "a long enough password")
    assert user.password_hash.startswith("$argon2id$")
    assert "a long enough password" not in user.password_hash
    with pytest.raises(AccountError, match="at least 10"):
        add_user(db, "other", "short")
    with pytest.raises(AccountError, match="already exists"):
        add_user(db, "reception", "another long password")


def test_a_paused_sign_in_resumes_when_its_window_ends(db: Session) -> None:
    add_user(db, "reception", "a long enough password")
    db.commit()
    now = datetime.now(UTC)
    limits = Limits(per_name_and_address=3, per_address=20, window=timedelta(minutes=15))
    for _ in range(3):
        assert authenticate(db, "reception", "wrong", address="a", now=now, limits=limits).outcome == "bad"
    paused = authenticate(db, "reception", "a long enough password", address="a", now=now, limits=limits)
    assert paused.outcome == "locked"
    later = now + timedelta(minutes=16)
    fine = authenticate(db, "reception", "a long enough password", address="a", now=later, limits=limits)
    assert fine.outcome == "ok"
    db.commit()
    # a success starts the name afresh at that address, and finished windows are forgotten
    assert db.scalar(select(func.count()).select_from(LoginThrottle)) == 1  # the address's own count
    assert db.scalar(select(LoginThrottle.attempts)) == 0
    # rows whose window has ended are deleted by later attempts (from anywhere)
    much_later = later + timedelta(minutes=16)
    authenticate(db, "someone", "wrong", address="b", now=much_later, limits=limits)
    db.commit()
    assert db.scalar(select(func.count()).select_from(LoginThrottle)) == 2  # b's two counts only


def test_api_tokens_are_stored_hashed(db: Session) -> None:
    token = add_api_token(db, "practice-system")
    db.flush()
    assert api_token_name(db, token) == "practice-system"
    assert api_token_name(db, token + "x") is None
    stored = db.execute(text("SELECT token_sha256 FROM api_tokens")).scalar()
    assert isinstance(stored, str) and stored != token and len(stored) == 64


def test_result_tokens_are_unguessable_and_bound_to_the_submission() -> None:
    secret = b"k" * 48
    token = access_token(secret, "a" * 32)
    assert len(token) == 40 and token_matches(secret, "a" * 32, token)
    assert not token_matches(secret, "b" * 32, token)
    assert not token_matches(b"j" * 48, "a" * 32, token)
