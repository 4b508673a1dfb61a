"""The plain answer sheet (``screening.answersheet``): the same answers as ``parse_response``, or no sheet at all.

A command that only scores a file reads it with ``plain_sheet`` and falls back to ``parse_response`` for anything
the sheet does not vouch for, so the sheet must never accept what the full parse refuses, and must never read an
answer differently.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers.definitions import EXAMPLES
from helpers.strategies import ODD_VALUES, responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.answersheet import plain_sheet, read_response_file
from screening.assessment import assessment_json
from screening.definition import Definition
from screening.errors import ResponseError
from screening.reading import load_answers, load_response
from screening.response import parse_response
from screening.scorer import assess

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROOT = Path(__file__).resolve().parent.parent


@PROPERTY
@given(data=st.data(), hidden=st.sampled_from(["error", "drop"]))
def test_a_valid_response_reads_the_same_either_way(definition: Definition, data: st.DataObject, hidden: Any) -> None:
    document = data.draw(responses(definition))
    sheet = plain_sheet(document, definition, hidden=hidden)
    response = parse_response(document, definition, hidden=hidden)
    assert sheet is not None, "a valid generated response should not need the full parse"
    assert sheet.answers == response.answers and list(sheet.answers) == list(response.answers)
    assert sheet.respondent == response.respondent
    assert assessment_json(assess(definition, sheet)) == assessment_json(assess(definition, response))


def _physio() -> dict[str, Any]:
    data, _ = read_response_file(EXAMPLES / "physio_cervicogenic.yaml")
    assert isinstance(data, dict)
    return data


REFUSED = {
    "another questionnaire": {"questionnaire": "mini"},
    "another major version": {"version": "1.0.0"},
    "a version that is not semantic": {"version": "2.1"},
    "an unknown respondent": {"respondent": "doctor"},
    "a time without its zone": {"collected_at": "2026-03-01T10:30:00"},
    "a time before any response": {"collected_at": "1890-03-01T10:30:00Z"},
    "a date where a time belongs": {"collected_at": "2026-03-01"},
    "an unknown key": {"colected_at": "2026-03-01T10:30:00Z"},
    "answers that are a list": {"answers": ["no"]},
    "a patient with an NHS number that fails its check": {"patient": {"nhs_number": "943 476 5918"}},
    "a patient born before any patient": {"patient": {"date_of_birth": "1800-01-01"}},
    "a patient name with a control character": {"patient": {"name": "Ada\x07 Example"}},
    "a patient name too long": {"patient": {"name": "A" * 201}},
    "an unknown patient key": {"patient": {"nickname": "Ada"}},
    "a patient that is a list": {"patient": ["Ada"]},
}


@pytest.mark.parametrize("change", REFUSED.values(), ids=list(REFUSED))
def test_a_response_the_full_parse_refuses_gets_no_sheet(bundled: Definition, change: dict[str, Any]) -> None:
    document = {**_physio(), **change}
    with pytest.raises(ResponseError):
        parse_response(document, bundled)
    assert plain_sheet(document, bundled) is None


ANSWER_PROBLEMS = {
    "an unknown item": {"no_such_question": "yes"},
    "an answer not among the options": {"sudden_onset_headache": "maybe"},
    "a required answer left blank": {"sudden_onset_headache": None},
}


@pytest.mark.parametrize("change", ANSWER_PROBLEMS.values(), ids=list(ANSWER_PROBLEMS))
def test_an_answer_the_full_parse_refuses_gets_no_sheet(bundled: Definition, change: dict[str, Any]) -> None:
    document = _physio()
    document["answers"] = {**document["answers"], **change}
    with pytest.raises(ResponseError):
        parse_response(document, bundled)
    assert plain_sheet(document, bundled) is None


@pytest.mark.parametrize("field", ["collected_at", "version", "respondent", "patient"])
@pytest.mark.parametrize("odd", ODD_VALUES[:20])
def test_an_odd_value_gets_a_sheet_only_when_the_full_parse_agrees(bundled: Definition, field: str, odd: str) -> None:
    document = {**_physio(), field: odd}
    sheet = plain_sheet(document, bundled)
    try:
        response = parse_response(document, bundled)
    except ResponseError:
        assert sheet is None, f"the sheet accepted {field}={odd!r}, which the full parse refuses"
        return
    assert sheet is None or (sheet.answers, sheet.respondent) == (response.answers, response.respondent)


def test_a_file_with_a_problem_is_reported_as_the_full_parse_reports_it(bundled: Definition, tmp_path: Path) -> None:
    text = (EXAMPLES / "physio_cervicogenic.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    version = f"version: {bundled.questionnaire.version}"
    assert version in text  # the example is made for the bundled questionnaire
    broken.write_text(text.replace(version, "version: 1.0.0"), encoding="utf-8")
    with pytest.raises(ResponseError) as full:
        load_response(broken, bundled)
    with pytest.raises(ResponseError) as quick:
        load_answers(broken, bundled)
    assert quick.value.format_message() == full.value.format_message()
    assert "version 1.0.0" in quick.value.format_message()


def test_scoring_with_the_definition_stored_never_imports_pydantic(tmp_path: Path) -> None:
    """What keeps `screening score FILE` quick to start: neither the definition nor the response builds a model."""
    example = str(EXAMPLES / "physio_cervicogenic.yaml")
    env = {**os.environ, "SCREENING_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}
    first = subprocess.run(
        [sys.executable, "-m", "screening", "score", example], env=env, capture_output=True, text=True, check=True
    )
    probe = (
        "import sys\n"
        "from screening.cli import main\n"
        f"code = main(['score', {example!r}])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core', 'fastapi'))\n"
        "print('LOADED', loaded, code)\n"
    )
    again = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    summary, _, probe_line = again.stdout.rpartition("LOADED")
    assert probe_line.strip() == "[] 0", probe_line
    assert summary == first.stdout and "OUTCOME:" in summary


def test_the_sheet_knows_every_field_of_a_response_and_no_other() -> None:
    """A field added to or dropped from ``Response`` or ``Patient`` must be weighed in ``plain_sheet`` too."""
    from screening import answersheet
    from screening.response import Patient, Response

    assert set(Response.model_fields) == answersheet._ENVELOPE
    assert set(Patient.model_fields) == answersheet._PATIENT
