"""The API reads its body strictly: a key twice, deep nesting or a 4,300-digit number is a 400 (never a 500),
and a collection time without a zone or outside the plausible years is a 422, so nothing unprintable is stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers.web import Site

from screening.response import read_response_file

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def physio_json() -> str:
    data, _ = read_response_file(EXAMPLES / "physio_cervicogenic.yaml")
    return json.dumps(data, default=str)


def post(site: Site, body: str | bytes, token: str) -> Any:
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    return site.client.post("/api/v1/submissions", content=body, headers=headers)


@pytest.mark.parametrize(
    "hostile",
    [
        # the emergency answer first, then "no": json.loads would keep the last and give a physio outcome
        lambda text: text.replace(
            '"worst_ever_headache": "no"', '"worst_ever_headache": "yes", "worst_ever_headache": "no"'
        ),
        lambda text: text.replace('"age": 47', '"age": ' + "9" * 4301),
        lambda text: text.replace('"age": 47', '"age": ' + "[" * 100_000 + "]" * 100_000),
        lambda text: text.replace('"age": 47', '"age": NaN'),
    ],
    ids=["duplicate-key", "huge-integer", "deep-nesting", "nan"],
)
def test_hostile_json_is_a_400_and_nothing_is_stored(site: Site, hostile: Any) -> None:
    text = physio_json()
    body = hostile(text)
    assert body != text
    answer = post(site, body, site.api_token())
    assert answer.status_code == 400, answer.text
    detail = answer.json()["detail"]
    assert detail.startswith("the body must be a JSON response document: ") and len(detail) > 50  # with why
    assert site.count() == 0


@pytest.mark.parametrize(
    ("moment", "message", "code"),
    [
        ("2026-11-21T10:30:00", "has no time zone", "SCR302"),
        ("9999-12-31T23:00:00-05:00", "is not between 1900 and 2199", "SCR303"),
        ("0001-01-01T00:00:00+05:00", "is not between 1900 and 2199", "SCR303"),
    ],
)
def test_a_collection_time_that_cannot_be_printed_is_a_422(site: Site, moment: str, message: str, code: str) -> None:
    data = json.loads(physio_json())
    data["collected_at"] = moment
    token = site.api_token()
    answer = post(site, json.dumps(data), token)
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["errors"]
    assert error["message"].startswith(f"'collected_at' ({moment}") and message in error["message"]
    assert error["location"] == "collected_at" and error["code"] == code
    assert site.count() == 0
    assert post(site, physio_json(), token).status_code == 201  # the same document with its zone is stored
