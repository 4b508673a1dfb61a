"""Web settings: embedded defaults (a data folder beside where it runs), overridden by environment variables."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from ..errors import ScreeningError
from .db import database_url_for

DEFAULT_DATA_DIR = Path("screening-data")


class SettingsError(ScreeningError):
    exit_code = 2


def _secret_key(data_dir: Path) -> bytes:
    """The signing key: SCREENING_SECRET_KEY, else a random key kept in the data folder (created once)."""
    if env := os.environ.get("SCREENING_SECRET_KEY"):
        if len(env) < 32:
            raise SettingsError("SCREENING_SECRET_KEY must be at least 32 characters long")
        return env.encode("utf-8")
    path = data_dir / "secret.key"
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(48).encode("ascii")
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_bytes().strip()
    with os.fdopen(descriptor, "wb") as out:
        out.write(key)
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
    lockout_after_failures: int = 5
    lockout_for: timedelta = timedelta(minutes=15)
    questionnaire: Path | None = None
    ruleset: Path | None = None
    clinic: Path | None = None

    @classmethod
    def load(cls, data_dir: Path | None = None, **overrides: object) -> Settings:
        """Settings from the environment, with a data folder created on first use."""
        folder = data_dir or Path(os.environ.get("SCREENING_DATA_DIR") or DEFAULT_DATA_DIR)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SettingsError(f"cannot create the data folder {folder} ({exc.strerror})") from exc
        url = os.environ.get("SCREENING_DATABASE_URL") or database_url_for(folder.resolve())
        values: dict[str, object] = {
            "data_dir": folder,
            "database_url": url,
            "secret_key": _secret_key(folder),
            "secure_cookies": os.environ.get("SCREENING_SECURE_COOKIES", "") in {"1", "true", "yes"},
        }
        if hosts := os.environ.get("SCREENING_ALLOWED_HOSTS"):
            values["allowed_hosts"] = tuple(h.strip() for h in hosts.split(",") if h.strip())
        for key in ("questionnaire", "ruleset", "clinic"):
            if env := os.environ.get(f"SCREENING_{key.upper()}"):
                values[key] = Path(env)
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
