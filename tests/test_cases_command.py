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
    # the bundled cases never reach the opioid-overuse threshold: the report says so instead of hiding it
    assert "never fired: finding opioid_overuse" in out
    assert main(["test", "--require-coverage"]) == 1


def _cases_file(tmp_path: Path, expect: str) -> Path:
    path = tmp_path / "my.cases.yaml"
    path.write_text(
        f"""cases:
  - title: Everything no, aged 30
    response:
      questionnaire: cervicogenic_headache
      version: 1.0.0
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
