"""The web intake in a real browser (Debian's Chromium through Playwright): patient and staff journeys, with and
without JavaScript, axe-core accessibility checks on every page, and screenshots at phone and desktop widths.

The app runs in this process, served by uvicorn in a background thread, on a fresh SQLite database.
Set SCREENING_SKIP_BROWSER=1 to skip these tests (for example where Chromium cannot be installed);
set SCREENING_SCREENSHOTS=DIR to keep the screenshots in DIR (default: a pytest temporary folder).
"""

from __future__ import annotations

import os
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
import yaml
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
from sqlalchemy.orm import Session

from screening.definition import Definition
from screening.loader import load_definition
from screening.model import Item
from screening.response import load_response
from screening.web.app import create_app
from screening.web.auth import add_user
from screening.web.db import Submission, database_url_for, make_engine
from screening.web.settings import Settings

pytestmark = pytest.mark.browser

ROOT = Path(__file__).parent.parent
CHROMIUM = Path("/usr/lib/chromium/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
STAFF_NAME, STAFF_PASSWORD = "reception", "correct horse battery"
PATIENT_NAME, PATIENT_CONTACT = "Test Patient Physio", "test@example.invalid"

RULES = yaml.safe_load((ROOT / "questionnaires" / "cervicogenic_headache.rules.yaml").read_text("utf-8"))
TEXTS = RULES["disposition"]["texts"]

expect.set_options(timeout=10_000)


# ---------------------------------------------------------------------------------------------
# fixtures: the definition and examples, the live server, the browser


@pytest.fixture(scope="module")
def definition() -> Definition:
    return load_definition()


@pytest.fixture(scope="module")
def physio(definition: Definition) -> dict[str, Any]:
    return dict(load_response(ROOT / "examples" / "physio_cervicogenic.yaml", definition).answers)


@pytest.fixture(scope="module")
def emergency(definition: Definition) -> dict[str, Any]:
    return dict(load_response(ROOT / "examples" / "emergency_thunderclap.yaml", definition).answers)


@dataclass
class Live:
    url: str
    settings: Settings

    def submission(self, submission_id: str) -> Submission | None:
        engine = make_engine(self.settings.database_url)
        try:
            with Session(engine) as db:
                return db.get(Submission, submission_id)
        finally:
            engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The app on a fresh SQLite database with one staff user, served by uvicorn in a background thread."""
    data = tmp_path_factory.mktemp("web-data")
    settings = Settings.load(
        data,
        database_url=database_url_for(data.resolve()),  # never a database named in the environment
        public_posts_per_minute=1000,  # several journeys end in a submission from the same address
    )
    app = create_app(settings)
    engine = make_engine(settings.database_url)
    with Session(engine) as db:
        add_user(db, STAFF_NAME, STAFF_PASSWORD)
        db.commit()
    engine.dispose()
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    yield Live(f"http://127.0.0.1:{port}", settings)
    server.should_exit = True
    thread.join(timeout=10)
    assert not thread.is_alive(), "uvicorn did not stop"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium, closed at the end of this module (Playwright's loop must not outlive these tests)."""
    if os.environ.get("SCREENING_SKIP_BROWSER") == "1":
        pytest.skip("SCREENING_SKIP_BROWSER=1: browser tests skipped")
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}. Install Debian's chromium "
            "(apt-get install -y --no-install-recommends chromium), or set SCREENING_SKIP_BROWSER=1 "
            "to skip the browser tests.",
            pytrace=False,
        )
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, accept_downloads=True)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def page_without_js(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, accept_downloads=True, java_script_enabled=False)
    opened = context.new_page()
    yield opened
    context.close()


# ---------------------------------------------------------------------------------------------
# helpers: answering questions like a person would


def option_label(item: Item, value: Any) -> str:
    """The visible label of one choice."""
    if item.kind == "yes_no":
        return {"yes": "Yes", "no": "No", "not_sure": "Not sure"}[value]
    if item.kind == "scale":
        return str(value)
    return {o.code: o.label for o in item.options}[value]  # type: ignore[union-attr]


def question_box(page: Page, item_id: str) -> Locator:
    return page.locator(f'[data-item="{item_id}"]')


def answer(page: Page, item: Item, value: Any, *, keyboard: bool = False) -> None:
    """Answer one question by its visible labels; with ``keyboard``, by focusing and pressing keys only."""
    box = question_box(page, item.id)
    if item.kind in ("yes_no", "single_choice", "scale", "multi_choice"):
        for code in value if isinstance(value, list) else [value]:
            control = box.get_by_label(option_label(item, code), exact=True)
            if keyboard:
                control.focus()
                if not control.is_checked():
                    page.keyboard.press("Space")
                expect(control).to_be_checked()
            else:
                control.check()  # waits for the question to be shown; fails if the box stays unticked
    elif item.kind in ("integer", "text"):
        control = box.get_by_role("textbox")
        if keyboard:
            control.focus()
            page.keyboard.press("ControlOrMeta+a")
            page.keyboard.type(str(value))
            expect(control).to_have_value(str(value))
        else:
            control.fill(str(value))
    else:
        raise AssertionError(f"no way to answer a {item.kind} question")


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def press_continue(page: Page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Continue", exact=True).click()


Hook = Callable[[Page, str], None]


def _no_hook(page: Page, label: str) -> None:
    pass


@dataclass
class Journey:
    """A patient going through the questionnaire page by page; ``hook`` is called on every page reached."""

    page: Page
    live: Live
    definition: Definition
    hook: Hook = _no_hook
    notices: list[str] = field(default_factory=list)

    def start(self) -> None:
        self.page.goto(self.live.url + "/")
        expect(heading(self.page)).to_have_text(self.definition.questionnaire.title)
        self.hook(self.page, "start")
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Start now").click()
        expect(heading(self.page)).to_have_text(self.definition.questionnaire.sections[0].title)

    def section(self, index: int, answers: dict[str, Any], *, js: bool = True) -> None:
        """Answer one section page and continue. Without JavaScript, follow-up questions arrive after Continue."""
        page = self.page
        section = self.definition.questionnaire.sections[index]
        expect(heading(page)).to_have_text(section.title)
        self.hook(page, f"section-{index + 1}-{section.id}")
        for _round in range(5):
            for item in section.items:
                if item.kind == "display" or item.id not in answers:
                    continue
                if js or question_box(page, item.id).is_visible():
                    answer(page, item, answers[item.id])
            press_continue(page)
            if heading(page).text_content() != section.title:
                return
            notice = page.locator(".notice[role=status]")
            expect(notice, f"{section.title}: still on the page but no follow-up notice").to_be_visible()
            self.notices.append(notice.inner_text())
            if js:
                raise AssertionError(f"{section.title}: follow-up questions were not shown without a reload")
        raise AssertionError(f"{section.title}: could not get past this page")

    def sections(self, answers: dict[str, Any], *, js: bool = True) -> None:
        for index in range(len(self.definition.questionnaire.sections)):
            t = time.perf_counter()
            self.section(index, answers, js=js)
            print("section", index, time.perf_counter() - t)

    def details(self, name: str = PATIENT_NAME, contact: str = PATIENT_CONTACT, born: str = "1979-03-14") -> None:
        page = self.page
        expect(heading(page)).to_have_text("Your details")
        self.hook(page, "details")
        page.get_by_label("Your full name").fill(name)
        page.get_by_label("Phone number or email address").fill(contact)
        page.get_by_label("Date of birth").fill(born)
        press_continue(page)
        expect(heading(page)).to_have_text("Check your answers before sending them")

    def send(self) -> None:
        self.hook(self.page, "review")
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Send my answers").click()
        expect(self.page).to_have_url(re.compile(r"/result/[0-9a-f]{32}/[0-9a-f]+$"))


def review_rows(page: Page) -> dict[str, str]:
    rows = page.eval_on_selector_all(
        ".summary-list__row",
        "rows => rows.map(r => [r.querySelector('dt').innerText.trim(), r.querySelector('dd').innerText.trim()])",
    )
    return dict(rows)


def expected_answer_text(item: Item, value: Any) -> str:
    if item.kind == "integer":
        return f"{value} "  # followed by the unit
    if item.kind == "scale":
        return f"{value} out of {item.max}"  # type: ignore[union-attr]
    return "; ".join(option_label(item, v) for v in (value if isinstance(value, list) else [value]))


def download_pdf(page: Page, link: Locator) -> bytes:
    with page.expect_download() as info:
        link.click()
    return Path(info.value.path()).read_bytes()


def submission_id_from(page: Page) -> str:
    found = re.search(r"/result/([0-9a-f]{32})/", page.url)
    assert found, page.url
    return found.group(1)


def login(page: Page, live: Live) -> None:
    page.goto(live.url + "/staff/login")
    page.get_by_label("User name").fill(STAFF_NAME)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    with page.expect_navigation():
        page.get_by_label("Password").press("Enter")
    expect(heading(page)).to_have_text("Submissions")


# ---------------------------------------------------------------------------------------------
# 1. patient: a full journey to a physio outcome


def test_patient_completes_a_physio_journey(page: Page, live: Live, definition: Definition, physio: dict) -> None:
    journey = Journey(page, live, definition)
    journey.start()
    journey.sections(physio)
    assert journey.notices == [], "with JavaScript, follow-up questions appear on the page without a reload"
    journey.details()

    rows = review_rows(page)
    for section in definition.questionnaire.sections:
        expect(page.get_by_role("heading", level=2, name=section.title, exact=True)).to_be_visible()
    for item_id, value in physio.items():
        item = definition.items[item_id]
        question = definition.wording[item_id][0]
        assert question in rows, f"review page lacks the question {item_id!r}"
        assert rows[question].startswith(expected_answer_text(item, value)), (item_id, rows[question])
    assert rows["Name"] == PATIENT_NAME and rows["Phone or email"] == PATIENT_CONTACT
    journey.send()

    title = TEXTS["physio_assessment"]["title"]
    expect(heading(page)).to_have_text("Your result")
    expect(page.get_by_role("heading", level=2, name=title, exact=True)).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    pdf = download_pdf(page, page.get_by_role("link", name="Download your summary (PDF)"))
    assert pdf.startswith(b"%PDF-"), pdf[:20]

    row = live.submission(submission_id_from(page))
    assert row is not None and row.disposition == "physio_assessment" and row.complete
    assert row.patient_name == PATIENT_NAME
