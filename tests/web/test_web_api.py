"""The JSON API: token auth, submit, structured errors, idempotency, fetch, PDF, OpenAPI, and a schemathesis fuzz."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from helpers.web import Site
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from screening import assess, assessment_json, load_response

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _document(name: str) -> dict[str, Any]:
    from screening.response import read_response_file

    data, _ = read_response_file(EXAMPLES / name)
    plain: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return plain


def test_submit_gives_the_same_assessment_as_the_command_line(site: Site) -> None:
    definition = site.definition
    token = site.api_token()
    for name in ("physio_cervicogenic.yaml", "emergency_thunderclap.yaml", "gp_medication_overuse.yaml"):
        answer = site.client.post(
            "/api/v1/submissions", json=_document(name), headers={"authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 201, answer.text
        body = answer.json()
        expected = assess(definition, load_response(EXAMPLES / name, definition))
        assert body["assessment"] == json.loads(assessment_json(expected))
        assert body["disposition"] == expected.disposition.value
        assert body["channel"] == "api"
        fetched = site.client.get(f"/api/v1/submissions/{body['id']}", headers={"authorization": f"Bearer {token}"})
        assert fetched.json() == body
    assert site.count() == 3
    assert site.audit_actions().count("api_submit") == 3


def test_errors_are_structured_and_complete(site: Site) -> None:
    token = site.api_token()
    document = _document("physio_cervicogenic.yaml")
    document["answers"]["sudden_onset_headache"] = "maybe"
    document["answers"]["age"] = 999
    document["answers"]["no_such_item"] = "yes"
    answer = site.client.post("/api/v1/submissions", json=document, headers={"authorization": f"Bearer {token}"})
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    locations = {e["location"] for e in errors}
    assert {"answers.sudden_onset_headache", "answers.age", "answers.no_such_item"} <= locations
    codes = {e["location"]: e["code"] for e in errors}
    assert codes["answers.age"] == codes["answers.sudden_onset_headache"] == "SCR309"
    assert codes["answers.no_such_item"] == "SCR307"
    assert all(e["message"] for e in errors)
    assert site.count() == 0
    not_json = site.client.post(
        "/api/v1/submissions",
        content=b"{nope",
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    assert not_json.status_code == 400 and not_json.json()["detail"]


def test_idempotency_key_makes_retries_safe(site: Site) -> None:
    token = site.api_token()
    headers = {"authorization": f"Bearer {token}", "idempotency-key": "retry-1"}
    first = site.client.post("/api/v1/submissions", json=_document("physio_cervicogenic.yaml"), headers=headers)
    second = site.client.post("/api/v1/submissions", json=_document("physio_cervicogenic.yaml"), headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert site.count() == 1


def test_pdf_download(site: Site) -> None:
    token = site.api_token()
    auth = {"authorization": f"Bearer {token}"}
    body = site.client.post("/api/v1/submissions", json=_document("physio_cervicogenic.yaml"), headers=auth).json()
    waiting = site.client.get(body["pdf_url"], headers=auth)  # no worker has rendered it yet
    assert waiting.status_code == 202 and waiting.headers["retry-after"] == "2" and waiting.json()["detail"]
    site.run_jobs()
    pdf = site.client.get(body["pdf_url"], headers=auth)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert site.client.get(body["pdf_url"]).status_code == 401
    missing = site.client.get(f"/api/v1/submissions/{'f' * 32}", headers=auth)
    assert missing.status_code == 404 and missing.json()["detail"]


def test_openapi_describes_the_response_body(site: Site) -> None:
    document = site.client.get("/api/v1/openapi.json").json()
    body = document["paths"]["/api/v1/submissions"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "sudden_onset_headache" in body["properties"]["answers"]["properties"]
    assert set(document["paths"]) == {
        "/api/v1/submissions",
        "/api/v1/submissions/{submission_id}",
        "/api/v1/submissions/{submission_id}/summary.pdf",
        "/api/v1/submissions/{submission_id}/questionnaire-response.json",
        "/api/v1/fhir/Questionnaire",
    }
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


# --- fuzzing: schemathesis generates bodies and ids from the OpenAPI document -------------------


def _fuzz_app() -> tuple[Any, str, Path]:
    """An app of its own for the fuzzer (schemathesis needs the schema when the module is collected)."""
    from screening.web.app import create_app
    from screening.web.auth import add_api_token
    from screening.web.settings import Settings

    folder = Path(tempfile.mkdtemp(prefix="screening-fuzz-"))
    app = create_app(Settings.load(folder, database_url=f"sqlite+pysqlite:///{folder / 'fuzz.db'}", run_jobs=False))
    with app.state.services.sessions() as db:
        token = add_api_token(db, "fuzz")
        db.commit()
    return app, token, folder


FUZZ_APP, FUZZ_TOKEN, FUZZ_DIR = _fuzz_app()
fuzzed = schemathesis.openapi.from_asgi("/api/v1/openapi.json", FUZZ_APP)


@pytest.fixture(scope="module", autouse=True)
def _remove_fuzz_folder() -> Any:
    yield
    FUZZ_APP.state.services.engine.dispose()
    shutil.rmtree(FUZZ_DIR, ignore_errors=True)


@fuzzed.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_fuzz_the_api(case: Any) -> None:
    """Generated bodies and ids never cause a server error, and every answer fits the documented schema."""
    headers = {"authorization": f"Bearer {FUZZ_TOKEN}"}
    checks: list[Any] = [not_a_server_error]
    if not case.path.endswith("summary.pdf"):
        checks.append(response_schema_conformance)
    case.call_and_validate(headers=headers, checks=checks)
