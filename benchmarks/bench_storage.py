"""Bytes per stored submission, before and after compact storage, from the bundled cases and examples.

Run: python benchmarks/bench_storage.py [--rows 2000]

Three SQLite databases hold the same submissions (the bundled cases file and the examples, cycled, each with
a fictional patient, an idempotency key and a request fingerprint as the API stores them):
  1. written as the schema before migration 0007 stored them (response + whole assessment JSON per row);
  2. that database after `migrate` (0007 moves the rows), VACUUMed;
  3. written by `store.submit` on the current schema.
For each: the file size per row (tables and indexes; the definitions, stored once, counted apart) and the
bytes of the row's values. It also times rebuilding a full Assessment from a stored row. Target: <= 3 KB/row.
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from screening.assessment import assessment_json
from screening.cases import cases_path_for, load_cases
from screening.definition import Definition
from screening.loader import default_questionnaire_path, load_definition
from screening.reading import load_response
from screening.response import Response, parse_response, response_json
from screening.scorer import assess
from screening.web import archive
from screening.web.db import MIGRATIONS, Submission, make_engine, migrate
from screening.web.store import idempotency_digest, submit

TARGET = 3 * 1024
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PATIENT = {"name": "Alex Example", "date_of_birth": "1980-02-29", "contact": "01632 960001"}  # fictional


def _responses(definition: Definition) -> list[Response]:
    found = [load_response(path, definition) for path in sorted(EXAMPLES.glob("*.yaml"))]
    for case in load_cases(cases_path_for(default_questionnaire_path())):
        document = {**case.response, "patient": case.response.get("patient") or PATIENT}
        document.setdefault("collected_at", "2026-11-20T09:00:00Z")
        found.append(parse_response(document, definition, hidden="drop", partial=True))
    return found


def _config(connection: Any) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _old_rows(engine: Engine, definition: Definition, responses: list[Response], rows: int) -> None:
    with engine.begin() as connection:
        command.upgrade(_config(connection), "0006_patient_drafts")
    with engine.begin() as connection:
        for n in range(rows):
            response = responses[n % len(responses)]
            a = assess(definition, response)
            p = a.provenance
            key = idempotency_digest("api:bench", f"key-{n}")
            connection.execute(
                text(
                    "INSERT INTO submissions (id, created_at, channel, respondent, created_by, patient_name, complete,"
                    " disposition, likelihood, red_flags, response_json, assessment_json, questionnaire_id,"
                    " questionnaire_version, questionnaire_sha256, ruleset_id, ruleset_version, ruleset_sha256,"
                    " engine_version, idempotency_key, request_sha256) VALUES (:id, CURRENT_TIMESTAMP, 'api',"
                    " :respondent, 'bench', :name, 1, :disposition, :likelihood, :flags, :response, :assessment,"
                    " :qid, :qv, :qs, :rid, :rv, :rs, :ev, :key, :fingerprint)"
                ),
                {
                    "id": uuid.uuid4().hex,
                    "respondent": response.respondent,
                    "name": response.patient.name if response.patient else None,
                    "disposition": a.disposition.value,
                    "likelihood": a.likelihood.grade.value,
                    "flags": " ".join(f.id for f in a.red_flags),
                    "response": response_json(response),
                    "assessment": assessment_json(a),
                    "qid": p.questionnaire_id,
                    "qv": p.questionnaire_version,
                    "qs": p.questionnaire_sha256,
                    "rid": p.ruleset_id,
                    "rv": p.ruleset_version,
                    "rs": p.ruleset_sha256,
                    "ev": p.engine_version,
                    "key": key,
                    "fingerprint": hashlib.sha256(key.encode()).hexdigest(),
                },
            )


def _new_rows(engine: Engine, definition: Definition, responses: list[Response], rows: int) -> None:
    migrate(engine)
    with Session(engine) as db:
        for n in range(rows):
            key = idempotency_digest("api:bench", f"key-{n}")
            submit(
                db,
                definition,
                responses[n % len(responses)],
                channel="api",
                actor="api:bench",
                action="api_submit",
                created_by="bench",
                idempotency_key=key,
                request_sha256=hashlib.sha256(key.encode()).hexdigest(),
            )


def _measure(path: Path, rows: int) -> tuple[float, float, int]:
    """File bytes per row without the definitions table, value bytes per row, and the definitions' bytes."""
    with sqlite3.connect(path) as connection:
        connection.execute("VACUUM")
        page = connection.execute("PRAGMA page_size").fetchone()[0]
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        columns = [c[1] for c in connection.execute("PRAGMA table_info(submissions)")]
        lengths = " + ".join(f"coalesce(length(CAST({c} AS BLOB)), 0)" for c in columns)
        values = connection.execute(f"SELECT sum({lengths}) FROM submissions").fetchone()[0]
        has_definitions = connection.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'definitions'"
        ).fetchone()[0]
        definitions = (
            connection.execute("SELECT coalesce(sum(length(source)), 0) FROM definitions").fetchone()[0]
            if has_definitions
            else 0
        )
    return (page * pages - definitions) / rows, values / rows, definitions


def _rebuild_micros(engine: Engine, limit: int = 300) -> float:
    """Median µs to rebuild one stored row's full Assessment (definitions already cached)."""
    times = []
    with Session(engine) as db:
        for row in db.scalars(select(Submission).limit(limit)):
            start = time.perf_counter()
            archive.assessment_of(db, row)
            times.append(time.perf_counter() - start)
    return statistics.median(times[1:]) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    args = parser.parse_args()
    definition = load_definition()
    responses = _responses(definition)
    with tempfile.TemporaryDirectory() as folder:
        old_path, new_path = Path(folder) / "old.db", Path(folder) / "new.db"
        old = make_engine(f"sqlite+pysqlite:///{old_path}")
        _old_rows(old, definition, responses, args.rows)
        old.dispose()
        before_file, before_values, _ = _measure(old_path, args.rows)
        old = make_engine(f"sqlite+pysqlite:///{old_path}")
        start = time.perf_counter()
        migrate(old)
        migration = time.perf_counter() - start
        old.dispose()
        moved_file, moved_values, moved_definitions = _measure(old_path, args.rows)
        new = make_engine(f"sqlite+pysqlite:///{new_path}")
        _new_rows(new, definition, responses, args.rows)
        rebuild = _rebuild_micros(new)
        new.dispose()
        after_file, after_values, definitions = _measure(new_path, args.rows)
    print(f"{args.rows} submissions cycled from {len(responses)} bundled cases and examples (SQLite, VACUUMed)")
    print(f"  before (schema 0006):       {before_file:8.0f} file bytes/row   {before_values:8.0f} value bytes/row")
    print(
        f"  migrated by 0007:           {moved_file:8.0f} file bytes/row   {moved_values:8.0f} value bytes/row"
        f"   (+{moved_definitions} bytes of definitions, once; {migration * 1000 / args.rows:.2f} ms/row to migrate)"
    )
    print(
        f"  written by store.submit:    {after_file:8.0f} file bytes/row   {after_values:8.0f} value bytes/row"
        f"   (+{definitions} bytes of definitions, once)"
    )
    print(f"  rebuilding a full Assessment from a stored row: {rebuild:.0f} µs (median)")
    worst = max(moved_file, after_file)
    print(f"target <= {TARGET} bytes/row: {'meets target' if worst <= TARGET else 'MISSES TARGET'} ({worst:.0f})")


if __name__ == "__main__":
    main()
