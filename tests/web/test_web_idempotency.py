"""Idempotency keys are bound to the request: a retry gets the stored result, new answers never do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helpers.web import Site, field, form_pairs, hidden_fields

from screening.response import read_response_file

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _document(name: str) -> dict[str, Any]:
    data, _ = read_response_file(EXAMPLES / name)
    document: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return document


def _post(site: Site, token: str, body: dict[str, Any], key: str | None) -> Any:
    headers = {"authorization": f"Bearer {token}"}
    if key is not None:
        headers["idempotency-key"] = key
    return site.client.post("/api/v1/submissions", json=body, headers=headers)


def test_api_same_key_same_body_returns_the_stored_submission(site: Site) -> None:
    token = site.api_token()
    body = _document("physio_cervicogenic.yaml")
    first = _post(site, token, body, "retry-1")
    reordered = dict(reversed(list(body.items())))  # the same body, keys in another order
    second = _post(site, token, reordered, "retry-1")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert site.count() == 1


def test_api_same_key_with_emergency_answers_is_refused_not_answered_with_the_old_result(site: Site) -> None:
    token = site.api_token()
    first = _post(site, token, _document("physio_cervicogenic.yaml"), "visit-42")
    assert first.status_code == 201 and first.json()["disposition"] == "physio_assessment"
    again = _post(site, token, _document("emergency_thunderclap.yaml"), "visit-42")
    assert again.status_code == 409, again.text
    error = again.json()
    assert "Idempotency-Key" in error["detail"] and "different" in error["detail"]
    assert "disposition" not in error  # no earlier result in the answer
    assert site.count() == 1
    # with a new key the emergency answers are stored and assessed
    fresh = _post(site, token, _document("emergency_thunderclap.yaml"), "visit-43")
    assert fresh.status_code == 201 and fresh.json()["disposition"] == "emergency"


def test_api_keys_are_not_cut_short_and_overlong_keys_are_refused(site: Site) -> None:
    token = site.api_token("a-clinic-system-name-of-25")  # a long token name once made the stored key overflow
    shared = "k" * 64
    a = _post(site, token, _document("physio_cervicogenic.yaml"), shared + "-first")
    b = _post(site, token, _document("physio_cervicogenic.yaml"), shared + "-second")
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["id"] != b.json()["id"]
    longest = _post(site, token, _document("physio_cervicogenic.yaml"), "x" * 255)
    assert longest.status_code == 201
    too_long = _post(site, token, _document("physio_cervicogenic.yaml"), "x" * 256)
    assert too_long.status_code == 400 and "255" in too_long.json()["detail"]
    assert site.count() == 3


def test_api_keys_of_different_clients_do_not_meet(site: Site) -> None:
    one, two = site.api_token("system-one"), site.api_token("system-two")
    body = _document("physio_cervicogenic.yaml")
    assert _post(site, one, body, "same").status_code == 201
    assert _post(site, two, body, "same").status_code == 201
    assert site.count() == 2


def test_patient_back_then_emergency_answer_is_a_new_submission(site: Site, physio_answers: dict[str, Any]) -> None:
    pages = list(site.walk(physio_answers))
    done = pages[-1]
    assert done.status_code == 303
    first_result = done.headers["location"]
    key = field(pages[0].text, "key")
    # the patient goes back to the first page of questions (the form re-posts its hidden key) and answers the
    # sudden, worst-ever headache questions "yes"
    changed = {**physio_answers, "sudden_onset_headache": "yes", "worst_ever_headache": "yes"}
    carried = [(k, v) for k, v in hidden_fields(pages[0].text) if k not in changed and k not in {"key", "step"}]
    again = site.post("/screen", [*carried, ("key", key), ("step", "1"), *form_pairs(changed), ("action", "next")])
    assert again.status_code == 303
    assert again.headers["location"] != first_result
    rows = site.submissions()
    assert [r.disposition for r in rows] == ["physio_assessment", "emergency"]
    page = site.client.get(again.headers["location"])
    assert "999" in page.text and "Physio assessment" not in page.text


def test_patient_double_submit_stores_once(site: Site, physio_answers: dict[str, Any]) -> None:
    pages = list(site.walk(physio_answers))
    review = pages[-2]
    repeat = site.post("/screen", [*hidden_fields(review.text), ("action", "submit")])
    assert repeat.status_code == 303 and repeat.headers["location"] == pages[-1].headers["location"]
    assert site.count() == 1


def _staff_post(site: Site, page: str, answers: dict[str, Any]) -> Any:
    data = [
        ("csrftoken", field(page, "csrftoken")),
        ("key", field(page, "key")),
        ("seen", " ".join(sorted(site.definition.items))),
        ("name", "Testy McTestface"),
        *form_pairs(answers),
    ]
    return site.post("/staff/intake", data)


def test_staff_form_sent_again_with_a_red_flag_is_a_new_submission(site: Site, physio_answers: dict[str, Any]) -> None:
    site.add_staff()
    site.login()
    page = site.client.get("/staff/intake").text
    first = _staff_post(site, page, physio_answers)
    double = _staff_post(site, page, physio_answers)
    assert first.status_code == double.status_code == 303
    assert first.headers["location"] == double.headers["location"]  # a double click stores once
    changed = _staff_post(site, page, {**physio_answers, "fever": "yes", "fever_with_rash": "yes"})
    assert changed.status_code == 303 and changed.headers["location"] != first.headers["location"]
    assert [r.disposition for r in site.submissions()] == ["physio_assessment", "emergency"]


def test_migration_hashes_keys_written_by_the_first_schema(database_url: str) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from screening.web.db import MIGRATIONS, make_engine

    engine = make_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    columns = (
        "id, created_at, channel, respondent, complete, disposition, likelihood, red_flags, response_json, "
        "assessment_json, questionnaire_id, questionnaire_version, questionnaire_sha256, ruleset_id, "
        "ruleset_version, ruleset_sha256, engine_version, idempotency_key"
    )
    with engine.begin() as connection:
        connection.execute(
            text(
                f"INSERT INTO submissions ({columns}) VALUES ('{'a' * 32}', CURRENT_TIMESTAMP, 'api', 'patient', "
                "TRUE, 'self_care', 'unlikely', '', '{}', '{}', 'q', '1', 's', 'r', '1', 's', '1', 'api:x:retry-1')"
            )
        )
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with engine.connect() as connection:
        key, fingerprint = connection.execute(text("SELECT idempotency_key, request_sha256 FROM submissions")).one()
    engine.dispose()
    assert key != "api:x:retry-1" and len(key) == 64 and fingerprint is None
