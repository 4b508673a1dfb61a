"""The ``serve``, ``user`` and ``token`` commands."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .auth import AccountError, add_api_token, add_user, set_password
from .db import User, make_engine, migrate
from .settings import Settings


def run_command(args: argparse.Namespace) -> int:
    if args.command == "serve":
        return serve(args)
    settings = Settings.load(args.data)
    engine = make_engine(settings.database_url)
    migrate(engine)
    with Session(engine) as db:
        if args.command == "user":
            password = _password(args.password_stdin)
            if args.action == "add":
                user = add_user(db, args.name, password)
                print(f"Created staff user {user.name!r}. Sign in at /staff/login.")
            else:
                user = set_password(db, args.name, password)
                print(f"Password changed for {user.name!r}.")
        else:
            token = add_api_token(db, args.name)
            print(f"API token for {args.name!r} (shown once; keep it secret):\n{token}")
        db.commit()
    engine.dispose()
    return 0


def _password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password (at least 10 characters): ")
    if getpass.getpass("Same password again: ") != first:
        raise AccountError("the two passwords differ; nothing was changed")
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
