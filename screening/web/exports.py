"""Exports of stored submissions (CSV, JSON lines) and re-assessment of them under another ruleset.

Both read the database and change nothing in it.
"""

from __future__ import annotations

import csv
import json
import os
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..assessment import Assessment, assessment_from_json
from ..definition import Definition
from ..errors import ResponseError, ScreeningError
from ..response import Response, parse_response
from ..scorer import assess
from .db import Submission, database_url_for, make_engine
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
NAME_COLUMNS = ["patient_name", "patient_contact", "patient_date_of_birth"]
# A spreadsheet treats a cell starting with one of these as a formula (OWASP "CSV injection"), also when
# spaces, line breaks or invisible characters come first.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportError(ScreeningError):
    exit_code = 2


def database_engine(database: str | None, data_dir: Path | None) -> Engine:
    """The engine for --database URL, else SCREENING_DATABASE_URL, else the SQLite file in the data folder."""
    url = database or os.environ.get("SCREENING_DATABASE_URL")
    if not url:
        folder = data_dir or Path(os.environ.get("SCREENING_DATA_DIR") or DEFAULT_DATA_DIR)
        if not (folder / "screening.db").exists():
            raise ExportError(
                f"no database in {folder} — pass --data DIR (the folder `screening serve` uses) or --database URL"
            )
        url = database_url_for(folder.resolve())
    return make_engine(url)


def submissions(engine: Engine, since: date | None = None) -> Iterator[Submission]:
    """Stored submissions, oldest first (all versions: a correction is a row of its own)."""
    query = select(Submission).order_by(Submission.created_at, Submission.id)
    if since is not None:
        query = query.where(Submission.created_at >= datetime.combine(since, time.min, tzinfo=UTC))
    with Session(engine) as db:
        yield from db.scalars(query.execution_options(yield_per=500))


def item_columns(definition: Definition) -> list[str]:
    return [i for i in definition.items if definition.is_answerable(i)]


def export_row(row: Submission, items: list[str], with_names: bool) -> dict[str, Any]:
    response = json.loads(row.response_json)
    answers: dict[str, Any] = response.get("answers", {})
    record: dict[str, Any] = {
        "id": row.id,
        "created_at": row.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
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


def safe_cell(value: Any) -> str | int:
    """A CSV cell that a spreadsheet shows as text: lists joined, formulas neutralised with a leading quote."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return value
    text = "; ".join(map(str, value)) if isinstance(value, list) else str(value)
    return "'" + text if _looks_like_formula(text) else text


def _looks_like_formula(text: str) -> bool:
    if text.startswith(FORMULA_STARTS):
        return True
    start = 0
    while start < len(text) and (text[start].isspace() or unicodedata.category(text[start]) == "Cf"):
        start += 1
    return start > 0 and text.startswith(FORMULA_STARTS, start)


def write_csv(records: Iterator[dict[str, Any]], columns: list[str], out: TextIO, bom: bool) -> int:
    if bom:
        out.write("\ufeff")  # lets Excel on Windows open the file as UTF-8
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    for record in records:
        writer.writerow([safe_cell(record[c]) for c in columns])
        count += 1
    return count


def write_jsonl(records: Iterator[dict[str, Any]], out: TextIO) -> int:
    count = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


# ---------------------------------------------------------------------------------------------
# Re-assessment under another ruleset


@dataclass(frozen=True)
class Change:
    """How one stored submission would come out under the new definition (or why it cannot be re-assessed)."""

    submission: str
    created_at: str
    old_disposition: str
    new_disposition: str
    old_likelihood: str
    new_likelihood: str
    red_flags_added: list[str]
    red_flags_removed: list[str]
    problem: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.problem) or (self.old_disposition, self.old_likelihood) != (
            self.new_disposition,
            self.new_likelihood,
        )


def reassess(stored: Response, definition: Definition, complete: bool = True) -> Assessment:
    """The stored answers assessed under another definition (answers to questions it no longer shows dropped)."""
    response = parse_response(
        stored.model_dump(mode="json"), definition, hidden="drop", partial=not complete, source="stored"
    )
    return assess(definition, response)


def compare(ident: str, created_at: str, old: Assessment, new: Assessment | None, problem: str = "") -> Change:
    old_flags = {f.id for f in old.red_flags}
    new_flags = {f.id for f in new.red_flags} if new else set()
    return Change(
        ident,
        created_at,
        old.disposition.value,
        new.disposition.value if new else "",
        old.likelihood.grade.value,
        new.likelihood.grade.value if new else "",
        sorted(new_flags - old_flags),
        sorted(old_flags - new_flags) if new else [],
        problem,
    )


def rescore_database(engine: Engine, definition: Definition) -> Iterator[Change]:
    for row in submissions(engine):
        old = assessment_from_json(row.assessment_json)
        stamp = row.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        try:
            new = reassess(Response.model_validate_json(row.response_json), definition, row.complete)
        except ResponseError as exc:
            yield compare(row.id, stamp, old, None, "; ".join(p.message for p in exc.problems[:3]))
            continue
        yield compare(row.id, stamp, old, new)


def rescore_files(folder: Path, old_definition: Definition, new_definition: Definition) -> Iterator[Change]:
    """Response files in a folder, assessed under the current definition and under the new one."""
    from ..response import load_response

    for path in sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml", ".json")):
        try:
            response = load_response(path, old_definition, hidden="drop")
        except ResponseError as exc:
            yield Change(path.name, "", "", "", "", "", [], [], f"not a response: {exc.problems[0].message}")
            continue
        old = assess(old_definition, response)
        stamp = response.collected_at.isoformat()
        try:
            new = reassess(response, new_definition)
        except ResponseError as exc:
            yield compare(path.name, stamp, old, None, "; ".join(p.message for p in exc.problems[:3]))
            continue
        yield compare(path.name, stamp, old, new)
