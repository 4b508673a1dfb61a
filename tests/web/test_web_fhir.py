"""FHIR through the web: the API takes a QuestionnaireResponse, staff download one."""

from __future__ import annotations

from pathlib import Path

from helpers.web import Site

from screening.fhir import check_questionnaire, response_resource
from screening.reading import load_response

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_api_accepts_a_questionnaire_response_and_serves_fhir(site: Site) -> None:
    token = site.api_token()
    auth = {"authorization": f"Bearer {token}"}
    native = load_response(EXAMPLES / "physio_cervicogenic.yaml", site.definition)
    resource = response_resource(site.definition, native)
    answer = site.client.post("/api/v1/submissions", json=resource, headers=auth)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["disposition"] == "physio_assessment"
    again = site.client.get(f"/api/v1/submissions/{body['id']}/questionnaire-response.json", headers=auth)
    assert again.headers["content-type"].startswith("application/fhir+json")
    assert {i["linkId"] for i in again.json()["item"]} == {i["linkId"] for i in resource["item"]}
    questionnaire = site.client.get("/api/v1/fhir/Questionnaire", headers=auth).json()
    assert questionnaire["resourceType"] == "Questionnaire" and check_questionnaire(questionnaire) == []
    wrong = dict(resource, questionnaire="https://elsewhere.invalid/Questionnaire/other|1.0.0")
    refused = site.client.post("/api/v1/submissions", json=wrong, headers=auth)
    assert refused.status_code == 422 and refused.json()["errors"]


def test_staff_can_download_the_questionnaire_response(site: Site, physio_answers: dict[str, object]) -> None:
    site.add_staff()
    site.login()
    site.staff_intake(physio_answers)
    (row,) = site.submissions()
    got = site.client.get(f"/staff/submissions/{row.id}/questionnaire-response.json")
    assert got.status_code == 200
    resource = got.json()
    assert resource["resourceType"] == "QuestionnaireResponse" and resource["status"] == "completed"
    assert "fhir_download" in site.audit_actions()
