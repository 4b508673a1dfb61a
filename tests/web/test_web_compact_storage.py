"""Compact storage: a row keeps its response, a compact result and the sha256 of its definitions (stored once);
the full assessment rebuilt from them equals the one computed when it was submitted, also for an older ruleset,
and migration 0007 moves rows written by the earlier schema without losing any."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from screening import assess, load_definition
from screening.assessment import assessment_json
from screening.definition import Definition
from screening.loader import default_questionnaire_path, ruleset_path_for
from screening.reading import load_response
from screening.response import Response, response_json
from screening.web import archive
from screening.web.archive import RebuildError, assessment_of
from screening.web.db import MIGRATIONS, StoredDefinition, Submission, make_engine, migrate
from screening.web.store import submit

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))
OLD_VERSION = "1.9.0"


@pytest.fixture(scope="module")
def older(tmp_path_factory: pytest.TempPathFactory) -> Definition:
    """The bundled definition as an earlier ruleset version would have it: one feature weighs 1, not 4."""
    folder = tmp_path_factory.mktemp("older")
    q_path = folder / "cervicogenic_headache.yaml"
    shutil.copy(default_questionnaire_path(), q_path)
    rules = ruleset_path_for(default_questionnaire_path()).read_text(encoding="utf-8")
    feature = "  - id: neck_movement_or_posture_triggers_headache\n"
    head, tail = rules.split(feature)
    assert "    weight: 4\n" in tail.split("\n\n")[0]
    tail = tail.replace("    weight: 4\n", "    weight: 1\n", 1)
    rules = re.sub(r"(?m)^version: .*$", f"version: {OLD_VERSION}", head + feature + tail, count=1)
    ruleset_path_for(q_path).write_text(rules, encoding="utf-8")
    return load_definition(q_path)


@pytest.fixture
def db(database_url: str) -> Iterator[Session]:
    engine = make_engine(database_url)
    migrate(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def _cases(definition: Definition) -> list[Response]:
    return [load_response(path, definition) for path in EXAMPLES]


def _forget_rebuilt() -> None:
    archive._rebuilt.clear()  # the next rebuild reads the definitions from the database


def test_rebuilt_assessments_equal_the_ones_at_submission(db: Session, bundled: Definition, older: Definition) -> None:
    made = []
    for definition in (bundled, older):
        for response in _cases(definition):
            row, created = submit(db, definition, response, channel="api", actor="api:test", action="api_submit")
            assert created
            made.append((row.id, assessment_json(assess(definition, response))))
    # the bundled questionnaire is shared: three files, each stored once
    stored = db.execute(select(StoredDefinition.kind, StoredDefinition.version)).all()
    q_version, r_version = bundled.questionnaire.version, bundled.ruleset.version
    assert sorted(stored) == sorted([("questionnaire", q_version), ("ruleset", r_version), ("ruleset", OLD_VERSION)])
    assert db.scalar(select(StoredDefinition.source).where(StoredDefinition.sha256 == older.ruleset_sha256)) == (
        ruleset_path_for(Path(older.questionnaire_file)).read_bytes()
    )
    _forget_rebuilt()
    differs = 0
    for row_id, expected in made:
        kept_row = db.get(Submission, row_id)
        assert kept_row is not None and kept_row.legacy_assessment_json is None
        again = assessment_json(assessment_of(db, kept_row))  # no served definition: rebuilt from the stored files
        assert again == expected
        differs += kept_row.ruleset_sha256 == older.ruleset_sha256 and again != assessment_json(
            assess(bundled, Response.model_validate_json(kept_row.response_json))
        )
    assert differs > 0  # the older ruleset really scores some examples differently


def test_a_stored_row_is_under_three_kilobytes(db: Session, bundled: Definition) -> None:
    for response in _cases(bundled):
        row, _ = submit(db, bundled, response, channel="web", actor="patient", action="submitted")
        stored = db.execute(select(Submission.__table__).where(Submission.id == row.id)).one()
        size = sum(len(v) if isinstance(v, bytes) else len(str(v)) for v in stored if v is not None)
        assert size <= 3000, f"{size} bytes"


def test_a_result_that_no_longer_comes_out_the_same_is_not_shown(db: Session, bundled: Definition) -> None:
    row, _ = submit(db, bundled, _cases(bundled)[0], channel="api", actor="api:test", action="api_submit")
    stored = db.get(Submission, row.id)
    assert stored is not None
    stored.points = (stored.points or 0) + 1  # as if this engine scored it differently from the one that stored it
    db.commit()
    with pytest.raises(RebuildError, match="differently"):
        assessment_of(db, stored, bundled)


def test_a_result_this_version_cannot_rebuild_is_explained_not_a_server_error(site: Any) -> None:
    """Staff see the stored outcome and what to do; the patient's link asks them to call the clinic, with the
    warning signs, instead of a bare 500."""
    done = site.complete(dict(load_response(EXAMPLES[-1], site.definition).answers))
    result_link = done.headers["location"]
    row_id = result_link.split("/")[2]
    with site.db() as db:
        stored = db.get(Submission, row_id)
        stored.points = (stored.points or 0) + 1  # as if another engine version had scored it
        db.commit()
    patient = site.client.get(result_link)
    assert patient.status_code == 409
    assert "Your result cannot be shown just now" in patient.text and "call 999 now" in patient.text
    site.add_staff()
    site.login()
    staff = site.client.get(f"/staff/submissions/{row_id}")
    assert staff.status_code == 409
    assert "Its stored outcome is: Physio assessment" in staff.text and "differently" in staff.text


def test_the_pdf_of_a_submission_under_an_older_ruleset_is_rendered_under_it(site: Any, older: Definition) -> None:
    from helpers.pdfs import embedded_files

    response = load_response(EXAMPLES[-1], older)  # physio_cervicogenic
    with site.db() as db:
        row, _ = submit(db, older, response, channel="api", actor="api:test", action="api_submit")
    site.add_staff()
    site.login()
    site.run_jobs()  # a worker renders it, under the older ruleset
    got = site.client.get(f"/staff/submissions/{row.id}/summary.pdf")
    assert got.status_code == 200 and got.content.startswith(b"%PDF")
    attached = {f.name: f.data for f in embedded_files(got.content)}
    embedded = next(data for name, data in attached.items() if "assessment" in name)
    assert json.loads(embedded) == json.loads(assessment_json(assess(older, response)))
    assert json.loads(embedded) != json.loads(assessment_json(assess(site.definition, response)))
    page = site.client.get(f"/staff/submissions/{row.id}")
    assert page.status_code == 200 and "is not stored here" not in page.text
    assert "Why: the rules that fired" in page.text  # the answers and rules, under the older ruleset


# ---------------------------------------------------------------------------------------------
# Migration 0007, from rows written by the schema before it


def _config(connection: Any) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _old_row(ident: str, definition: Definition, response: Response, q_sha: str | None = None) -> dict[str, Any]:
    """A submission as the 0006 schema stored it: the response and the whole assessment as JSON."""
    assessment = assess(definition, response)
    p = assessment.provenance
    return {
        "id": ident,
        "channel": "api",
        "respondent": response.respondent,
        "complete": True,
        "disposition": assessment.disposition.value,
        "likelihood": assessment.likelihood.grade.value,
        "red_flags": " ".join(f.id for f in assessment.red_flags),
        "response_json": response_json(response),
        "assessment_json": assessment_json(assessment),
        "questionnaire_id": p.questionnaire_id,
        "questionnaire_version": p.questionnaire_version,
        "questionnaire_sha256": q_sha or p.questionnaire_sha256,
        "ruleset_id": p.ruleset_id,
        "ruleset_version": p.ruleset_version,
        "ruleset_sha256": p.ruleset_sha256,
        "engine_version": p.engine_version,
    }


def test_migration_moves_rows_written_by_the_earlier_schema(
    database_url: str, bundled: Definition, older: Definition
) -> None:
    engine = make_engine(database_url)
    physio = load_response(EXAMPLES[-1], bundled)
    rows = [
        _old_row("a" * 32, bundled, physio),  # bundled files: their bytes ship with the package
        _old_row("b" * 32, older, load_response(EXAMPLES[-1], older)),  # loaded in this process, as serve does
        _old_row("c" * 32, bundled, physio, q_sha="f" * 64),  # a questionnaire whose file is nowhere to be found
    ]
    with engine.begin() as connection:
        command.upgrade(_config(connection), "0006_patient_drafts")
    with engine.begin() as connection:
        columns = ", ".join(["created_at", *rows[0]])
        values = ", ".join(["CURRENT_TIMESTAMP", *(f":{key}" for key in rows[0])])
        for row in rows:
            connection.execute(text(f"INSERT INTO submissions ({columns}) VALUES ({values})"), row)
    migrate(engine)
    assert "assessment_json" not in {c["name"] for c in inspect(engine).get_columns("submissions")}
    _forget_rebuilt()
    with Session(engine) as db:
        moved = {row.id: row for row in db.scalars(select(Submission))}
        assert [moved[k].legacy_assessment_json is None for k in sorted(moved)] == [True, True, False]
        assert moved["a" * 32].rule_results and moved["b" * 32].points is not None
        assert db.scalar(select(func.count()).select_from(StoredDefinition)) == 3
        for old in rows:  # every row gives back exactly the assessment it stored
            assert assessment_json(assessment_of(db, moved[old["id"]])) == old["assessment_json"]
            assert len(moved[old["id"]].response_json) < len(old["response_json"])
            again = Response.model_validate_json(moved[old["id"]].response_json)
            assert again == Response.model_validate_json(old["response_json"])
    with engine.begin() as connection:  # and back: each row has its whole assessment again
        command.downgrade(_config(connection), "0006_patient_drafts")
    with engine.connect() as connection:
        back = {str(r[0]): str(r[1]) for r in connection.execute(text("SELECT id, assessment_json FROM submissions"))}
    assert back == {old["id"]: old["assessment_json"] for old in rows}
    engine.dispose()
