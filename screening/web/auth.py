"""Staff accounts (argon2 password hashes), sign-in with throttling, sessions, and API tokens (with revocation)."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..error_codes import ErrorCode
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
        raise AccountError("a user name must be 1–64 printable characters", ErrorCode.ACCOUNT_NAME)
    return name


TOO_SHORT = f"the password must be at least {MIN_PASSWORD_LENGTH} characters long"


def add_user(db: Session, name: str, password: str) -> User:
    name = check_name(name)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"the password must be at least {MIN_PASSWORD_LENGTH} characters long", ErrorCode.PASSWORD_TOO_SHORT
        )
    if db.scalar(select(User).where(User.name == name)) is not None:
        raise AccountError(f"a user called {name!r} already exists", ErrorCode.ACCOUNT_EXISTS)
    user = User(name=name, password_hash=_HASHER.hash(password), disabled=False)
    db.add(user)
    db.flush()
    return user


def set_password(db: Session, name: str, password: str) -> User:
    """A new password; every session the user had is ended."""
    user = _user(db, name)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"the password must be at least {MIN_PASSWORD_LENGTH} characters long", ErrorCode.PASSWORD_TOO_SHORT
        )
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
        raise AccountError(f"there is no user called {name!r}", ErrorCode.NO_SUCH_ACCOUNT)
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
    forget_recent_sessions()


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


# A session found valid in the database is taken as valid, without asking again, for at most this long. Ending
# sessions in this process (sign-out, a new password, disabling) forgets them at once; a change made by another
# process (``screening user disable`` while the server runs, another server) takes effect within this time.
RECHECK_AFTER = 2.0  # seconds
_MOST_REMEMBERED = 10_000
_recent: dict[str, tuple[float, datetime, User]] = {}  # token digest: (checked at, session expiry, its user)


def session_user(db: Session, token: str | None) -> User | None:
    """The staff member a session cookie belongs to, if the session is open and the account enabled."""
    if not token:
        return None
    key = digest(token)
    found = db.execute(
        select(User, StaffSession.expires_at)
        .join(StaffSession, StaffSession.user_id == User.id)
        .where(StaffSession.token_sha256 == key, StaffSession.expires_at > utcnow())
    ).first()
    if found is None or found[0].disabled:
        _recent.pop(key, None)
        return None
    found_user, expires_at = found
    # a copy that belongs to no database session: requests on other threads share it, and the session that
    # loaded it may expire or roll back its own objects
    user = User(
        id=found_user.id,
        name=found_user.name,
        password_hash=found_user.password_hash,
        created_at=found_user.created_at,
        disabled=found_user.disabled,
    )
    if len(_recent) >= _MOST_REMEMBERED:
        _forget_stale(time.monotonic())
    _recent[key] = (time.monotonic(), expires_at, user)
    return user


def recent_session_user(token: str | None) -> User | None:
    """The user of a session found valid less than ``RECHECK_AFTER`` seconds ago, without a database query; None
    when it must be looked up (``session_user``). The user is shared between requests: read it, never change it."""
    if not token:
        return None
    seen = _recent.get(digest(token))
    if seen is None:
        return None
    checked, expires_at, user = seen
    if time.monotonic() - checked > RECHECK_AFTER or expires_at <= utcnow():
        return None
    return user


def forget_recent_sessions() -> None:
    """Ask the database again about every session (called when sessions end)."""
    _recent.clear()


def _forget_stale(now: float) -> None:
    for key, (checked, _, _) in list(_recent.items()):
        if now - checked > RECHECK_AFTER:
            _recent.pop(key, None)


def end_session(db: Session, token: str | None) -> None:
    if token:
        db.execute(delete(StaffSession).where(StaffSession.token_sha256 == digest(token)))
        _recent.pop(digest(token), None)


def add_api_token(db: Session, name: str) -> str:
    """Create a token for a clinic system; only its SHA-256 is stored, so it is shown once."""
    name = check_name(name)
    if db.scalar(select(ApiToken).where(ApiToken.name == name)) is not None:
        raise AccountError(f"an API token called {name!r} already exists", ErrorCode.ACCOUNT_EXISTS)
    token = "scr_" + secrets.token_urlsafe(32)
    db.add(ApiToken(name=name, token_sha256=digest(token), revoked=False))
    return token


def revoke_api_token(db: Session, name: str) -> ApiToken:
    """Revoke a token for good: requests with it are refused from now on."""
    found = db.scalar(select(ApiToken).where(ApiToken.name == check_name(name)))
    if found is None:
        raise AccountError(f"there is no API token called {name!r}", ErrorCode.NO_SUCH_ACCOUNT)
    found.revoked = True
    return found


def list_api_tokens(db: Session) -> list[ApiToken]:
    return list(db.scalars(select(ApiToken).order_by(ApiToken.name)))


def api_token_name(db: Session, token: str) -> str | None:
    found = db.scalar(select(ApiToken).where(ApiToken.token_sha256 == digest(token)))
    return None if found is None or found.revoked else found.name
