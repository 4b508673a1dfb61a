"""The patient's own summary: plain English, their answers in their words, no rule names, codes or diagnoses."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from helpers.pdfs import assert_valid_pdf, embedded_files, flat, pdf_pages_text, pdfa_identification
from markupsafe import escape

from screening.cli import main
from screening.definition import Definition
from screening.reading import load_response
from screening.report import render_html, render_pdf
from screening.scorer import assess

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
WHEN = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
NAMES = ("physio_cervicogenic", "emergency_thunderclap", "gp_medication_overuse", "not_sure_red_flag")


def summary_html(definition: Definition, name: str) -> tuple[str, Any]:
    response = load_response(EXAMPLES / f"{name}.yaml", definition)
    assessment = assess(definition, response)
    return render_html(definition, response, assessment, generated_at=WHEN, audience="patient"), assessment


@pytest.mark.parametrize("name", NAMES)
def test_the_summary_speaks_to_the_patient_without_clinical_codes(bundled: Definition, name: str) -> None:
    html, assessment = summary_html(bundled, name)
    ruleset = bundled.ruleset
    ids = [r.id for r in ruleset.red_flags] + [r.id for r in ruleset.features]
    ids += [r.id for r in ruleset.differentials] + [r.id for r in ruleset.findings]
    leaked = [rule_id for rule_id in ids if rule_id in html]
    assert leaked == []  # no rule names
    for code in ("CHISG", "ICHD", "SNNOOP", "NICE CG150", "Ottawa"):
        assert code not in html  # no criteria codes
    for differential in assessment.differentials:
        assert differential.title not in html  # no differential diagnoses
    for flag in assessment.red_flags:
        assert flag.title not in html  # staff language
        assert flag.patient_message.split(".")[0] in html  # but the patient's reason is given
    assert "If things change" in html and "Call 999" in html  # safety-netting
    assert assessment.next_step.patient.split(".")[0] in html
    for read in assessment.answers:  # every answered question in the patient's wording
        if read.status == "answered":
            assert str(escape(bundled.wording[read.item][0].split("?")[0])) in html


def test_the_summary_pdf_is_pdfa_with_only_the_answers_attached_and_reproducible(
    bundled: Definition, tmp_path: Path
) -> None:
    response = load_response(EXAMPLES / "physio_cervicogenic.yaml", bundled)
    assessment = assess(bundled, response)
    first = render_pdf(bundled, response, assessment, generated_at=WHEN, audience="patient")
    again = render_pdf(bundled, response, assessment, generated_at=WHEN, audience="patient")
    assert first == again
    assert pdfa_identification(first) == ("3", "B")
    assert [f.name for f in embedded_files(first)] == ["response.json"]  # no assessment trail
    assert_valid_pdf(first, tmp_path)
    text = flat(" ".join(pdf_pages_text(first, tmp_path)))
    assert "Your headache screening summary" in text and "Appendix" not in text


def test_report_writes_the_patient_summary_on_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mine.pdf"
    code = main(["report", str(EXAMPLES / "physio_cervicogenic.yaml"), "--audience", "patient", "-o", str(out)])
    assert code == 0 and out.read_bytes().startswith(b"%PDF")
    text = flat(" ".join(pdf_pages_text(out.read_bytes(), tmp_path)))
    assert "Your headache screening summary" in text and "What we ask of you" not in text
    with pytest.raises(SystemExit) as refused:
        main(["report", str(EXAMPLES / "physio_cervicogenic.yaml"), "--audience", "doctor"])
    assert refused.value.code == 64 and "invalid choice" in capsys.readouterr().err
