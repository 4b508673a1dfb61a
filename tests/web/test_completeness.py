"""Whether a response is complete has one answer (``response.is_complete``): the stored flag, the FHIR download and
the QuestionnaireResponse inside the PDF agree, for an emergency stop and for a fully answered response."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers.pdfs import embedded_files
from helpers.strategies import responses
from helpers.web import Site, hidden_fields
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.definition import Definition
from screening.errors import ResponseError
from screening.response import Response, is_complete, parse_response


def _statuses(site: Site, submission_id: str) -> tuple[bool, str, str]:
    """The stored flag, the status in the PDF's QuestionnaireResponse, and the status of the FHIR download."""
    (row,) = [row for row in site.submissions() if row.id == submission_id]
    base = f"/staff/submissions/{submission_id}"
    site.run_jobs()  # the referral PDF is rendered by a worker, off the request path
    pdf = site.client.get(f"{base}/summary.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), pdf.text
    (embedded,) = [f for f in embedded_files(pdf.content) if f.name == "questionnaire-response.json"]
    download = site.client.get(f"{base}/questionnaire-response.json")
    assert download.status_code == 200, download.text
    return row.complete, json.loads(embedded.data)["status"], download.json()["status"]


def _only_submission(site: Site) -> str:
    (row,) = site.submissions()
    return row.id


def test_an_emergency_stop_is_in_progress_everywhere(site: Site) -> None:
    first = site.first_section()
    stopped = site.post("/screen", [*hidden_fields(first.text), ("new_weakness", "yes"), ("action", "next")])
    assert stopped.status_code == 303
    site.add_staff()
    site.login()
    assert _statuses(site, _only_submission(site)) == (False, "in-progress", "in-progress")


def test_a_fully_answered_response_is_completed_everywhere(site: Site, physio_answers: dict[str, Any]) -> None:
    assert site.complete(physio_answers).status_code == 303
    site.add_staff()
    site.login()
    assert _statuses(site, _only_submission(site)) == (True, "completed", "completed")


def test_a_fully_answered_staff_intake_with_an_emergency_is_completed_everywhere(
    site: Site, physio_answers: dict[str, Any]
) -> None:
    # saved at once for the emergency, yet nothing was left to ask: stored as stopped early before, while its PDF
    # said completed
    site.add_staff()
    site.login()
    saved = site.staff_intake({**physio_answers, "new_weakness": "yes"})
    assert saved.status_code == 303, saved.text
    (row,) = site.submissions()
    assert row.disposition == "emergency"
    assert _statuses(site, row.id) == (True, "completed", "completed")


def test_an_unfinished_fhir_response_sent_to_the_api_is_stored_as_stopped_early(site: Site) -> None:
    from screening.fhir import response_resource

    definition = site.definition
    document = {"questionnaire": definition.questionnaire.id, "version": definition.questionnaire.version,
                "collected_at": "2026-03-01T10:30:00Z", "answers": {"new_weakness": "yes"}}  # fmt: skip
    stopped = parse_response(document, definition, partial=True)
    resource = response_resource(definition, stopped, complete=False)
    token = site.api_token()
    sent = site.client.post("/api/v1/submissions", json=resource, headers={"authorization": f"Bearer {token}"})
    assert sent.status_code == 201, sent.text
    assert sent.json()["complete"] is False  # stored as complete before: a rescore then found answers missing
    site.add_staff()
    site.login()
    assert _statuses(site, sent.json()["id"]) == (False, "in-progress", "in-progress")


def _by_definition(definition: Definition, response: Response) -> bool:
    """Completeness worked out from the questions shown, independently of the compiled scorer."""
    _, shown = definition.effective_values(response.answers)
    return all(shown[i] is not True or i in response.answers for i in definition.required)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_is_complete_is_true_exactly_when_no_shown_required_question_is_open(
    definition: Definition, data: st.DataObject
) -> None:
    document = data.draw(responses(definition))
    answered = list(document["answers"])
    kept = data.draw(st.lists(st.sampled_from(answered), unique=True) if answered else st.just([]))
    document["answers"] = {item_id: document["answers"][item_id] for item_id in kept}  # a journey cut short
    response = parse_response(document, definition, hidden="drop", partial=True)
    complete = is_complete(definition, response)
    assert complete is _by_definition(definition, response)
    if complete:
        parse_response(response.model_dump(mode="json"), definition)  # reads as a whole response too
    else:
        with pytest.raises(ResponseError):
            parse_response(response.model_dump(mode="json"), definition)
