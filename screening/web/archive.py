"""The definitions submissions were scored with, kept once each by sha256, and full Assessments rebuilt from them.

A submission row holds its response, a compact result (disposition, grade, points, red flags raised and one
digit per rule) and the sha256 of its questionnaire and ruleset. The bytes of each questionnaire and ruleset
file are stored once in ``definitions``, by the first submission that uses them. Since ``assess`` is pure, the
full Assessment (trace, answers read, messages) is worked out again when a page, an export, the API or a PDF
needs it, under the very definitions the submission was scored with, and checked against the stored result.
"""

from __future__ import annotations

import dataclasses
import hashlib
import weakref
from pathlib import Path
from typing import cast

from sqlalchemy import Insert, Table, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..assessment import Assessment, assessment_from_json
from ..definition import Definition
from ..errors import DefinitionError
from ..errors import RebuildError as RebuildError  # importable from here as before
from ..loader import definition_from_sources, source_of
from ..model import Disposition, Likelihood
from ..response import Response
from ..scorer import CompactResult, assess_compact, explain
from .db import StoredDefinition, Submission, utcnow

_REBUILT_KEPT = 16


def insert_ignoring_duplicates(dialect: str, model: type[StoredDefinition] | type[Submission], *keys: str) -> Insert:
    """A Core INSERT that does nothing when a row with the same ``keys`` exists (SQLite and PostgreSQL alike);
    ``dialect`` is the database's kind (``postgresql`` or ``sqlite``)."""
    table = cast(Table, model.__table__)
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    return insert(table)  # pragma: no cover - only SQLite and PostgreSQL are supported


# sha256 of the definitions seen stored, per database: a submission then writes no definition at all
_known: weakref.WeakKeyDictionary[Engine, set[str]] = weakref.WeakKeyDictionary()


def _engine(db: Session) -> Engine:
    bind = db.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _source(sha256: str, file: str) -> bytes:
    """The bytes of a definition file as loaded (else read again, if they still have the same sha256)."""
    data = source_of(sha256)
    if data is not None:
        return data
    try:
        data = Path(file).read_bytes()
    except OSError:
        data = b""
    if hashlib.sha256(data).hexdigest() != sha256:
        raise RebuildError(f"the definition file {file} changed since it was loaded; restart to load it again")
    return data


def store_definitions(db: Session, definition: Definition) -> None:
    """Store the questionnaire and ruleset of ``definition`` unless stored already (in the caller's transaction)."""
    known = _known.setdefault(_engine(db), set())
    q, r = definition.questionnaire, definition.ruleset
    for kind, sha256, ident, version, file in (
        ("questionnaire", definition.questionnaire_sha256, q.id, q.version, definition.questionnaire_file),
        ("ruleset", definition.ruleset_sha256, r.id, r.version, definition.ruleset_file),
    ):
        if sha256 in known:
            continue
        if db.scalar(select(StoredDefinition.sha256).where(StoredDefinition.sha256 == sha256)) is not None:
            known.add(sha256)  # seen by a read: stored, not only planned
            continue
        db.execute(
            insert_ignoring_duplicates(db.get_bind().dialect.name, StoredDefinition, "sha256").values(
                sha256=sha256,
                kind=kind,
                definition_id=ident,
                version=version,
                source=_source(sha256, file),
                stored_at=utcnow(),
            )
        )


_rebuilt: dict[tuple[str, str], Definition] = {}


def definition_for(
    db: Session, questionnaire_sha256: str, ruleset_sha256: str, served: Definition | None = None
) -> Definition:
    """The definition with these two sha256: the one served, else one rebuilt from the stored files (kept)."""
    key = (questionnaire_sha256, ruleset_sha256)
    if served is not None and (served.questionnaire_sha256, served.ruleset_sha256) == key:
        return served
    found = _rebuilt.get(key)
    if found is not None:
        return found
    rows = db.execute(select(StoredDefinition.sha256, StoredDefinition.source).where(StoredDefinition.sha256.in_(key)))
    sources = {sha256: bytes(source) for sha256, source in rows}
    if questionnaire_sha256 not in sources or ruleset_sha256 not in sources:
        raise RebuildError("the questionnaire or ruleset this submission was scored with is not stored")
    try:
        definition = definition_from_sources(
            sources[questionnaire_sha256],
            sources[ruleset_sha256],
            Path(f"<stored questionnaire {questionnaire_sha256[:12]}>"),
            Path(f"<stored ruleset {ruleset_sha256[:12]}>"),
        )
    except DefinitionError as exc:
        raise RebuildError(f"the stored definition no longer loads: {exc.problems[0].message}") from exc
    if len(_rebuilt) >= _REBUILT_KEPT:
        _rebuilt.pop(next(iter(_rebuilt)))
    _rebuilt[key] = definition
    return definition


def row_definition(db: Session, row: Submission, served: Definition | None = None) -> Definition:
    """The definition the submission was scored with."""
    return definition_for(db, row.questionnaire_sha256, row.ruleset_sha256, served)


def response_of(row: Submission) -> Response:
    return Response.model_validate_json(row.response_json)


def rule_digits(result: CompactResult) -> str:
    """The per-rule results as stored: one digit per rule (0 false, 1 unknown, 2 true)."""
    return "".join("012"[value] for value in result.rules)


def matches_row(row: Submission, result: CompactResult) -> bool:
    """Whether a result is the one stored in the row."""
    return (
        row.disposition == result.disposition.value
        and row.likelihood == result.grade.value
        and row.points == result.points
        and row.unknown_points == result.unknown_points
        and row.red_flags.split() == list(result.red_flags)
        and row.rule_results == rule_digits(result)
    )


def stored_result(row: Submission) -> CompactResult:
    """The outcome stored in the row (for comparisons: caps and flags to check are not kept)."""
    rules = tuple(int(digit) for digit in row.rule_results or "")
    return CompactResult(
        Disposition(row.disposition),
        Likelihood(row.likelihood),
        row.points or 0,
        row.unknown_points or 0,
        (),
        tuple(row.red_flags.split()),
        (),
        rules,
    )


def assessment_of(db: Session, row: Submission, served: Definition | None = None) -> Assessment:
    """The submission's full Assessment, as computed when it was made."""
    if row.legacy_assessment_json is not None:
        return assessment_from_json(row.legacy_assessment_json)
    definition = row_definition(db, row, served)
    response = response_of(row)
    result = assess_compact(definition, response)
    if not matches_row(row, result):
        raise RebuildError(f"submission {row.id[:8]} comes out differently under this engine version")
    return rebuilt(definition, response, result, row.engine_version)


def rebuilt(definition: Definition, response: Response, result: CompactResult, engine_version: str) -> Assessment:
    """The full Assessment behind a compact result, under the engine version the result was stored with."""
    assessment = explain(definition, response, result)
    if assessment.provenance.engine_version != engine_version:
        provenance = dataclasses.replace(assessment.provenance, engine_version=engine_version)
        assessment = dataclasses.replace(assessment, provenance=provenance)
    return assessment
