"""The ``serve``, ``worker``, ``user`` (add, password, disable, enable, list) and ``token`` (add, revoke, list)
commands."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import logging
import os
import sys
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..error_codes import ErrorCode
from ..errors import AccountError, Problem, UsageError
from .auth import (
    add_api_token,
    add_user,
    list_api_tokens,
    list_users,
    revoke_api_token,
    set_disabled,
    set_password,
)
from .db import User, make_engine, migrate
from .settings import Settings


def _load_definition_quietly(settings: Settings) -> None:
    """Load the served definition if it loads: a migration can then store the files submissions were scored with
    (see migration 0007). A definition that does not load is for ``serve`` to report, not for these commands."""
    from ..errors import ScreeningError
    from ..loader import load_definition

    with contextlib.suppress(ScreeningError):
        load_definition(settings.questionnaire, settings.ruleset)


def run_command(args: argparse.Namespace) -> int:
    if args.command == "serve":
        return serve(args)
    if args.command == "worker":
        from .worker import run_worker

        return run_worker(args)
    if args.action != "list" and not args.name:
        message = f"say which one: screening {args.command} {args.action} NAME"
        raise UsageError(Problem("", None, "NAME", message, code=ErrorCode.MISSING_ARGUMENT))
    settings = Settings.load(args.data)
    _load_definition_quietly(settings)
    engine = make_engine(settings.database_url)
    migrate(engine)
    with Session(engine) as db:
        if args.command == "user":
            _user_command(db, args.action, args.name, args.password_stdin)
        else:
            _token_command(db, args.action, args.name)
        db.commit()
    engine.dispose()
    return 0


def _user_command(db: Session, action: str, name: str | None, password_stdin: bool) -> None:
    if action == "list":
        rows = list_users(db)
        for user, sessions in rows:
            state = "disabled" if user.disabled else "active"
            print(f"{user.name}\t{state}\tcreated {user.created_at:%Y-%m-%d}\t{sessions} open session(s)")
        if not rows:
            print("No staff accounts yet: create one with `screening user add NAME`.", file=sys.stderr)
    elif action in ("disable", "enable"):
        user = set_disabled(db, name or "", action == "disable")
        print(f"{user.name!r} is {action}d." + (" Their open sessions have ended." if action == "disable" else ""))
    elif action == "add":
        user = add_user(db, name or "", _password(password_stdin))
        print(f"Created staff user {user.name!r}. Sign in at /staff/login.")
    else:
        user = set_password(db, name or "", _password(password_stdin))
        print(f"Password changed for {user.name!r}. Their open sessions have ended.")


def _token_command(db: Session, action: str, name: str | None) -> None:
    if action == "list":
        tokens = list_api_tokens(db)
        for found in tokens:
            state = "revoked" if found.revoked else "active"
            print(f"{found.name}\t{state}\tcreated {found.created_at:%Y-%m-%d}")
        if not tokens:
            print("No API tokens yet: create one with `screening token add NAME`.", file=sys.stderr)
    elif action == "revoke":
        revoked = revoke_api_token(db, name or "")
        print(f"API token {revoked.name!r} is revoked; requests with it are refused from now on.")
    else:
        token = add_api_token(db, name or "")
        print(f"API token for {name!r} (shown once; keep it secret):\n{token}")


def _password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password (at least 10 characters): ")
    if getpass.getpass("Same password again: ") != first:
        raise AccountError("the two passwords differ; nothing was changed", ErrorCode.PASSWORDS_DIFFER)
    return first


def serve(args: argparse.Namespace) -> int:
    """Check the definitions, migrate the database once, then start the server's worker process(es)."""
    import uvicorn

    from ..loader import load_definition
    from ..report import load_clinic_settings

    overrides = {
        "SCREENING_QUESTIONNAIRE": args.questionnaire,
        "SCREENING_RULESET": args.ruleset,
        "SCREENING_CLINIC": args.clinic,
        "SCREENING_DATA_DIR": args.data,
    }
    for key, value in overrides.items():
        if value is not None:
            os.environ[key] = str(Path(value).resolve())
    if args.secure_cookies:
        os.environ["SCREENING_SECURE_COOKIES"] = "1"
    if args.allowed_hosts:
        os.environ["SCREENING_ALLOWED_HOSTS"] = args.allowed_hosts
    if args.no_jobs:
        os.environ["SCREENING_RUN_JOBS"] = "0"
    settings = Settings.load()
    os.environ["SCREENING_DATA_DIR"] = str(settings.data_dir.resolve())  # workers must agree on it
    load_definition(settings.questionnaire, settings.ruleset)  # a broken definition stops here, with its lines
    load_clinic_settings(settings.clinic)
    engine = make_engine(settings.database_url)
    migrate(engine)
    with Session(engine) as db:
        users = db.scalar(select(func.count()).select_from(User)) or 0
    engine.dispose()

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("procrastinate").setLevel(logging.WARNING)  # the job worker's own line per job is enough
    base = f"http://{args.host}:{args.port}"
    print(f"Screening: patients {base}/  ·  staff {base}/staff  ·  API {base}/api/v1/openapi.json", flush=True)
    print(f"Data folder: {settings.data_dir.resolve()}", flush=True)
    if not users:
        print("No staff accounts yet: create one with `screening user add NAME`.", flush=True)
    uvicorn.run(
        "screening.web.app:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,  # our own access log leaves out paths with tokens and queries with names
        log_level="info",
        server_header=False,
        # X-Forwarded-For and -Proto are believed only from the proxies named here (by default from nobody: a
        # client on this machine could otherwise claim any address and escape the per-address limits)
        proxy_headers=bool(args.forwarded_allow_ips),
        forwarded_allow_ips=args.forwarded_allow_ips or None,
    )
    return 0
