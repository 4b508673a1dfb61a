"""Malformed files never crash the command line: whatever a response, definition or cases file holds, every
command answers with exit code 0, 1 or 2 and a message, never a traceback, a hang or a MemoryError.

The files are mutations of real ones (tests/helpers/strategies.py ``malformed_documents``); the commands run in-process
through ``main``, so an exception escaping a command fails the test with its traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from helpers.definitions import MINI_QUESTIONNAIRE, MINI_RULES, DefinitionFiles, write_definition
from helpers.strategies import malformed_documents
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.cli import main
from screening.definition import Definition
from screening.fhir import response_resource
from screening.response import parse_response

Capture = pytest.CaptureFixture[str]
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

RESPONSE = """\
questionnaire: mini
version: 1.2.0
respondent: staff
collected_at: 2026-03-01T10:30:00+01:00
patient:
  name: Ada Example
  date_of_birth: 1980-03-27
  contact: test@example.invalid
answers:
  neck_pain: yes
  neck_side: left
  neck_movement: no
  severity: 6
  age: 47
  thunderclap: not_sure
  symptoms: [fever, weight_loss]
  notes: Worse after long drives.
"""

CASES = """\
cases:
  - title: neck pain, nothing worrying
    why: a fictional case
    response:
      neck_pain: yes
      neck_movement: yes
      age: 40
    expect: {disposition: physio_assessment}
"""


def response_sources(mini: Definition) -> dict[str, str]:
    """The same answers as our YAML, our JSON and a FHIR QuestionnaireResponse."""
    data = yaml.safe_load(RESPONSE.replace("yes", "'yes'").replace("no\n", "'no'\n"))
    fhir = response_resource(mini, parse_response(data, mini))
    return {
        "response.yaml": RESPONSE,
        "response.json": json.dumps(data, indent=2, default=str),
        "fhir.json": json.dumps(fhir, indent=2),
    }


def run(capsys: Capture, *argv: str) -> int:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code in (0, 1, 2), (argv, code, out, err)
    assert "Traceback" not in out + err
    if code:
        assert (out + err).strip(), "a failure must say what is wrong"
    return code


def test_the_unmutated_sources_are_fine(
    capsys: Capture, mini: Definition, mini_files: DefinitionFiles, tmp_path: Path
) -> None:
    """The baseline the mutations start from: every source scores (so the fuzzing starts from good files)."""
    for name, text in response_sources(mini).items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        assert (
            run(capsys, "score", str(path), "--questionnaire", str(mini_files[0]), "--ruleset", str(mini_files[1])) == 0
        ), name


@FUZZ
@given(data=st.data())
def test_malformed_responses_never_crash_score_or_report(
    capsys: Capture, mini: Definition, mini_files: DefinitionFiles, tmp_path: Path, data: st.DataObject
) -> None:
    name, source = data.draw(st.sampled_from(sorted(response_sources(mini).items())), label="source")
    path = tmp_path / name
    path.write_bytes(data.draw(malformed_documents(source), label="file"))
    definition = ["--questionnaire", str(mini_files[0]), "--ruleset", str(mini_files[1])]
    run(capsys, "score", str(path), *definition)
    run(capsys, "score", "--json", "--ignore-hidden", str(path), *definition)
    run(capsys, "report", str(path), "--format", "html", "-o", str(tmp_path / "out.html"), *definition)


@FUZZ
@given(data=st.data())
def test_malformed_definitions_and_cases_never_crash_validate_score_or_test(
    capsys: Capture, tmp_path: Path, data: st.DataObject
) -> None:
    which = data.draw(st.sampled_from(["questionnaire", "ruleset", "cases"]), label="which file")
    source = {"questionnaire": MINI_QUESTIONNAIRE, "ruleset": MINI_RULES, "cases": CASES}[which]
    q_path, r_path = write_definition(tmp_path, MINI_QUESTIONNAIRE, MINI_RULES)
    cases = tmp_path / "def.cases.yaml"
    cases.write_text(CASES, encoding="utf-8")
    target = {"questionnaire": q_path, "ruleset": r_path, "cases": cases}[which]
    target.write_bytes(data.draw(malformed_documents(source), label="file"))
    response = tmp_path / "response.yaml"
    response.write_text(RESPONSE, encoding="utf-8")
    run(capsys, "validate", str(q_path))
    run(capsys, "score", str(response), "--questionnaire", str(q_path), "--ruleset", str(r_path))
    run(capsys, "test", str(q_path))
