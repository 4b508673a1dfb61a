"""The web intake in a real browser (Debian's Chromium through Playwright): patient and staff journeys, with and
without JavaScript, axe-core accessibility checks on every page, and screenshots at phone and desktop widths.

The app runs in this process, served by uvicorn in a background thread, on a fresh SQLite database.
Set SCREENING_SKIP_BROWSER=1 to skip these tests (for example where Chromium cannot be installed);
set SCREENING_SCREENSHOTS=DIR to keep the screenshots in DIR (default: a pytest temporary folder).
"""

from __future__ import annotations

import json
import os
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import uvicorn
import yaml
from axe_playwright_python.sync_playwright import Axe
from helpers.chromium import MARKS, chromium
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from screening.definition import Definition
from screening.loader import load_definition
from screening.model import Item
from screening.reading import load_response
from screening.web.app import create_app
from screening.web.auth import add_user
from screening.web.db import Submission, database_url_for, make_engine
from screening.web.forms import screens
from screening.web.settings import Settings

pytestmark = MARKS

ROOT = Path(__file__).resolve().parents[2]
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
STAFF_NAME, STAFF_PASSWORD = "reception", "correct horse battery"
PATIENT_NAME, PATIENT_PHONE, PATIENT_EMAIL = "Test Patient Physio", "07700 900982", "test@example.invalid"
BOOKING_URL, CLINIC_PHONE = "https://book.example.invalid/discovery", "01632 960 123"
PRIVACY_URL = "https://clinic.example.invalid/privacy"

RULES = yaml.safe_load((ROOT / "questionnaires" / "cervicogenic_headache.rules.yaml").read_text("utf-8"))
TEXTS = RULES["disposition"]["texts"]

expect.set_options(timeout=10_000)
PDF_WAIT = 60  # seconds for the background worker to render a referral on a busy machine


# ---------------------------------------------------------------------------------------------
# fixtures: the definition and examples, the live server, the browser


@pytest.fixture(scope="module")
def bundled_definition() -> Definition:
    return load_definition()


@pytest.fixture(scope="module")
def physio(bundled_definition: Definition) -> dict[str, Any]:
    """The answers of the physio example: no red flags, a likely neck origin."""
    return dict(load_response(ROOT / "examples" / "physio_cervicogenic.yaml", bundled_definition).answers)


@dataclass
class Live:
    """The running app: its address, and a way to read what it stored."""

    url: str
    engine: Engine
    services: Any = None  # the app's services, to run its queued jobs (the PDFs) when a test needs them

    def submission(self, submission_id: str) -> Submission:
        with Session(self.engine) as db:
            row = db.get(Submission, submission_id)
        assert row is not None, f"submission {submission_id} was not stored"
        return row


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The app on a fresh SQLite database with one staff user, served by uvicorn in a background thread with
    its lifespan, as ``screening serve`` runs it: its job worker renders the queued PDFs meanwhile."""
    data = tmp_path_factory.mktemp("web-data")
    settings = Settings.load(
        data,
        database_url=database_url_for(data.resolve()),  # never a database named in the environment
        # Every journey comes from 127.0.0.1, and a fast machine sends more than a patient's share of pages and
        # follow-up checks in one clock minute; the limits themselves are tested in test_web_security.
        public_posts_per_minute=100_000,
        public_page_posts_per_minute=100_000,
    )
    app = create_app(settings)
    services = app.state.services
    services.clinic = services.clinic.model_copy(
        update={"booking_url": BOOKING_URL, "phone": CLINIC_PHONE, "privacy_notice_url": PRIVACY_URL}
    )
    engine = make_engine(settings.database_url)
    with Session(engine) as db:
        add_user(db, STAFF_NAME, STAFF_PASSWORD)
        db.commit()
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    yield Live(f"http://127.0.0.1:{port}", engine, services)
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()
    app.state.services.engine.dispose()
    assert not thread.is_alive(), "uvicorn did not stop"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium, closed at the end of this module (Playwright's loop must not outlive these tests)."""
    with chromium() as launched:
        yield launched


def new_page(browser: Browser, *, js: bool = True) -> Page:
    """A page in a fresh context (no cookies) on a phone-sized screen; it fails fast rather than wait 30 s."""
    context = browser.new_context(viewport=PHONE, locale="en-GB", accept_downloads=True, java_script_enabled=js)
    context.set_default_timeout(10_000)
    return context.new_page()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    opened = new_page(browser)
    yield opened
    opened.context.close()


@pytest.fixture
def page_without_js(browser: Browser) -> Iterator[Page]:
    opened = new_page(browser, js=False)
    yield opened
    opened.context.close()


# ---------------------------------------------------------------------------------------------
# helpers: answering questions as a person would, by the labels on the screen


def option_label(item: Item, value: Any) -> str:
    """The visible label of one choice."""
    if item.kind == "yes_no":
        return {"yes": "Yes", "no": "No", "not_sure": "Not sure"}[value]
    if item.kind == "scale":
        return str(value)
    return {o.code: o.label for o in item.options}[value]  # type: ignore[union-attr]


def question_box(page: Page, item_id: str) -> Locator:
    return page.locator(f'[data-item="{item_id}"]')


def option_codes(item: Item) -> list[Any]:
    """The choices of a question in the order shown."""
    if item.kind == "yes_no":
        return ["yes", "no", *(["not_sure"] if item.allow_not_sure else [])]
    if item.kind == "scale":
        return list(range(item.min, item.max + 1))
    return [o.code for o in item.options]  # type: ignore[union-attr]


def answer(page: Page, item: Item, value: Any) -> None:
    """Answer one question by clicking its labels or typing into it."""
    box = question_box(page, item.id)
    if item.kind in ("yes_no", "single_choice", "scale", "multi_choice"):
        for code in value if isinstance(value, list) else [value]:
            box.get_by_label(option_label(item, code), exact=True).check()  # waits for the question to show
    elif item.kind in ("integer", "text"):
        box.get_by_role("textbox").fill(str(value))
    else:
        raise AssertionError(f"no way to answer a {item.kind} question")


def tab_into(page: Page, target: Locator, what: str, most: int = 5) -> None:
    """Press Tab until the focus is inside ``target`` (a date field takes a Tab per part)."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if target.evaluate("el => el.contains(document.activeElement)"):
            return
    raise AssertionError(f"{most} presses of Tab did not reach {what}")


def answer_by_keyboard(page: Page, item: Item, value: Any) -> None:
    """Answer the next question with the keyboard only, as someone who cannot use a mouse: Tab to it, then
    arrows or Space for choices, or type. Expects a fresh form (nothing ticked yet)."""
    box = question_box(page, item.id)
    expect(box, f"question {item.id} should be shown").to_be_visible()
    tab_into(page, box, f"question {item.id}")
    codes = option_codes(item) if item.kind != "integer" and item.kind != "text" else []
    if item.kind == "multi_choice":  # one stop per box: Space ticks
        for index, code in enumerate(codes):
            if index:
                page.keyboard.press("Tab")
            if code in value:
                page.keyboard.press("Space")
    elif codes:  # one stop per group, on its first choice: arrows move and tick
        steps = codes.index(value)
        for key in ["Space"] if steps == 0 else ["ArrowDown"] * steps:
            page.keyboard.press(key)
    else:
        page.keyboard.type(str(value))


FILLED_IN = """form => Array.from(form.querySelectorAll('input:not([type=hidden]), textarea, select'))
  .filter(e => e.value !== '' && (!['radio', 'checkbox'].includes(e.type) || e.checked))
  .map(e => [e.name, e.value])"""


def form_values(page: Page, selector: str) -> dict[str, list[str]]:
    """What has been ticked or typed in a form: name -> values."""
    values: dict[str, list[str]] = {}
    for name, value in page.eval_on_selector(selector, FILLED_IN):
        values.setdefault(name, []).append(value)
    return values


# Ticks and types the given answers into the questions now shown, without events; returns how many changed.
SET_ANSWERS = """answers => {
  let changed = 0;
  for (const [id, values] of Object.entries(answers)) {
    const box = document.querySelector(`[data-item="${id}"]`);
    if (!box || box.hidden) continue;
    for (const input of box.querySelectorAll('input, textarea')) {
      if (input.type === 'radio' || input.type === 'checkbox') {
        const want = values.includes(input.value);
        if (input.checked !== want) { input.checked = want; changed++; }
      } else if (input.value !== values[0]) { input.value = values[0]; changed++; }
    }
  }
  return changed;
}"""
SHOWN_AS_TOLD = """shown => Array.from(document.querySelectorAll('[data-item]'))
  .every(box => box.hidden === !shown.includes(box.dataset.item))"""


def quick_fill(page: Page, answers: dict[str, Any]) -> None:
    """Fill a page's questions in a few round trips (for pages whose filling is not what is tested): set the
    answers shown, let the page's script ask the server which follow-ups apply, and repeat until none appear."""
    wanted = {k: [str(v) for v in (value if isinstance(value, list) else [value])] for k, value in answers.items()}
    for _ in range(6):
        if not page.evaluate(SET_ANSWERS, wanted):
            return
        with page.expect_response(lambda r: r.url.endswith("/visibility")) as info:
            page.eval_on_selector("form[data-visibility]", "f => f.dispatchEvent(new Event('change'))")
        page.wait_for_function(SHOWN_AS_TOLD, arg=info.value.json()["shown"])
    raise AssertionError("follow-up questions kept appearing")


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def submit(page: Page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()


Hook = Callable[[Page, str], None]


def _no_hook(page: Page, label: str) -> None:
    pass


@dataclass
class Journey:
    """A patient going through the questionnaire page by page; ``hook(page, label)`` runs on each page reached
    (on section pages once the answers are in, so that follow-up questions are shown)."""

    page: Page
    live: Live
    definition: Definition
    hook: Hook = _no_hook
    quick: bool = False  # fill section pages with quick_fill rather than click by click
    notices: list[str] = field(default_factory=list)

    def start(self, *, contact: bool = True) -> None:
        """From the start page to the first page (contact details), and past it unless ``contact`` is False."""
        self.page.goto(self.live.url + "/")
        expect(heading(self.page)).to_have_text(self.definition.questionnaire.title)
        self.hook(self.page, "start")
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Start now").click()
        expect(heading(self.page)).to_have_text("How can we contact you?")
        if contact:
            self.contact()

    def contact(self, name: str = PATIENT_NAME, phone: str = PATIENT_PHONE, email: str = PATIENT_EMAIL) -> None:
        page = self.page
        expect(heading(page)).to_have_text("How can we contact you?")
        page.get_by_label("Your full name").fill(name)
        page.get_by_label("Phone number", exact=True).fill(phone)
        page.get_by_label("Email address (optional)").fill(email)
        expect(page.get_by_role("link", name=re.compile("privacy notice"))).to_have_attribute("href", PRIVACY_URL)
        self.hook(page, "contact")
        submit(page, "Continue")
        expect(heading(page)).to_have_text(title_of(self.definition, 0))

    def section(self, index: int, answers: dict[str, Any], *, js: bool = True) -> None:
        """Answer one section page and continue. Without JavaScript, follow-up questions arrive after Continue."""
        page = self.page
        items = [self.definition.items[i] for i in screens(self.definition)[index].items]
        title = title_of(self.definition, index)
        expect(heading(page)).to_have_text(title)
        for attempt in range(5):
            if self.quick:
                quick_fill(page, {i.id: answers[i.id] for i in items if i.id in answers})
            for item in [] if self.quick else items:
                if item.kind == "display" or item.id not in answers:
                    continue
                if js and item.enable_when is not None:
                    message = f"follow-up question {item.id} should appear once the answers it depends on are given"
                    expect(question_box(page, item.id), message).to_be_visible()
                if js or question_box(page, item.id).is_visible():
                    answer(page, item, answers[item.id])
            if attempt == 0:
                self.hook(page, f"section-{index + 1}")
            submit(page, "Continue")
            if (heading(page).text_content() or "").strip() != title:
                return
            notice = page.locator(".notice[role=status]")
            expect(notice, f"{title}: still on this page, but with no follow-up notice").to_be_visible()
            self.notices.append(notice.inner_text())
            assert not js, f"{title}: follow-up questions should have been shown without a reload"
        raise AssertionError(f"{title}: could not get past this page")

    def sections(self, answers: dict[str, Any], *, js: bool = True) -> None:
        for index in range(len(screens(self.definition))):
            self.section(index, answers, js=js)

    def details(self, born: tuple[str, str, str] = ("14", "3", "1979")) -> None:
        """The details page: name and phone are there from the first page; the date of birth in three boxes."""
        page = self.page
        expect(heading(page)).to_have_text("Your details")
        expect(page.get_by_label("Your full name")).to_have_value(PATIENT_NAME)
        expect(page.get_by_label("Phone number", exact=True)).to_have_value(PATIENT_PHONE)
        expect(page.get_by_role("link", name=re.compile("privacy notice"))).to_have_attribute("href", PRIVACY_URL)
        self.hook(page, "details")
        date = page.get_by_role("group", name="Date of birth")
        for box, value in zip(("Day", "Month", "Year"), born, strict=True):
            date.get_by_label(box, exact=True).fill(value)
        submit(page, "Continue")
        expect(heading(page)).to_have_text("Check your answers before sending them")

    def send(self) -> str:
        """Send the answers from the review page; the id of the stored submission."""
        self.hook(self.page, "review")
        submit(self.page, "Send my answers")
        expect(self.page).to_have_url(re.compile(r"/result/[0-9a-f]{32}/[0-9a-f]+$"))
        self.hook(self.page, "result")
        return submission_id_from(self.page)

    def emergency_stop(self, item_id: str = "new_weakness") -> str:
        """From the start page: answer yes to one emergency question on the first page, and nothing else."""
        self.start()
        answer(self.page, self.definition.items[item_id], "yes")
        submit(self.page, "Continue")
        expect(heading(self.page)).to_have_text("Call 999 now, or go to A&E")
        self.hook(self.page, "emergency-result")
        return submission_id_from(self.page)


def load_response_json(row: Submission) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(row.response_json)
    return loaded


def submission_id_from(page: Page) -> str:
    found = re.search(r"/result/([0-9a-f]{32})/", page.url)
    assert found, f"not a result page: {page.url}"
    return found.group(1)


def review_rows(page: Page) -> dict[str, str]:
    """Question (or detail) → answer, as listed on the review page."""
    rows = page.eval_on_selector_all(
        ".summary-list__row",
        "rows => rows.map(r => [r.querySelector('dt').innerText.trim(), r.querySelector('dd').innerText.trim()])",
    )
    return dict(rows)


def expected_answer_start(item: Item, value: Any) -> str:
    if item.kind == "integer":
        return f"{value} "  # then the unit
    if item.kind == "scale":
        return f"{value} out of {item.max}"
    return "; ".join(option_label(item, v) for v in (value if isinstance(value, list) else [value]))


def download(page: Page, link: Locator) -> bytes:
    with page.expect_download() as info:
        link.click()
    return Path(info.value.path()).read_bytes()


def login(page: Page, live: Live) -> None:
    page.goto(live.url + "/staff/login")
    page.get_by_label("User name").fill(STAFF_NAME)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    submit(page, "Sign in")
    expect(heading(page)).to_have_text("Submissions")


def title_of(definition: Definition, index: int) -> str:
    """The heading of the patient screen at this index: its section's title, with the part when it is cut."""
    screen = screens(definition)[index]
    title = definition.questionnaire.sections[screen.section].title
    return f"{title} ({screen.part} of {screen.parts})" if screen.parts > 1 else title


def fill_intake_by_keyboard(page: Page, definition: Definition, answers: dict[str, Any]) -> None:
    for section in definition.questionnaire.sections:
        for item in section.items:
            if item.kind != "display" and item.id in answers:
                answer_by_keyboard(page, item, answers[item.id])


# ---------------------------------------------------------------------------------------------
# 1. a patient goes all the way to a physiotherapy outcome


def test_patient_completes_a_physio_journey(
    page: Page, live: Live, bundled_definition: Definition, physio: dict[str, Any]
) -> None:
    definition = bundled_definition
    journey = Journey(page, live, definition)
    journey.start()
    journey.sections(physio)
    assert journey.notices == [], "with JavaScript, follow-up questions appear on the page without a reload"
    journey.details()

    rows = review_rows(page)
    for section in definition.questionnaire.sections:
        expect(page.get_by_role("heading", level=2, name=section.title, exact=True)).to_be_visible()
    for item_id, value in physio.items():
        question = definition.wording[item_id][0]
        assert question in rows, f"the review page does not list {item_id!r}"
        assert rows[question].startswith(expected_answer_start(definition.items[item_id], value)), (item_id, rows)
    details = (rows["Name"], rows["Phone number"], rows["Email address"], rows["Date of birth"])
    assert details == (PATIENT_NAME, PATIENT_PHONE, PATIENT_EMAIL, "14 March 1979")
    submission_id = journey.send()

    expect(heading(page)).to_have_text("Your result")
    expect(page.get_by_role("heading", level=2, name=TEXTS["physio_assessment"]["title"], exact=True)).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    pdf = download(page, page.get_by_role("link", name="Download your summary (PDF)"))
    assert pdf.startswith(b"%PDF-"), pdf[:20]

    callback = page.locator("[data-callback]")
    expect(callback).to_contain_text(submission_id[:8].upper())
    expect(callback).to_contain_text("will contact you within 2 working days")
    expect(page.get_by_text("Your answers fit the pattern of a headache that comes from the neck.")).to_be_visible()
    book = page.get_by_role("link", name="Book your free discovery call")
    expect(book).to_have_attribute("href", BOOKING_URL)
    expect(page.get_by_role("link", name=f"Call Physiotherapy Clinic on {CLINIC_PHONE}")).to_have_attribute(
        "href", "tel:01632960123"
    )
    expect(page.locator("footer")).to_contain_text("not a diagnosis")
    expect(page.locator(".hint").filter(has_text="This link works until")).to_have_text(
        re.compile(r"until \d+ \w+ \d{4} at \d\d:\d\d (GMT|BST)\.")
    )

    row = live.submission(submission_id)
    assert (row.disposition, row.complete, row.channel, row.patient_name) == (
        "physio_assessment",
        True,
        "web",
        PATIENT_NAME,
    )
    assert load_response_json(row)["patient"]["date_of_birth"] == "1979-03-14"


# ---------------------------------------------------------------------------------------------
# 2. an emergency answer stops the questions at once


def test_patient_emergency_answer_stops_the_questions(page: Page, live: Live, bundled_definition: Definition) -> None:
    submission_id = Journey(page, live, bundled_definition).emergency_stop()

    alert = page.get_by_role("alert")
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("Call 999")
    expect(alert).to_contain_text("We stopped the questions here")
    expect(page.get_by_role("button", name="Continue")).to_have_count(0)
    expect(page).to_have_title(re.compile("^Your result"))
    call = page.get_by_role("link", name="Call 999")
    expect(call).to_have_attribute("href", "tel:999")
    assert call.evaluate("a => a.getBoundingClientRect().top") < alert.locator("p.lead").evaluate(
        "p => p.getBoundingClientRect().top"
    ), "the 999 button comes first"
    expect(page.get_by_text("working day")).to_have_count(0)
    row = live.submission(submission_id)
    assert (row.disposition, row.complete) == ("emergency", False)
    assert row.red_flags, "the emergency red flag should be stored with the submission"
    assert row.patient_name == PATIENT_NAME, "the contact given first is stored with the emergency stop"


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_patient_can_skip_contact_with_a_warning(
    browser: Browser, live: Live, bundled_definition: Definition, js: bool
) -> None:
    page = new_page(browser, js=js)
    try:
        journey = Journey(page, live, bundled_definition)
        journey.start(contact=False)
        expect(page.get_by_text("especially if your answers need urgent attention")).to_be_visible()
        expect(page.get_by_text("the clinic will not be able to call you")).to_be_visible()
        submit(page, "Skip for now")
        expect(heading(page)).to_have_text(title_of(bundled_definition, 0))
        expect(page.get_by_text("You have not given a phone number.")).to_be_visible()
        if js:  # axe-core runs in the page: the page states are the same without JavaScript
            assert not axe_problems(page)
        submit(page, "Add your phone number")
        expect(heading(page)).to_have_text("How can we contact you?")
        journey.contact(name="Test Patient Skipped Then Added")
        expect(page.get_by_text("You have not given a phone number.")).to_have_count(0)
    finally:
        page.context.close()


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_back_forward_and_resume_never_resend_or_lose_answers(
    browser: Browser, live: Live, bundled_definition: Definition, physio: dict[str, Any], js: bool
) -> None:
    definition = bundled_definition
    first, second = title_of(definition, 0), title_of(definition, 1)
    page = new_page(browser, js=js)
    page.set_viewport_size(PHONE if js else DESKTOP)
    methods: list[str] = []
    page.on("request", lambda r: methods.append(r.method) if r.is_navigation_request() else None)
    try:
        journey = Journey(page, live, definition, quick=js)
        journey.start()
        journey.section(0, physio, js=js)
        expect(heading(page)).to_have_text(second)
        methods.clear()
        page.go_back()
        expect(heading(page)).to_have_text(first)
        checked = question_box(page, "new_weakness").get_by_label("No", exact=True)
        expect(checked).to_be_checked()
        page.go_forward()
        expect(heading(page)).to_have_text(second)
        page.reload()
        expect(heading(page)).to_have_text(second)
        assert methods and set(methods) == {"GET"}, f"Back, Forward and reload must only GET: {methods}"
        submit(page, "Save and come back later")
        expect(heading(page)).to_have_text("Your answers are saved")
        if js:
            assert not axe_problems(page)
            for size in (PHONE, DESKTOP):
                page.set_viewport_size(size)
                assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
        link = page.locator("[data-resume]").get_attribute("href")
        assert link and "/resume/" in link
    finally:
        page.context.close()
    elsewhere = new_page(browser, js=js)
    try:
        elsewhere.goto(link)
        expect(heading(elsewhere)).to_have_text(second)
        submit(elsewhere, "Back")
        expect(heading(elsewhere)).to_have_text(first)
        expect(question_box(elsewhere, "new_weakness").get_by_label("No", exact=True)).to_be_checked()
    finally:
        elsewhere.context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_date_of_birth_boxes_show_clear_errors(
    browser: Browser, live: Live, bundled_definition: Definition, physio: dict[str, Any], width: int
) -> None:
    page = new_page(browser)
    page.set_viewport_size({"width": width, "height": 900})
    try:
        journey = Journey(page, live, bundled_definition, quick=True)
        journey.start()
        journey.sections(physio)
        expect(page.locator('input[type="date"]')).to_have_count(0)
        date = page.get_by_role("group", name="Date of birth")
        date.get_by_label("Day", exact=True).fill("12")
        date.get_by_label("Year", exact=True).fill("1987")
        submit(page, "Continue")
        expect(page.locator("#error-summary")).to_contain_text("Date of birth must include a month")
        expect(date.get_by_label("Month", exact=True)).to_have_attribute("aria-invalid", "true")
        expect(date.get_by_label("Year", exact=True)).to_have_value("1987")
        assert not axe_problems(page)
        date.get_by_label("Month", exact=True).fill("04")
        submit(page, "Continue")
        assert review_rows(page)["Date of birth"] == "12 April 1987"
    finally:
        page.context.close()


# ---------------------------------------------------------------------------------------------
# 3. staff: sign in, intake by keyboard, the list, the follow-up status, the PDF


def test_staff_intake_list_status_and_pdf(
    page: Page, live: Live, bundled_definition: Definition, physio: dict[str, Any]
) -> None:
    definition = bundled_definition
    patient = "Test Patient Staff Intake"
    page.goto(live.url + "/staff/submissions")
    expect(heading(page)).to_have_text("Staff sign in")  # not signed in yet: sent to the login page
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("User name")).to_be_focused()
    page.keyboard.type(STAFF_NAME)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(STAFF_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(heading(page)).to_have_text("Submissions")

    page.get_by_role("link", name="New intake").click()
    expect(heading(page)).to_have_text("New intake")
    tab_into(page, page.get_by_label("Patient's full name"), "the name field", most=7)  # past the header links
    page.keyboard.type(patient)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Phone number or email")).to_be_focused()
    page.keyboard.type("01632 960001")
    fill_intake_by_keyboard(page, definition, physio)
    typed = form_values(page, "form.form--intake")
    wanted = {k: [str(x) for x in (v if isinstance(v, list) else [v])] for k, v in physio.items()}
    assert typed == {"name": [patient], "contact": ["01632 960001"], **wanted}
    expect(page.get_by_role("alert")).to_be_hidden()  # no emergency banner for these answers
    save = page.get_by_role("button", name="Save and see the result")
    tab_into(page, save, "the save button", most=1)  # it comes straight after the last question
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(heading(page)).to_have_text(patient)
    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    outcome = page.locator(".outcome")
    expect(outcome.get_by_role("heading", name=TEXTS["physio_assessment"]["title"], exact=True)).to_be_visible()
    expect(outcome).to_contain_text(TEXTS["physio_assessment"]["staff"])
    # the PDF is rendered by a worker off the request path: being prepared at first, or ready already
    pdf_link = page.get_by_role("link", name=re.compile(r"^(Download PDF summary|PDF summary: being prepared)$"))
    expect(pdf_link).to_be_visible()
    detail_url = page.url.split("?")[0]

    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Submissions").click()
    expect(heading(page)).to_have_text("Submissions")
    row = page.get_by_role("row").filter(has_text=patient)
    expect(row).to_have_count(1)
    for cell in ("Physio assessment", "New", f"Staff intake by {STAFF_NAME}"):
        expect(row.get_by_role("cell", name=cell, exact=True)).to_have_count(1)
    row.get_by_role("link").click()
    expect(page).to_have_url(detail_url)

    status = page.locator("#status")
    expect(status).to_contain_text("nobody has followed this up yet")
    status.get_by_role("radio", name="Contacted", exact=True).check()
    status.get_by_label("Note (optional)").fill("Left a voicemail")
    before = datetime.now(UTC).replace(second=0, microsecond=0)
    submit(page, "Save status")
    entry = status.get_by_role("listitem")
    expect(entry).to_have_count(1)
    expect(entry).to_have_text(
        re.compile(rf"^Contacted by {STAFF_NAME}, \d\d \w{{3}} \d{{4}} \d\d:\d\d (GMT|BST): Left a voicemail$")
    )
    stamp = re.search(r"\d\d \w{3} \d{4} \d\d:\d\d", entry.inner_text())
    assert stamp is not None  # shown in the clinic's time (Europe/London)
    when = datetime.strptime(stamp.group(0), "%d %b %Y %H:%M").replace(tzinfo=ZoneInfo("Europe/London"))
    assert before <= when <= datetime.now(UTC), f"status change shown at {when}, expected about {before}"
    expect(page.locator(".meta")).to_contain_text("Contacted")
    expect(status.get_by_role("radio", name="Contacted", exact=True)).to_have_count(0)  # now: booked, GP, closed

    # the server's own worker renders it in the background; staff see it ready after a reload or two
    ready = page.get_by_role("link", name="Download PDF summary")
    deadline = time.monotonic() + PDF_WAIT
    while not ready.count():
        assert time.monotonic() < deadline, f"the referral PDF was not ready after {PDF_WAIT} s"
        time.sleep(0.5)
        page.reload()
    pdf = download(page, ready)
    assert pdf.startswith(b"%PDF-"), pdf[:20]
    page.get_by_role("link", name="All submissions").click()
    expect(page.get_by_role("row").filter(has_text=patient).get_by_role("cell", name="Contacted")).to_have_count(1)


# ---------------------------------------------------------------------------------------------
# 4. a page sent with questions unanswered


def test_validation_errors_are_summarised_linked_and_answers_kept(
    page: Page, live: Live, bundled_definition: Definition
) -> None:
    definition = bundled_definition
    on_first = [definition.items[i] for i in screens(definition)[0].items]
    required = [item.id for item in on_first if item.kind != "display" and item.required and item.enable_when is None]
    summary = page.locator("#error-summary")
    links = summary.get_by_role("link")
    Journey(page, live, definition).start()

    submit(page, "Continue")  # nothing answered
    expect(heading(page)).to_have_text(title_of(definition, 0))  # still on the first page
    expect(page).to_have_title(re.compile("^Error: "))
    expect(summary).to_have_attribute("role", "alert")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary).to_be_focused()  # moved there by the page's script, so it is read out first
    assert summary.evaluate(
        "s => !!(s.compareDocumentPosition(document.querySelector('form')) & Node.DOCUMENT_POSITION_FOLLOWING)"
    ), "the error summary must come before the questions"
    expect(links).to_have_count(len(required))
    assert [links.nth(i).get_attribute("href") for i in range(len(required))] == [f"#f-{i}" for i in required]
    for item_id in required:
        expect(page.locator(f"#f-{item_id}")).to_have_count(1)
        expect(question_box(page, item_id).locator(".error-message")).to_be_visible()
    links.first.click()
    expect(page.locator(f"#f-{required[0]}")).to_be_focused()

    given = {"sudden_onset_headache": "no", "worst_ever_headache": "not_sure"}  # both on the first screen
    for item_id, value in given.items():
        answer(page, definition.items[item_id], value)
    # now asked too, shown at once by the page's script
    follow_ups = {"sudden_headache_peak_time"}
    for item_id in follow_ups:
        expect(question_box(page, item_id)).to_be_visible()
    submit(page, "Continue")
    expect(heading(page)).to_have_text(title_of(definition, 0))
    expect(page.locator(".notice[role=status]")).to_have_count(0)  # they were on screen: no "questions added"
    missing = [item.id for item in on_first if item.id in follow_ups or (item.id in required and item.id not in given)]
    expect(links).to_have_count(len(missing))
    assert [links.nth(i).get_attribute("href") for i in range(len(missing))] == [f"#f-{i}" for i in missing]
    for item_id, value in given.items():
        item = definition.items[item_id]
        expect(question_box(page, item_id).get_by_label(option_label(item, value), exact=True)).to_be_checked()
        expect(question_box(page, item_id).locator(".error-message")).to_have_count(0)
    links.first.click()
    expect(page.locator(f"#f-{missing[0]}")).to_be_focused()


# ---------------------------------------------------------------------------------------------
# 5. without JavaScript


def test_patient_journey_works_without_javascript(
    page_without_js: Page, live: Live, bundled_definition: Definition, physio: dict[str, Any]
) -> None:
    page = page_without_js
    journey = Journey(page, live, bundled_definition)
    journey.start()
    journey.sections(physio, js=False)
    assert journey.notices, "follow-up questions should have been added after Continue, with a notice"
    assert all("follow-up question" in notice for notice in journey.notices), journey.notices
    journey.details()
    submission_id = journey.send()
    expect(page.get_by_role("heading", level=2, name=TEXTS["physio_assessment"]["title"], exact=True)).to_be_visible()
    pdf = download(page, page.get_by_role("link", name="Download your summary (PDF)"))
    assert pdf.startswith(b"%PDF-")
    assert live.submission(submission_id).disposition == "physio_assessment"


# ---------------------------------------------------------------------------------------------
# 6 and 7. a tour of every page: axe-core on each, full-page screenshots of the key ones at two widths


def axe_problems(page: Page) -> list[str]:
    """axe-core's violations on the page as it is now: rule, impact and the elements at fault."""
    violations = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> " + "; ".join(" ".join(n["target"]) for n in v["nodes"])
        for v in violations
    ]


# Buttons, form controls, choices (box and label) and button-like links under 24 x 24 CSS px (WCAG 2.2, 2.5.8).
SMALL_TARGETS = """() => Array.from(document.querySelectorAll(
    'button, input:not([type=hidden]):not(.choice__input), select, textarea, a.button, a[role=button], .choice'))
  .filter(el => el.getClientRects().length && !el.closest('.visually-hidden'))
  .map(el => [el, el.getBoundingClientRect()])
  .filter(([el, r]) => r.width < 24 || r.height < 24)
  .map(([el, r]) => `${el.tagName.toLowerCase()}#${el.id || el.textContent.trim().slice(0, 30)} `
                    + `${Math.round(r.width)}x${Math.round(r.height)}`)"""

# Boxes that scroll sideways inside the page (a wide table in a scrolling wrapper, say).
SIDEWAYS_BOXES = """() => Array.from(document.querySelectorAll('body *'))
  .filter(el => !el.matches('input, textarea, select') && el.scrollWidth > el.clientWidth + 1
                && ['auto', 'scroll'].includes(getComputedStyle(el).overflowX))
  .map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className.split(' ').join('.') : ''))"""

PATIENT_SHOTS = {"start", "contact", "section-1-with-errors", "section-5", "section-8", "details-with-errors"}
PATIENT_SHOTS |= {"review", "result", "emergency-result", "gp-result", "self-care-result"}
STAFF_SHOTS = {"staff-intake", "staff-detail", "staff-list"}


@dataclass
class Tour:
    """What was seen on each page: axe-core problems (at phone width; key staff pages also at desktop width),
    screenshots of the key pages, and layout faults (sideways scrolling, small targets) on those."""

    folder: Path
    axe: dict[str, list[str]] = field(default_factory=dict)
    shots: set[Path] = field(default_factory=set)
    faults: list[str] = field(default_factory=list)

    def __call__(self, page: Page, label: str) -> None:
        if label in self.axe:  # e.g. the start page again
            return
        self.axe[label] = axe_problems(page)
        if label not in PATIENT_SHOTS | STAFF_SHOTS:
            return
        for size in (PHONE, DESKTOP):
            page.set_viewport_size(size)
            if size is DESKTOP and label in STAFF_SHOTS:
                self.axe[f"{label}-desktop"] = axe_problems(page)
            path = self.folder / f"{label}-{size['width']}.png"
            png = page.screenshot(path=str(path), full_page=True)
            width = struct.unpack(">I", png[16:20])[0]  # from the PNG header
            if width != size["width"]:
                self.faults.append(f"{path.name} is {width} px wide")
            self.shots.add(path)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > size["width"]:
                self.faults.append(f"{label} at {size['width']} px: the page scrolls sideways ({scroll} px wide)")
            if boxes := page.evaluate(SIDEWAYS_BOXES):
                self.faults.append(f"{label} at {size['width']} px: these scroll sideways: {boxes}")
            if small := page.evaluate(SMALL_TARGETS):
                self.faults.append(f"{label} at {size['width']} px: targets under 24x24 px: {small}")
        page.set_viewport_size(PHONE)

    def pages(self, *, staff: bool) -> dict[str, list[str]]:
        """Page label -> axe-core problems, for the staff pages or the patient pages."""
        return {label: found for label, found in self.axe.items() if label.startswith("staff-") == staff}


def axe_report(pages: dict[str, list[str]]) -> str:
    return "axe-core found:\n" + "\n".join(
        f"  {label}:\n    " + "\n    ".join(problems) for label, problems in pages.items() if problems
    )


def gp_answers() -> dict[str, Any]:
    """The GP example: medicine overuse, a routine GP outcome."""
    return dict(load_response(ROOT / "examples" / "gp_medication_overuse.yaml", load_definition()).answers)


def self_care_answers(definition: Definition, physio: dict[str, Any]) -> dict[str, Any]:
    """The physio example with nothing pointing at the neck: a self-care outcome."""
    answers = dict(physio)
    for item in definition.questionnaire.sections[5].items:
        if answers.get(item.id) == "yes":
            answers[item.id] = "no"
    answers.update(
        headache_side="both_sides",
        pain_starts_where="forehead_temple_or_eye",
        pain_spreads_forward="no",
        headache_days_per_month=2,
        pain_quality="throbbing",
        pain_severity=4,
    )
    return answers


@pytest.fixture(scope="module")
def shots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("SCREENING_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def tour(browser: Browser, live: Live, bundled_definition: Definition, physio: dict[str, Any], shots_dir: Path) -> Tour:
    """Every kind of page once, patient side then staff side, with ``Tour`` looking at each."""
    definition = bundled_definition
    seen = Tour(shots_dir)
    page = new_page(browser)
    try:
        journey = Journey(page, live, definition, hook=seen, quick=True)
        journey.start(contact=False)
        submit(page, "Continue")
        expect(page.locator("#error-summary")).to_be_visible()
        seen(page, "contact-with-errors")
        journey.contact()
        submit(page, "Continue")
        expect(page.locator("#error-summary")).to_be_visible()
        seen(page, "section-1-with-errors")
        journey.sections(physio)
        page.get_by_role("group", name="Date of birth").get_by_label("Day", exact=True).fill("31")
        page.get_by_role("group", name="Date of birth").get_by_label("Month", exact=True).fill("2")
        page.get_by_role("group", name="Date of birth").get_by_label("Year", exact=True).fill("1987")
        submit(page, "Continue")
        expect(page.locator("#error-summary")).to_be_visible()
        seen(page, "details-with-errors")
        journey.details()
        journey.send()
        for label, answers in (
            ("gp-result", gp_answers()),
            ("self-care-result", self_care_answers(definition, physio)),
        ):
            other = Journey(page, live, definition, quick=True)
            other.start()
            other.sections(answers)
            other.details()
            other.send()
            seen(page, label)
        Journey(page, live, definition, hook=seen).emergency_stop()
        response = page.goto(live.url + "/no-such-page")
        assert response is not None and response.status == 404
        seen(page, "not-found")

        page.goto(live.url + "/staff/login")
        seen(page, "staff-login")
        page.get_by_label("User name").fill("nobody-here")
        page.get_by_label("Password").fill("not the password")
        submit(page, "Sign in")
        expect(page.locator("#error-summary")).to_be_visible()
        seen(page, "staff-login-error")
        login(page, live)
        page.goto(live.url + "/staff/intake")
        submit(page, "Save and see the result")
        expect(page.locator("#error-summary")).to_be_visible()
        seen(page, "staff-intake-with-errors")
        page.goto(live.url + "/staff/intake")
        answer(page, definition.items["new_weakness"], "yes")
        expect(page.locator("[data-emergency-bar]")).to_be_visible()
        seen(page, "staff-intake-emergency-banner")
        page.goto(live.url + "/staff/intake")
        page.get_by_label("Patient's full name").fill("Test Patient Tour")
        quick_fill(page, physio)
        seen(page, "staff-intake")
        submit(page, "Save and see the result")
        expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
        seen(page, "staff-detail")
        page.get_by_role("link", name="All submissions").click()
        expect(page.get_by_role("row").filter(has_text="Test Patient Tour")).to_have_count(1)
        seen(page, "staff-list")
        page.goto(live.url + "/staff/submissions?since=not-a-date")
        expect(page.locator("#error-summary")).to_be_visible()
        seen(page, "staff-list-with-errors")
    finally:
        page.context.close()
    return seen


def test_patient_pages_have_no_axe_violations(tour: Tour, bundled_definition: Definition) -> None:
    pages = tour.pages(staff=False)
    sections = {f"section-{i + 1}" for i in range(len(screens(bundled_definition)))}
    assert set(pages) == sections | {"start", "contact", "contact-with-errors", "section-1-with-errors"} | {
        "details",
        "details-with-errors",
        "review",
        "result",
        "gp-result",
        "self-care-result",
        "emergency-result",
        "not-found",
    }
    assert not any(pages.values()), axe_report(pages)


def test_staff_pages_have_no_axe_violations(tour: Tour) -> None:
    pages = tour.pages(staff=True)
    seen = {"login", "login-error", "intake", "intake-with-errors", "intake-emergency-banner", "detail", "list"}
    seen |= {"list-with-errors", "intake-desktop", "detail-desktop", "list-desktop"}
    assert set(pages) == {f"staff-{page}" for page in seen}
    assert not any(pages.values()), axe_report(pages)


def test_key_pages_fit_phone_and_desktop_screens(tour: Tour, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(f"\nscreenshots ({len(tour.shots)} PNGs at 390 and 1280 px): {tour.folder}")
    assert {p.name for p in tour.shots} == {
        f"{label}-{width}.png" for label in PATIENT_SHOTS | STAFF_SHOTS for width in (390, 1280)
    }
    assert all(p.stat().st_size > 1000 for p in tour.shots)
    assert not tour.faults, "\n".join(tour.faults)
