"""Web settings: embedded defaults (a data folder beside where it runs), overridden by environment variables."""

from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from ..error_codes import ErrorCode
from ..errors import Problem
from ..errors import SettingsError as SettingsError  # importable from here as before
from .db import database_url_for

DEFAULT_DATA_DIR = Path("screening-data")


MIN_SECRET_LENGTH = 32
KEY_FILE = "secret.key"


def _secret_key(data_dir: Path, database_url: str) -> bytes:
    """The signing key for result links and form tokens: SCREENING_SECRET_KEY, else ``secret.key`` in the data folder.

    A new key file is written only when the database does not exist yet (a first start). Once there is a
    database, links already handed out depend on the key, so a missing, empty or short key stops the start
    instead of being replaced.
    """
    if "SCREENING_SECRET_KEY" in os.environ:
        env = os.environ["SCREENING_SECRET_KEY"].strip()
        if len(env) < MIN_SECRET_LENGTH:
            raise SettingsError(
                Problem(
                    "",
                    None,
                    "",
                    f"SCREENING_SECRET_KEY is set but {_length(env)}",
                    f"set it to a random value of at least {MIN_SECRET_LENGTH} characters, or unset it to use "
                    f"{data_dir / KEY_FILE}",
                    code=ErrorCode.SECRET_KEY_WEAK,
                )
            )
        return env.encode("utf-8")
    path = data_dir / KEY_FILE
    try:
        key = path.read_bytes().strip()
    except FileNotFoundError:
        if _database_exists(database_url):
            raise SettingsError(
                Problem(
                    str(path),
                    None,
                    "",
                    "the signing key is missing, but the database already exists",
                    _RECOVER.format(path=path),
                    code=ErrorCode.SECRET_KEY_MISSING,
                )
            ) from None
        return _write_new_key(path)
    except OSError as exc:
        raise SettingsError(
            Problem(
                str(path),
                None,
                "",
                f"cannot read the signing key ({exc.strerror})",
                "check the file's permissions",
                code=ErrorCode.FILE_UNREADABLE,
            )
        ) from exc
    if len(key) < MIN_SECRET_LENGTH:
        message, fix = f"the signing key is {_length(key)}", _RECOVER.format(path=path)
        raise SettingsError(Problem(str(path), None, "", message, fix, code=ErrorCode.SECRET_KEY_WEAK))
    return key


_RECOVER = (
    "Restore the file from a backup (or set SCREENING_SECRET_KEY to the key in use). If it is lost for good, "
    "write a new random key of at least 32 characters into it, e.g. `openssl rand -base64 48 > {path}` and "
    "`chmod 600 {path}`: result links already given to patients will then stop working."
)


def _length(key: str | bytes) -> str:
    return "empty" if not key else f"too short ({len(key)} characters; at least {MIN_SECRET_LENGTH} are needed)"


def _database_exists(url: str) -> bool:
    """Whether this is not a first start: the SQLite file exists, or the server database has our tables."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        return bool(database) and database != ":memory:" and Path(database or "").exists()
    engine = create_engine(url)
    try:
        return inspect(engine).has_table("submissions")
    except SQLAlchemyError as exc:
        raise SettingsError(
            Problem(
                "",
                None,
                "",
                f"cannot reach the database to check whether a signing key should already exist ({type(exc).__name__})",
                "start the database, or set SCREENING_SECRET_KEY",
                code=ErrorCode.DATABASE_UNREACHABLE,
            )
        ) from exc
    finally:
        engine.dispose()


def _write_new_key(path: Path) -> bytes:
    """Write a new random key so that the file is complete or absent: temporary file, fsync, then link into place.

    Linking never replaces an existing file, so when two processes start at once the first key written wins.
    """
    key = secrets.token_urlsafe(48).encode("ascii")
    temporary: Path | None = None
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)  # mode 0600
        temporary = Path(name)
        with os.fdopen(handle, "wb") as out:
            out.write(key)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return path.read_bytes().strip()
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)  # the new name survives a power cut too
        finally:
            os.close(folder)
    except OSError as exc:
        raise SettingsError(
            Problem(
                str(path),
                None,
                "",
                f"cannot write a new signing key ({exc.strerror}); nothing was written",
                "free some disk space or fix the folder's permissions, then start again",
                code=ErrorCode.SECRET_KEY_UNWRITABLE,
            )
        ) from exc
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
    return key


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: bytes = field(repr=False)
    secure_cookies: bool = False  # set when served over HTTPS (behind a proxy); loopback HTTP cannot use them
    result_link_valid_for: timedelta = timedelta(hours=72)
    session_valid_for: timedelta = timedelta(hours=8)
    max_body_bytes: int = 256 * 1024
    public_posts_per_minute: int = 30  # stored patient submissions (emergency stops included) per address
    public_page_posts_per_minute: int = 240  # every patient post: pages, follow-up checks
    allowed_hosts: tuple[str, ...] = ("*",)  # Host headers answered; others get 400 (SCREENING_ALLOWED_HOSTS)
    lockout_after_failures: int = 5  # sign-in attempts per name from one address, per window
    lockout_after_failures_per_address: int = 20  # attempts from one address, whatever the names
    lockout_for: timedelta = timedelta(minutes=15)  # the window
    questionnaire: Path | None = None
    ruleset: Path | None = None
    clinic: Path | None = None
    # alerts (clinic settings say where to): a failed one is tried again after alert_first_retry, then after
    # twice as long each time, at most alert_longest_retry apart; alert_poll is how often due alerts are looked for
    alert_first_retry: timedelta = timedelta(minutes=1)
    alert_longest_retry: timedelta = timedelta(minutes=30)
    alert_poll: timedelta = timedelta(seconds=5)
    # whether each server process also does the queued work (PDFs, alerts); off when `screening worker` does it all
    run_jobs: bool = True
    job_poll: timedelta = timedelta(seconds=2)  # how often a worker looks for due jobs on SQLite

    @classmethod
    def load(cls, data_dir: Path | None = None, **overrides: object) -> Settings:
        """Settings from the environment, with a data folder created on first use."""
        folder = data_dir or Path(os.environ.get("SCREENING_DATA_DIR") or DEFAULT_DATA_DIR)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            message = f"cannot create the data folder ({exc.strerror})"
            fix = "choose another folder with --data, or fix the permissions"
            raise SettingsError(Problem(str(folder), None, "", message, fix, code=ErrorCode.DATA_FOLDER)) from exc
        url = str(overrides.get("database_url") or "") or (
            os.environ.get("SCREENING_DATABASE_URL") or database_url_for(folder.resolve())
        )
        values: dict[str, object] = {
            "data_dir": folder,
            "database_url": url,
            "secret_key": overrides.get("secret_key") or _secret_key(folder, url),
            "secure_cookies": os.environ.get("SCREENING_SECURE_COOKIES", "") in {"1", "true", "yes"},
            "run_jobs": os.environ.get("SCREENING_RUN_JOBS", "1").strip().lower() not in {"0", "false", "no"},
        }
        for key in ("public_posts_per_minute", "public_page_posts_per_minute"):
            if (limit := os.environ.get(f"SCREENING_{key.upper()}", "")).isdigit() and int(limit) > 0:
                values[key] = int(limit)
        if hosts := os.environ.get("SCREENING_ALLOWED_HOSTS"):
            values["allowed_hosts"] = tuple(h.strip() for h in hosts.split(",") if h.strip())
        for key in ("questionnaire", "ruleset", "clinic"):
            if env := os.environ.get(f"SCREENING_{key.upper()}"):
                values[key] = Path(env)
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
