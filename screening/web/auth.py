"""Staff accounts (argon2 password hashes), sessions, lockout after repeated failures, and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..errors import ScreeningError
from .db import ApiToken, StaffSession, User, utcnow

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a real password; verified so unknown names take as long as known ones")
MIN_PASSWORD_LENGTH = 10


class AccountError(ScreeningError):
    exit_code = 1


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 64 or not name.isprintable():
        raise AccountError("a user name must be 1–64 printable characters")
    return name


def add_user(db: Session, name: str, password: str) -> User:
    name = check_name(name)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters long")
    if db.scalar(select(User).where(User.name == name)) is not None:
        raise AccountError(f"a user called {name!r} already exists")
    user = User(name=name, password_hash=_HASHER.hash(password), failed_logins=0, disabled=False)
    db.add(user)
    db.flush()
    return user


def set_password(db: Session, name: str, password: str) -> User:
    user = db.scalar(select(User).where(User.name == check_name(name)))
    if user is None:
        raise AccountError(f"there is no user called {name!r}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters long")
    user.password_hash = _HASHER.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    return user


@dataclass(frozen=True)
class LoginResult:
    outcome: Literal["ok", "bad", "locked"]
    user: User | None = None


def authenticate(
    db: Session, name: str, password: str, *, now: datetime, lock_after: int, lock_for: timedelta
) -> LoginResult:
    """Check a name and password. After ``lock_after`` failures in a row the account is locked for a while."""
    user = db.scalar(select(User).where(User.name == name.strip()))
    hashed = user.password_hash if user is not None else _DUMMY_HASH
    locked = user is not None and user.locked_until is not None and user.locked_until > now
    # End the read before hashing (~0.2 s of CPU): SQLite has one connection per process, which every other
    # request would otherwise wait for.
    db.commit()
    if user is None or user.disabled:
        _verify(_DUMMY_HASH, password)  # same work whether or not the name exists
        return LoginResult("bad")
    if locked:
        return LoginResult("locked", user)
    if _verify(hashed, password):
        user.failed_logins = 0
        user.locked_until = None
        if _HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = _HASHER.hash(password)
        return LoginResult("ok", user)
    user.failed_logins += 1
    if user.failed_logins >= lock_after:
        user.failed_logins = 0
        user.locked_until = now + lock_for
        return LoginResult("locked", user)
    return LoginResult("bad", user)


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def start_session(db: Session, user: User, valid_for: timedelta) -> str:
    token = secrets.token_urlsafe(32)
    db.add(StaffSession(token_sha256=digest(token), user_id=user.id, expires_at=utcnow() + valid_for))
    return token


def session_user(db: Session, token: str | None) -> User | None:
    if not token:
        return None
    user: User | None = db.scalar(
        select(User)
        .join(StaffSession, StaffSession.user_id == User.id)
        .where(StaffSession.token_sha256 == digest(token), StaffSession.expires_at > utcnow())
    )
    return None if user is None or user.disabled else user


def end_session(db: Session, token: str | None) -> None:
    if token:
        db.execute(delete(StaffSession).where(StaffSession.token_sha256 == digest(token)))


def add_api_token(db: Session, name: str) -> str:
    """Create a token for a clinic system; only its SHA-256 is stored, so it is shown once."""
    name = check_name(name)
    if db.scalar(select(ApiToken).where(ApiToken.name == name)) is not None:
        raise AccountError(f"an API token called {name!r} already exists")
    token = "scr_" + secrets.token_urlsafe(32)
    db.add(ApiToken(name=name, token_sha256=digest(token), revoked=False))
    return token


def api_token_name(db: Session, token: str) -> str | None:
    found = db.scalar(select(ApiToken).where(ApiToken.token_sha256 == digest(token)))
    return None if found is None or found.revoked else found.name
