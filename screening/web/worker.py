"""The ``screening worker`` command: renders the queued referral PDFs and sends the queued alerts.

Any number of them can run, beside ``screening serve`` processes or instead of their own workers
(``serve --no-jobs``), on this machine or others that reach the same database: claims and locks keep two of
them from doing the same job.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from pathlib import Path
from typing import Any

from sqlalchemy.orm import sessionmaker

from .alerts import AlertSender
from .alerts import Timing as AlertTiming
from .db import make_engine, migrate
from .jobs import RenderContext, Timing, make_worker
from .settings import Settings


def run_worker(args: argparse.Namespace) -> int:
    from ..loader import load_definition
    from ..report import load_clinic_settings

    for key in ("questionnaire", "ruleset", "clinic"):
        if (value := getattr(args, key)) is not None:
            os.environ[f"SCREENING_{key.upper()}"] = str(Path(value).resolve())
    settings = Settings.load(args.data, **({"database_url": args.database} if args.database else {}))
    definition = load_definition(settings.questionnaire, settings.ruleset)  # the same ones the servers use
    clinic = load_clinic_settings(settings.clinic)
    engine = make_engine(settings.database_url)
    migrate(engine)  # a database that cannot be reached is reported there, as for every command (SCR608)
    sessions = sessionmaker(engine, expire_on_commit=False)
    worker = make_worker(
        settings.database_url,
        sessions,
        RenderContext(definition, clinic),
        Timing(poll=settings.job_poll),
        name=f"worker-{os.getpid()}",
    )
    timing = AlertTiming(
        poll=settings.alert_poll, first_retry=settings.alert_first_retry, longest_retry=settings.alert_longest_retry
    )
    sender = AlertSender(sessions, clinic, timing) if clinic.alerts is not None else None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("procrastinate", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)  # one line per job is ours to write
    for handler in logging.getLogger().handlers:  # WeasyPrint sets its progress logger to INFO when it is imported
        handler.addFilter(
            lambda record: not record.name.startswith(("weasyprint", "fontTools")) or record.levelno >= logging.WARNING
        )
    try:
        if args.once:
            worker.run_once()
            if sender is not None:
                sender.run_once()
            return 0
        stop = threading.Event()

        def _stop(_signal: int, _frame: Any) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        worker.start()
        if sender is not None:
            sender.start()
        alerts = "and alerts " if sender is not None else ""
        print(f"Worker started: rendering PDFs {alerts}queued in the database. Stop with Ctrl+C.", flush=True)
        while not stop.wait(1.0):
            pass
        print("Stopping after the job in progress…", flush=True)
        worker.stop()
        if sender is not None:
            sender.stop()
        return 0
    finally:
        engine.dispose()
