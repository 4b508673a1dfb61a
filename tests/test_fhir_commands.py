"""FHIR at the edges: `screening export questionnaire`, `screening score` on a QuestionnaireResponse, the API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from screening.cli import main
from screening.definition import Definition
from screening.fhir import check_questionnaire, response_resource
from screening.reading import load_response

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_export_questionnaire(tmp_path: Path, capsys: pytest.CaptureFixture[str], bundled: object) -> None:
    assert main(["export", "questionnaire", "--format", "fhir", "--base-url", "https://clinic.example/fhir"]) == 0
    resource = json.loads(capsys.readouterr().out)
    assert resource["resourceType"] == "Questionnaire"
    assert resource["url"] == "https://clinic.example/fhir/cervicogenic_headache"
    assert check_questionnaire(resource) == []
    out = tmp_path / "q.json"
    assert main(["export", "questionnaire", "-o", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["version"] == resource["version"]
    assert main(["export", "questionnaire", "--format", "csv"]) == 64
    assert "[SCR803] --format: the questionnaire exports as fhir, not csv" in capsys.readouterr().err
    assert main(["export", "submissions", "--format", "fhir", "--data", str(tmp_path)]) == 64
    assert "[SCR803] --format: submissions export as csv or jsonl, not fhir" in capsys.readouterr().err


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_score_reads_a_questionnaire_response(
    example: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], bundled: object
) -> None:
    from screening.definition import Definition

    assert isinstance(bundled, Definition)
    native = EXAMPLES / example
    fhir = tmp_path / "qr.json"
    fhir.write_text(json.dumps(response_resource(bundled, load_response(native, bundled))), encoding="utf-8")
    assert main(["score", "--json", str(native)]) == 0
    expected = capsys.readouterr().out
    assert main(["score", "--json", str(fhir)]) == 0
    assert capsys.readouterr().out == expected


def test_score_reports_a_broken_questionnaire_response(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "qr.json"
    broken.write_text(
        json.dumps({"resourceType": "QuestionnaireResponse", "status": "completed", "questionnaire": "nope|9.0.0"}),
        encoding="utf-8",
    )
    assert main(["score", str(broken)]) == 1
    err = capsys.readouterr().err
    assert "questionnaire" in err and "Traceback" not in err


def _with_answers(resource: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """The resource with the items of the given linkIds changed (a new linkId, or new answers)."""

    def walk(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            node.update(change.get(node["linkId"], {}))
            walk(node.get("item") or [])

    walk(resource["item"])
    return resource


def test_problems_in_a_questionnaire_response_file_name_its_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bundled: Definition
) -> None:
    native = load_response(EXAMPLES / "physio_cervicogenic.yaml", bundled)
    path = tmp_path / "qr.json"

    def line_of(text: str, after: str = "") -> int:
        lines = path.read_text(encoding="utf-8").splitlines()
        start = next(k for k, line in enumerate(lines) if after in line) if after else 0
        return next(k for k, line in enumerate(lines) if k >= start and text in line) + 1

    # first stage: the FHIR structure (an unknown linkId, an answer of the wrong type)
    change = {"pain_severity": {"linkId": "pain_severty"}, "age": {"answer": [{"valueString": "old"}]}}
    path.write_text(json.dumps(_with_answers(response_resource(bundled, native), change), indent=2), "utf-8")
    assert main(["score", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:{line_of('pain_severty')}: [SCR405] item 'pain_severty': no such item" in err
    age_answer = line_of('"answer"', after='"linkId": "age"')
    assert f"{path}:{age_answer}: [SCR407] item 'age': valueString" in err
    # second stage: the answers read as our own format (an age out of range)
    change = {"age": {"answer": [{"valueInteger": 999}]}}
    path.write_text(json.dumps(_with_answers(response_resource(bundled, native), change), indent=2), "utf-8")
    assert main(["score", str(path)]) == 1
    err = capsys.readouterr().err
    age_answer = line_of('"answer"', after='"linkId": "age"')
    assert f"{path}:{age_answer}: [SCR309] item 'age': answer 999 is outside" in err
