"""compact submissions: the definitions used are stored once by sha256, a row keeps a compact result instead of its
whole assessment (rebuilt on demand, see ``screening.web.archive``)

Existing rows are moved: the questionnaire and ruleset a row names by sha256 are looked for among the bundled
definition files and the ones this process has loaded (``screening serve`` loads its definition before it
migrates). When both are found and scoring the stored response again under them gives exactly the stored
assessment, the row keeps its compact result and the files are stored; otherwise the row keeps its assessment
JSON in ``legacy_assessment_json``, so nothing is lost.

Revision ID: 0007_compact_submissions
Revises: 0006_patient_drafts
Create Date: 2026-11-29
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import zlib
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import op

from screening.web.db import UtcDateTime

revision = "0007_compact_submissions"
down_revision = "0006_patient_drafts"
branch_labels = None
depends_on = None

BATCH = 500

submissions = sa.table(
    "submissions",
    sa.column("id", sa.String()),
    sa.column("response_json", sa.Text()),
    sa.column("response", sa.LargeBinary()),
    sa.column("assessment_json", sa.Text()),
    sa.column("points", sa.Integer()),
    sa.column("unknown_points", sa.Integer()),
    sa.column("rule_results", sa.Text()),
    sa.column("legacy_assessment_json", sa.Text()),
    sa.column("questionnaire_sha256", sa.String()),
    sa.column("ruleset_sha256", sa.String()),
    sa.column("engine_version", sa.String()),
    sa.column("disposition", sa.String()),
    sa.column("likelihood", sa.String()),
    sa.column("red_flags", sa.Text()),
)
definitions = sa.table(
    "definitions",
    sa.column("sha256", sa.String()),
    sa.column("kind", sa.String()),
    sa.column("definition_id", sa.String()),
    sa.column("version", sa.String()),
    sa.column("source", sa.LargeBinary()),
    sa.column("stored_at", UtcDateTime()),
)


def upgrade() -> None:
    op.create_table(
        "definitions",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("definition_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("source", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    # plain ADD/DROP COLUMN: no batch copy of `submissions`, which other tables reference
    op.add_column("submissions", sa.Column("points", sa.Integer(), nullable=True))
    op.add_column("submissions", sa.Column("unknown_points", sa.Integer(), nullable=True))
    op.add_column("submissions", sa.Column("rule_results", sa.Text(), nullable=True))
    op.add_column("submissions", sa.Column("legacy_assessment_json", sa.Text(), nullable=True))
    op.add_column("submissions", sa.Column("response", sa.LargeBinary(), nullable=True))
    _move_rows(op.get_bind())
    op.drop_column("submissions", "assessment_json")
    op.drop_column("submissions", "response_json")


def downgrade() -> None:
    op.add_column("submissions", sa.Column("assessment_json", sa.Text(), nullable=True))
    op.add_column("submissions", sa.Column("response_json", sa.Text(), nullable=True))
    _restore_rows(op.get_bind())
    op.drop_column("submissions", "response")
    op.drop_column("submissions", "legacy_assessment_json")
    op.drop_column("submissions", "rule_results")
    op.drop_column("submissions", "unknown_points")
    op.drop_column("submissions", "points")
    op.drop_table("definitions")


def _known_sources() -> dict[str, bytes]:
    """Definition files whose bytes are known here, by sha256: the bundled ones and those loaded in this process."""
    from screening.loader import bundled_dir, known_sources

    found: dict[str, bytes] = {}
    for path in sorted(bundled_dir("questionnaires").glob("*.yaml")):
        data = path.read_bytes()
        found[hashlib.sha256(data).hexdigest()] = data
    found.update(known_sources())
    return found


def _batches(connection: sa.Connection, *columns: Any) -> Any:
    """The rows of ``submissions`` in batches, by id (keyset: updating a batch does not move the next one)."""
    last = ""
    while True:
        rows = connection.execute(
            sa.select(submissions.c.id, *columns).where(submissions.c.id > last).order_by(submissions.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _move_rows(connection: sa.Connection) -> None:
    from screening.assessment import assessment_json
    from screening.errors import DefinitionError
    from screening.loader import definition_from_sources
    from screening.response import Response
    from screening.scorer import assess_compact
    from screening.web.archive import rebuilt, rule_digits
    from screening.web.db import pack_response

    sources = _known_sources()
    built: dict[tuple[str, str], Any] = {}
    stored: set[str] = set(connection.execute(sa.select(definitions.c.sha256)).scalars())

    def definition(q_sha: str, r_sha: str) -> Any:
        if (q_sha, r_sha) not in built:
            built[q_sha, r_sha] = None
            if q_sha in sources and r_sha in sources:
                names = Path(f"<questionnaire {q_sha[:12]}>"), Path(f"<ruleset {r_sha[:12]}>")
                with contextlib.suppress(DefinitionError):  # a file this engine no longer accepts: rows stay
                    built[q_sha, r_sha] = definition_from_sources(sources[q_sha], sources[r_sha], *names)
        return built[q_sha, r_sha]

    c = submissions.c
    columns = (c.response_json, c.assessment_json, c.questionnaire_sha256, c.ruleset_sha256, c.engine_version)
    for rows in _batches(connection, *columns, c.disposition, c.likelihood, c.red_flags):
        for row in rows:
            found = definition(row.questionnaire_sha256, row.ruleset_sha256)
            moved: dict[str, Any] = {"legacy_assessment_json": row.assessment_json}
            try:
                response = Response.model_validate_json(row.response_json)
            except ValueError:
                response = None
            if found is not None and response is not None:
                result = assess_compact(found, response)
                again = assessment_json(rebuilt(found, response, result, row.engine_version))
                same_row = (row.disposition, row.likelihood, row.red_flags.split()) == (
                    result.disposition.value,
                    result.grade.value,
                    list(result.red_flags),
                )
                if same_row and (again == row.assessment_json or json.loads(again) == json.loads(row.assessment_json)):
                    moved = {
                        "legacy_assessment_json": None,
                        "points": result.points,
                        "unknown_points": result.unknown_points,
                        "rule_results": rule_digits(result),
                    }
                    _store_definitions(connection, found, sources, stored)
            # compact JSON when it reads as a response (else the text as it was), compressed
            moved["response"] = pack_response(response.model_dump_json() if response is not None else row.response_json)
            connection.execute(sa.update(submissions).where(c.id == row.id).values(moved))


def _store_definitions(connection: sa.Connection, found: Any, sources: dict[str, bytes], stored: set[str]) -> None:
    from screening.web.db import utcnow

    q, r = found.questionnaire, found.ruleset
    for kind, sha256, ident, version in (
        ("questionnaire", found.questionnaire_sha256, q.id, q.version),
        ("ruleset", found.ruleset_sha256, r.id, r.version),
    ):
        if sha256 not in stored:
            connection.execute(
                sa.insert(definitions).values(
                    sha256=sha256,
                    kind=kind,
                    definition_id=ident,
                    version=version,
                    source=sources[sha256],
                    stored_at=utcnow(),
                )
            )
            stored.add(sha256)


def _restore_rows(connection: sa.Connection) -> None:
    """Back to the JSON text of the response and a whole assessment per row (the legacy one, else rebuilt)."""
    from types import SimpleNamespace

    from sqlalchemy.orm import Session

    from screening.assessment import assessment_json
    from screening.web.archive import assessment_of

    c = submissions.c
    columns = [col for col in c if col.name not in ("id", "assessment_json", "response_json")]
    with Session(bind=connection) as db:
        for rows in _batches(connection, *columns):
            for row in rows:
                response = zlib.decompress(row.response).decode("utf-8")
                text = row.legacy_assessment_json
                if text is None:  # the row's columns, read as a submission is
                    as_row = SimpleNamespace(**row._mapping, response_json=response)
                    text = assessment_json(assessment_of(db, as_row))  # type: ignore[arg-type]
                connection.execute(
                    sa.update(submissions).where(c.id == row.id).values(assessment_json=text, response_json=response)
                )
