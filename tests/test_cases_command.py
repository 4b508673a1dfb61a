"""`screening test DEFINITION`: runs the cases beside a questionnaire and reports what no case exercises."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.cli import main
from screening.loader import default_questionnaire_path


def test_bundled_cases_pass_and_report_coverage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test"]) == 0
    out = capsys.readouterr().out
    assert "0 failed" in out
    assert "Rules that fired in some case:" in out and "Questions answered in some case:" in out
    # every rule fires and every question is answered in some bundled case
    assert "never fired" not in out and "never answered" not in out
    assert main(["test", "--require-coverage"]) == 0


def _cases_file(tmp_path: Path, expect: str) -> Path:
    path = tmp_path / "my.cases.yaml"
    path.write_text(
        f"""cases:
  - title: Everything no, aged 30
    response:
      questionnaire: cervicogenic_headache
      version: 2.0.0
      collected_at: 2026-11-21T10:00:00Z
      answers: {{sudden_onset_headache: no}}
    expect: {expect}
""",
        encoding="utf-8",
    )
    return path


def test_a_failing_case_is_reported_with_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wrong = _cases_file(tmp_path, "{disposition: self_care, likelihood: likely}")
    assert main(["test", str(default_questionnaire_path()), "--cases", str(wrong)]) == 1
    out = capsys.readouterr().out
    assert "FAIL line     2  Everything no, aged 30" in out
    assert "the response does not fit the questionnaire" in out  # required answers are missing
    assert "1 failed" in out


def test_a_broken_cases_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.cases.yaml"
    broken.write_text("cases: {not: a list}\n", encoding="utf-8")
    assert main(["test", "--cases", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "a 'cases:' list" in err and "Traceback" not in err
    assert main(["test", "--cases", str(tmp_path / "missing.yaml")]) == 2


def test_require_coverage_fails_when_a_passing_file_leaves_rules_unfired(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = (Path(__file__).resolve().parent.parent / "examples" / "physio_cervicogenic.yaml").read_text("utf-8")
    body = "\n".join("      " + line for line in example.splitlines() if line and not line.startswith("#"))
    cases = tmp_path / "one.cases.yaml"
    cases.write_text(
        "cases:\n  - title: One physiotherapy case\n    response:\n"
        + body
        + "\n    expect: {disposition: physio_assessment, likelihood: likely}\n",
        encoding="utf-8",
    )
    assert main(["test", "--cases", str(cases)]) == 0
    assert "never fired: red flag thunderclap_headache" in capsys.readouterr().out
    assert main(["test", "--cases", str(cases), "--require-coverage"]) == 1
