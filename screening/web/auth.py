"""Staff accounts (argon2 password hashes), sign-in with throttling, sessions, and API tokens (with revocation)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..errors import AccountError as AccountError  # importable from here as before
from .db import ApiToken, StaffSession, User, utcnow
from .throttle import Limits, give_back, take_attempt

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a real password; verified so unknown names take as long as known ones")
MIN_PASSWORD_LENGTH = 10


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
    user = User(name=name, password_hash=_HASHER.hash(password), disabled=False)
    db.add(user)
    db.flush()
    return user


def set_password(db: Session, name: str, password: str) -> User:
    """A new password; every session the user had is ended."""
    user = _user(db, name)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters long")
    user.password_hash = _HASHER.hash(password)
    end_sessions_of(db, user)
    return user


def set_disabled(db: Session, name: str, disabled: bool) -> User:
    """Disable (or enable again) a staff account; disabling ends its sessions at once."""
    user = _user(db, name)
    user.disabled = disabled
    if disabled:
        end_sessions_of(db, user)
    return user


def _user(db: Session, name: str) -> User:
    user = db.scalar(select(User).where(User.name == check_name(name)))
    if user is None:
        raise AccountError(f"there is no user called {name!r}")
    return user


def list_users(db: Session) -> list[tuple[User, int]]:
    """Every staff account with its number of open sessions, by name."""
    open_sessions = (
        select(func.count())
        .where(StaffSession.user_id == User.id, StaffSession.expires_at > utcnow())
        .scalar_subquery()
    )
    return [(user, count) for user, count in db.execute(select(User, open_sessions).order_by(User.name))]


def end_sessions_of(db: Session, user: User) -> None:
    db.execute(delete(StaffSession).where(StaffSession.user_id == user.id))


@dataclass(frozen=True)
class LoginResult:
    outcome: Literal["ok", "bad", "locked"]
    user: User | None = None


def authenticate(db: Session, name: str, password: str, *, address: str, now: datetime, limits: Limits) -> LoginResult:
    """Check a name and password, counting the attempt for this name at this address and for the address.

    Unknown names, disabled accounts, wrong passwords and throttled attempts all cost one argon2 check and end
    the same way for the caller, who tells them apart only in the audit log.
    """
    name = name.strip()
    allowed = take_attempt(db, name, address, now, limits)
    user = db.scalar(select(User).where(User.name == name))
    usable = user is not None and not user.disabled
    hashed = user.password_hash if user is not None and usable else _DUMMY_HASH
    # Store the count and end the read before hashing (~0.2 s of CPU): parallel guesses see this attempt, and
    # SQLite's one connection per process is not held while hashing.
    db.commit()
    matches = _verify(hashed, password)  # always, so every outcome takes as long
    if not allowed:
        return LoginResult("locked", user)
    if user is None or not usable or not matches:
        return LoginResult("bad", user)
    give_back(db, name, address, limits)
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    return LoginResult("ok", user)


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


def revoke_api_token(db: Session, name: str) -> ApiToken:
    """Revoke a token for good: requests with it are refused from now on."""
    found = db.scalar(select(ApiToken).where(ApiToken.name == check_name(name)))
    if found is None:
        raise AccountError(f"there is no API token called {name!r}")
    found.revoked = True
    return found


def list_api_tokens(db: Session) -> list[ApiToken]:
    return list(db.scalars(select(ApiToken).order_by(ApiToken.name)))


def api_token_name(db: Session, token: str) -> str | None:
    found = db.scalar(select(ApiToken).where(ApiToken.token_sha256 == digest(token)))
    return None if found is None or found.revoked else found.name
