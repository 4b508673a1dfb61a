"""The "Needs action" queue in a real browser at desktop and phone widths: what waits, in order, with the count in
the header, no axe-core violations, and acknowledging from the submission's page.

Uses the live app, browser and helpers of ``test_browser``; screenshots go to SCREENING_SCREENSHOTS (or a temporary
folder) as staff-queue-1280.png and staff-queue-390.png.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers.chromium import MARKS
from playwright.sync_api import Browser, expect
from sqlalchemy import update
from sqlalchemy.orm import Session

from screening.definition import Definition
from screening.reading import load_response
from screening.response import parse_response
from screening.scorer import assess_compact
from screening.web.db import Submission
from screening.web.store import record_submission
from web import test_browser
from web.test_browser import DESKTOP, PHONE, Live, axe_problems, heading, login, submit

pytestmark = MARKS
browser, live, bundled_definition = test_browser.browser, test_browser.live, test_browser.bundled_definition  # fixtures
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("SCREENING_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("queue-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store(live: Live, definition: Definition, example: str, name: str, waited: timedelta, **answers: Any) -> str:
    """A submission from the clinic system, received ``waited`` ago."""
    response = load_response(EXAMPLES / example, definition)
    document = response.model_dump(mode="json")
    document["answers"].update(answers)
    document["patient"] = {"name": name}
    response = parse_response(document, definition, hidden="drop", partial=True)
    with Session(live.engine) as db:
        result = assess_compact(definition, response)
        row, _ = record_submission(db, definition, response, result, channel="api", created_by="clinic")
        db.execute(update(Submission).where(Submission.id == row.id).values(created_at=datetime.now(UTC) - waited))
        db.commit()
        return row.id


@pytest.fixture(scope="module")
def waiting(live: Live, bundled_definition: Definition) -> list[str]:
    d = bundled_definition
    return [
        store(
            live,
            d,
            "physio_cervicogenic.yaml",
            "Queue Urgent Oldest",
            timedelta(hours=3, minutes=5),
            fever="yes",
            fever_with_stiff_neck="no",
            fever_with_rash="no",
        ),
        store(live, d, "emergency_thunderclap.yaml", "Queue Emergency Newer", timedelta(minutes=12)),
        store(live, d, "physio_cervicogenic.yaml", "Queue Routine", timedelta(hours=5)),
    ]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_the_queue_at_desktop_and_phone_widths(
    browser: Browser, live: Live, waiting: list[str], viewport: dict[str, int], shots: Path
) -> None:
    context = browser.new_context(viewport=viewport, locale="en-GB")  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        login(page, live)
        expect(page).to_have_url(live.url + "/staff/queue")
        expect(heading(page)).to_have_text("Submissions")
        expect(page.get_by_role("link", name="Needs action (2)", exact=True)).to_have_attribute("aria-current", "page")
        expect(page.get_by_role("navigation", name="Staff")).to_contain_text("Needs action 2 waiting")
        patients = page.locator("td[data-label=Patient]")
        expect(patients).to_have_text(["Queue Urgent Oldest", "Queue Emergency Newer"])  # oldest first, no routine
        expect(page.locator("td[data-label=Waiting]")).to_have_text(["3 h 5 min", "12 min"])
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], "the page scrolls sideways"
        assert axe_problems(page) == []
        page.screenshot(path=str(shots / f"staff-queue-{viewport['width']}.png"), full_page=True)
    finally:
        context.close()


def test_recording_what_was_done_from_the_queue(browser: Browser, live: Live, waiting: list[str], shots: Path) -> None:
    """From the queue to the submission, record "no answer" (it stays), then "called the patient" (it goes)."""
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        login(page, live)
        page.get_by_role("link", name="Queue Emergency Newer").click()
        expect(page.get_by_role("heading", level=2, name="Needs action: waiting 12 min")).to_be_visible()
        page.get_by_label("No answer — try again").check()
        submit(page, "Record")
        expect(page.get_by_role("status")).to_contain_text("Recorded")
        assert axe_problems(page) == []
        page.screenshot(path=str(shots / "staff-detail-contact-390.png"), full_page=True)
        page.get_by_label("Called the patient").check()
        page.get_by_label("Note on what was done (optional)").fill("Rang back, going to A&E")
        submit(page, "Record")
        expect(page.locator("#contact .history li")).to_have_count(2)
        page.get_by_role("link", name="Back to Needs action").click()
        expect(page.locator("td[data-label=Patient]")).to_have_text(["Queue Urgent Oldest"])
        expect(page.get_by_role("navigation", name="Staff")).to_contain_text("Needs action 1 waiting")
    finally:
        context.close()
