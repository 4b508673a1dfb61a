"""Exports of stored submissions (CSV, JSON lines) and re-assessment of them under another ruleset.

Both read the database and change nothing in it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, tuple_
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..definition import Definition
from ..error_codes import ErrorCode
from ..errors import ExportError as ExportError  # importable from here as before
from ..errors import Problem, ResponseError
from ..rescore import Change, compare, reassess_compact
from .archive import stored_result
from .db import Submission, database_url_for, make_engine
from .localtime import shown_time
from .settings import DEFAULT_DATA_DIR

FIXED_COLUMNS = [
    "id",
    "created_at",
    "channel",
    "respondent",
    "complete",
    "supersedes",
    "questionnaire_id",
    "questionnaire_version",
    "questionnaire_sha256",
    "ruleset_id",
    "ruleset_version",
    "ruleset_sha256",
    "engine_version",
    "disposition",
    "likelihood",
    "red_flags",
]
HUMAN_COLUMNS = ["received"]  # CSV only: created_at in the clinic's time, as the staff pages show it
NAME_COLUMNS = ["patient_name", "patient_contact", "patient_date_of_birth"]
# A spreadsheet treats a cell starting with one of these as a formula (OWASP "CSV injection"), also when
# spaces, line breaks or invisible characters come first.


def database_engine(database: str | None, data_dir: Path | None) -> Engine:
    """The engine for --database URL, else SCREENING_DATABASE_URL, else the SQLite file in the data folder."""
    url = database or os.environ.get("SCREENING_DATABASE_URL")
    if not url:
        folder = data_dir or Path(os.environ.get("SCREENING_DATA_DIR") or DEFAULT_DATA_DIR)
        if not (folder / "screening.db").exists():
            raise ExportError(
                Problem(
                    str(folder),
                    None,
                    "",
                    "no database here",
                    "pass --data DIR (the folder `screening serve` uses) or --database URL",
                    code=ErrorCode.NO_DATABASE,
                )
            )
        url = database_url_for(folder.resolve())
    return make_engine(url)


BATCH = 1000  # rows read per query: memory stays flat however many submissions there are


def submissions(engine: Engine, since: date | None = None, batch: int = BATCH) -> Iterator[Submission]:
    """Stored submissions, oldest first (all versions: a correction is a row of its own), ``batch`` at a time.

    Each batch is its own short query on (created_at, id) after the last row of the one before, through the
    index: no transaction stays open for the whole export, no database cursor holds the whole table, and no
    session keeps the rows already handed out.
    """
    query = select(Submission).order_by(Submission.created_at, Submission.id).limit(batch)
    if since is not None:
        query = query.where(Submission.created_at >= datetime.combine(since, time.min, tzinfo=UTC))
    after: tuple[datetime, str] | None = None
    while True:
        page = query if after is None else query.where(tuple_(Submission.created_at, Submission.id) > after)
        with Session(engine) as db:
            rows = list(db.scalars(page))
        yield from rows
        if len(rows) < batch:
            return
        after = (rows[-1].created_at, rows[-1].id)


def item_columns(definition: Definition) -> list[str]:
    return [i for i in definition.items if definition.is_answerable(i)]


def export_row(row: Submission, items: list[str], with_names: bool, zone: ZoneInfo | None = None) -> dict[str, Any]:
    """One submission as a flat record; with a ``zone``, also the human columns (``received``) for the CSV."""
    response = json.loads(row.response_json)
    answers: dict[str, Any] = response.get("answers", {})
    record: dict[str, Any] = {
        "id": row.id,
        "created_at": row.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        **({"received": shown_time(row.created_at, zone)} if zone is not None else {}),
        "channel": row.channel,
        "respondent": row.respondent,
        "complete": row.complete,
        "supersedes": row.supersedes_id or "",
        "questionnaire_id": row.questionnaire_id,
        "questionnaire_version": row.questionnaire_version,
        "questionnaire_sha256": row.questionnaire_sha256,
        "ruleset_id": row.ruleset_id,
        "ruleset_version": row.ruleset_version,
        "ruleset_sha256": row.ruleset_sha256,
        "engine_version": row.engine_version,
        "disposition": row.disposition,
        "likelihood": row.likelihood,
        "red_flags": row.red_flags.split(),
    }
    if with_names:
        patient = response.get("patient") or {}
        record["patient_name"] = patient.get("name") or ""
        record["patient_contact"] = patient.get("contact") or ""
        record["patient_date_of_birth"] = patient.get("date_of_birth") or ""
    for item in items:
        record[item] = answers.get(item, "")
    return record


# ---------------------------------------------------------------------------------------------
# Re-assessment of stored submissions under another ruleset (see ``screening.rescore``)


def rescore_database(engine: Engine, definition: Definition) -> Iterator[Change]:
    for row in submissions(engine):
        old = stored_result(row)  # the outcome as stored: only outcomes are compared
        stamp = row.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        try:
            new = reassess_compact(json.loads(row.response_json), definition, row.complete)
        except ResponseError as exc:
            yield compare(row.id, stamp, old, None, "; ".join(p.message for p in exc.problems[:3]))
            continue
        yield compare(row.id, stamp, old, new)
