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


def test_a_busy_renderer_gives_the_patient_a_retry_not_a_hung_request(
    site: Site, physio_answers: dict[str, Any], monkeypatch: Any
) -> None:
    """Renders take turns; a request that cannot get its turn answers 503 with Retry-After instead of waiting for
    ever (a hung render once would have held a server thread per request behind it)."""
    from screening.web import documents

    done = site.complete(physio_answers)
    page = site.client.get(done.headers["location"]).text
    link = "/result/" + page.split('href="/result/')[1].split('"')[0]
    monkeypatch.setattr(documents, "RENDER_WAIT", 0.05)
    lock = site.services.pdf_lock
    assert lock.acquire(timeout=1)  # another render is in progress
    try:
        busy = site.client.get(link)
    finally:
        lock.release()
    assert busy.status_code == 503 and busy.headers["retry-after"] == "60"
    assert "try again in a minute" in busy.text
    again = site.client.get(link)  # once the other render is done, the same link works
    assert again.status_code == 200 and again.content.startswith(b"%PDF")
