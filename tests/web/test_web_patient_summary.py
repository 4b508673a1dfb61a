"""The patient summary through the web: the patient's download link gives their own summary."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from helpers.pdfs import flat, pdf_pages_text
from helpers.web import Site

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WHEN = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
NAMES = ("physio_cervicogenic", "emergency_thunderclap", "gp_medication_overuse", "not_sure_red_flag")


def test_the_patients_download_link_gives_their_own_summary(
    site: Site, physio_answers: dict[str, Any], tmp_path: Path
) -> None:
    done = site.complete(physio_answers)
    assert done.status_code == 303
    page = site.client.get(done.headers["location"]).text
    link = page.split('href="/result/')[1].split('"')[0]
    pdf = site.client.get("/result/" + link)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = flat(" ".join(pdf_pages_text(pdf.content, tmp_path)))
    assert "Your headache screening summary" in text
    assert "Appendix" not in text and "What we ask of you" not in text  # not the clinician's referral
