"""`screening export submissions` and `screening rescore`: read the database, change nothing in it."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers.web import Site, stored_row
from sqlalchemy import insert

from screening.cli import main
from screening.loader import default_questionnaire_path, ruleset_path_for
from screening.tables import safe_cell
from screening.web.db import Submission, make_engine, migrate
from screening.web.exports import submissions


def _fill(site: Site, physio_answers: dict[str, Any]) -> None:
    site.add_staff()
    site.login()
    site.staff_intake(physio_answers, name='=HYPERLINK("http://x.invalid")', contact="+44 1632 960000")
    site.staff_intake({"sudden_onset_headache": "yes"}, name="Test Patient Emergency")


def test_csv_export_is_spreadsheet_safe(
    site: Site, physio_answers: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(site, physio_answers)
    out = tmp_path / "export.csv"
    url = site.services.settings.database_url
    assert main(["export", "submissions", "--database", url, "--with-names", "--bom", "-o", str(out)]) == 0
    raw = out.read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 2
    first, second = rows
    assert first["patient_name"].startswith("'=HYPERLINK")  # neutralised, not a formula
    assert first["patient_contact"] == "'+44 1632 960000"
    assert first["disposition"] == "physio_assessment" and second["disposition"] == "emergency"
    assert first["created_at"].endswith("Z") and first["created_at"][:4].isdigit()
    assert first["sudden_onset_headache"] == "no" and first["age"] == str(physio_answers["age"])
    assert "thunderclap_headache" in second["red_flags"]
    for cell in (c for row in rows for c in row.values()):
        assert not cell.startswith(("=", "+", "-", "@"))
    # names only on request
    assert main(["export", "submissions", "--database", url, "-o", str(out)]) == 0
    assert "HYPERLINK" not in out.read_text(encoding="utf-8")


def test_jsonl_export_and_since(site: Site, physio_answers: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    _fill(site, physio_answers)
    url = site.services.settings.database_url
    assert main(["export", "submissions", "--database", url, "--format", "jsonl"]) == 0
    lines = capsys.readouterr().out.splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["disposition"] for r in records] == ["physio_assessment", "emergency"]
    assert isinstance(records[1]["red_flags"], list)
    assert main(["export", "submissions", "--database", url, "--format", "jsonl", "--since", "2999-01-01"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["export", "submissions", "--database", url, "--since", "soon"]) == 64, "a bad option is a usage error"
    assert "[SCR803] --since: 'soon' is not a date — write it like 2026-11-21" in capsys.readouterr().err


def test_export_without_a_database_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "submissions", "--data", str(tmp_path / "nothing")]) == 1
    assert f"{tmp_path / 'nothing'}: [SCR703] no database here" in capsys.readouterr().err


def test_safe_cell() -> None:
    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("-2") == "'-2"
    assert safe_cell(["a", "b"]) == "a; b"
    assert safe_cell(7) == 7
    assert safe_cell("plain") == "plain"
    assert safe_cell(" plain and simple ") == " plain and simple "


@pytest.mark.parametrize("lead", [" ", "  ", "\n", "\r\n", " \n ", "\u00a0", "\u200b", "\u3000"])
@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_a_formula_behind_spaces_or_line_breaks_is_neutralised_too(lead: str, start: str) -> None:
    cell = lead + start + 'HYPERLINK("http://x.invalid")'
    assert safe_cell(cell) == "'" + cell
    assert safe_cell([cell, "b"]) == "'" + cell + "; b"


def _stricter_rules(tmp_path: Path) -> Path:
    """The bundled ruleset with "likely" out of reach (above the maximum points): "likely" becomes "possible"."""
    questionnaire = default_questionnaire_path()
    new_q = tmp_path / questionnaire.name
    shutil.copy(questionnaire, new_q)
    rules = ruleset_path_for(questionnaire).read_text(encoding="utf-8")
    assert "  likely_at: 10\n" in rules
    new_rules = ruleset_path_for(new_q)
    new_rules.write_text(rules.replace("  likely_at: 10\n", "  likely_at: 24\n"), encoding="utf-8")
    return new_rules


def test_rescore_lists_what_would_change_and_writes_nothing(
    site: Site, physio_answers: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(site, physio_answers)
    before = [(s.id, s.disposition, s.likelihood) for s in site.submissions()]
    url = site.services.settings.database_url
    assert main(["rescore", "--database", url, "--ruleset", str(_stricter_rules(tmp_path)), "--json"]) == 0
    changes = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    physio_id = before[0][0]
    assert [c["submission"] for c in changes] == [physio_id]  # the emergency one stays as it was
    assert (changes[0]["old_likelihood"], changes[0]["new_likelihood"]) == ("likely", "possible")
    assert [(s.id, s.disposition, s.likelihood) for s in site.submissions()] == before
    assert site.count() == 2


def test_rescore_a_folder_of_responses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    examples = Path(__file__).resolve().parents[2] / "examples"
    assert main(["rescore", str(examples), "--ruleset", str(_stricter_rules(tmp_path))]) == 0
    captured = capsys.readouterr()
    assert "physio_cervicogenic.yaml" in captured.out and "likely -> possible" in captured.out
    assert "would change" in captured.err and "Nothing was written" in captured.err


def test_submissions_are_read_in_batches_each_once_oldest_first(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    rows = [stored_row(n, None) for n in range(7)]
    rows += [stored_row(n, None, created_at=rows[3]["created_at"]) for n in (20, 21, 22)]  # ties across batches
    with engine.begin() as connection:
        connection.execute(insert(Submission), rows)
    expected = [r["id"] for r in sorted(rows, key=lambda r: (r["created_at"], r["id"]))]
    for batch in (1, 2, 3, 10, 11):
        assert [row.id for row in submissions(engine, batch=batch)] == expected, batch
    engine.dispose()
