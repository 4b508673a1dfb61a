"""The staff intake's emergency alert in a real browser: beside the question deep in the one-page form, a bar that
stays on screen with "Save now and call 999", a keyboard path, and the same without JavaScript.

Uses the live app, browser and helpers of ``test_browser``; screenshots go to SCREENING_SCREENSHOTS (or a temporary
folder) as staff-intake-emergency-alert-390.png and -1280.png, taken of the screen as the person sees it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.chromium import MARKS
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from screening.definition import Definition
from web import test_browser
from web.test_browser import DESKTOP, PHONE, Live, answer, axe_problems, heading, login, question_box, submit

pytestmark = MARKS
browser, live, bundled_definition = test_browser.browser, test_browser.live, test_browser.bundled_definition  # fixtures

FLAG = "fever_with_stiff_neck_rash_or_drowsiness"
DEEP = "fever_with_rash"  # a follow-up at the end of the safety questions, thousands of px down on a phone

# The part of the screen an element takes up: its box, the screen's height, and the top of the emergency bar.
ON_SCREEN = """el => {
  const r = el.getBoundingClientRect();
  const bar = document.querySelector('[data-emergency-bar]');
  return {top: r.top, bottom: r.bottom, height: innerHeight,
          bar: bar && !bar.hidden ? bar.getBoundingClientRect().top : innerHeight,
          page: r.top + scrollY};
}"""


# Counts the page's updates after an answer: each one sets the bar's link to the first alert again.
UPDATES_COUNTED = """() => {
  window.updates = 0;
  new MutationObserver(() => { window.updates += 1; })
    .observe(document.querySelector('[data-emergency-why]'), {attributes: true});
}"""


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("SCREENING_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("alert-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


StaffPage = Callable[..., Page]


@pytest.fixture
def staff_page(browser: Browser, live: Live) -> Iterator[StaffPage]:
    """Opens the new-intake page, signed in, at a given screen size; closed after the test."""
    contexts: list[BrowserContext] = []

    def open_intake(viewport: dict[str, int], *, js: bool = True) -> Page:
        context = browser.new_context(viewport=viewport, locale="en-GB", java_script_enabled=js)  # type: ignore[arg-type]
        contexts.append(context)
        context.set_default_timeout(10_000)
        page = context.new_page()
        login(page, live)
        page.goto(live.url + "/staff/intake")
        expect(heading(page)).to_have_text("New intake")
        return page

    yield open_intake
    for context in contexts:
        context.close()


def where(target: Locator) -> dict[str, float]:
    found: dict[str, float] = target.evaluate(ON_SCREEN)
    return found


def assert_in_view(target: Locator, what: str) -> None:
    """Wholly on screen, and not under the emergency bar."""
    box = where(target)
    assert box["top"] >= -1 and box["bottom"] <= box["bar"] + 1, f"{what} is not in view above the bar: {box}"


def assert_bar_in_view(page: Page) -> None:
    bar = page.locator("[data-emergency-bar]")
    expect(bar).to_be_visible()
    box = where(bar)
    assert box["top"] >= 0 and box["bottom"] <= box["height"] + 0.5, f"the emergency bar is off screen: {box}"


def assert_leads_with_999(page: Page) -> None:
    """The detail page reached after saving: the 999 instruction is the first thing in the page's main part."""
    expect(page).to_have_url(re.compile(r"/staff/submissions/[0-9a-f]{32}\?created=1$"))
    first = page.locator("main > *").first
    expect(first).to_have_attribute("role", "alert")
    expect(first.get_by_role("heading", level=2)).to_have_text("Emergency: call 999 now")
    expect(first).to_contain_text("ring 999 now")
    assert_in_view(first, "the 999 instruction")


def stored(live: Live, page: Page) -> Any:
    found = re.search(r"/staff/submissions/([0-9a-f]{32})", page.url)
    assert found, page.url
    return live.submission(found.group(1))


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_an_emergency_answer_deep_in_the_form_is_shown_beside_it_and_stays_in_view(
    staff_page: StaffPage, live: Live, bundled_definition: Definition, viewport: dict[str, int], shots: Path
) -> None:
    definition = bundled_definition
    page = staff_page(viewport)
    patient = f"Test Patient Alert {viewport['width']}"
    page.get_by_label("Patient's full name").fill(patient)
    answer(page, definition.items["fever"], "yes")  # an urgent red flag on its own, not an emergency
    answer(page, definition.items["fever_with_stiff_neck"], "no")
    expect(question_box(page, DEEP)).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator("[data-emergency-bar]")).to_be_hidden()

    answer(page, definition.items[DEEP], "yes")
    alert = question_box(page, DEEP).get_by_role("alert")
    expect(alert).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(1)  # beside the question that raised it, nowhere else
    title = next(f.title for f in definition.ruleset.red_flags if f.id == FLAG)
    expect(alert).to_contain_text(title)
    for item_id in ("fever", DEEP):  # what was answered: the questions behind the flag, with the answer
        expect(alert).to_contain_text(definition.wording[item_id][1] + " Yes")
    expect(alert).not_to_contain_text(definition.wording["fever_with_stiff_neck"][1])  # "no" raised nothing
    expect(alert).to_contain_text("ring 999 now")
    depth = where(question_box(page, DEEP))["page"]
    assert depth > 2500, f"the question is only {depth} px down the page"
    assert_in_view(alert, "the alert")
    assert_in_view(question_box(page, DEEP).get_by_label("Yes", exact=True), "the answer just chosen")
    assert_bar_in_view(page)
    page.screenshot(path=str(shots / f"staff-intake-emergency-alert-{viewport['width']}.png"))
    assert axe_problems(page) == []

    for position in ("0", "document.body.scrollHeight / 2", "document.body.scrollHeight"):
        page.evaluate(f"window.scrollTo(0, {position})")
        assert_bar_in_view(page)
    assert_in_view(page.locator(".site-footer p").last, "the end of the page, scrolled to")  # room kept for the bar
    page.get_by_role("link", name="Go to the answer").click()
    assert_in_view(alert, "the alert, reached from the bar")

    with page.expect_navigation():
        page.locator("[data-emergency-bar]").get_by_role("button", name="Save now and call 999").click()
    assert_leads_with_999(page)
    expect(heading(page)).to_have_text(patient)
    page.screenshot(path=str(shots / f"staff-detail-emergency-{viewport['width']}.png"))
    assert axe_problems(page) == []
    row = stored(live, page)
    assert (row.disposition, row.complete, row.channel, row.patient_name) == ("emergency", False, "staff", patient)
    assert FLAG in row.red_flags


def test_keyboard_focus_stays_on_the_answer_and_the_alert_button_is_next(
    staff_page: StaffPage, live: Live, bundled_definition: Definition
) -> None:
    page = staff_page(PHONE)
    page.get_by_label("Patient's full name").fill("Test Patient Alert Keyboard")
    page.locator("#f-fever").focus()  # the "Yes" of the temperature question
    page.keyboard.press("Space")
    expect(question_box(page, "fever_with_stiff_neck")).to_be_visible()
    page.keyboard.press("Tab")  # into the stiff-neck question: arrow down to "No"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")  # into the rash question, on "Yes"
    rash_yes = question_box(page, DEEP).get_by_label("Yes", exact=True)
    expect(rash_yes).to_be_focused()
    page.keyboard.press("Space")
    alert = question_box(page, DEEP).get_by_role("alert")
    expect(alert).to_be_visible()
    expect(rash_yes).to_be_focused()  # the alert does not take the focus from the answer
    assert_in_view(alert, "the alert")
    page.keyboard.press("Tab")
    expect(alert.get_by_role("button", name="Save now and call 999")).to_be_focused()

    page.locator(".brand").focus()  # the first link after the skip links at the top of the page
    page.keyboard.press("Shift+Tab")
    skip = page.get_by_role("link", name="Skip to Save now and call 999")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#emergency-save")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert_leads_with_999(page)
    assert stored(live, page).disposition == "emergency"


def test_without_javascript_the_alert_is_beside_the_question_after_sending(
    staff_page: StaffPage, live: Live, bundled_definition: Definition, shots: Path
) -> None:
    definition = bundled_definition
    page = staff_page(PHONE, js=False)
    answer(page, definition.items["fever"], "yes")
    submit(page, "Save and see the result")  # the follow-up questions arrive
    expect(question_box(page, DEEP)).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="999")).to_have_count(0)
    answer(page, definition.items["fever_with_stiff_neck"], "no")
    answer(page, definition.items[DEEP], "yes")
    submit(page, "Save and see the result")  # an emergency, but no name yet: the page comes back

    summary = page.locator("#error-summary")
    expect(summary.get_by_role("link")).to_have_count(1)  # only the name stops the save; the rest can wait
    expect(summary).to_contain_text("Enter the patient's name")
    alert = question_box(page, DEEP).locator("[role=alert]")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text(definition.wording[DEEP][1] + " Yes")
    assert_bar_in_view(page)
    page.get_by_role("link", name="Go to the answer").click()
    assert_in_view(alert, "the alert, reached from the bar")
    page.screenshot(path=str(shots / "staff-intake-emergency-alert-no-js-390.png"))  # axe needs JavaScript: below

    page.get_by_label("Patient's full name").fill("Test Patient Alert No Script")
    with page.expect_navigation():
        page.locator("[data-emergency-bar]").get_by_role("button", name="Save now and call 999").click()
    assert_leads_with_999(page)
    row = stored(live, page)
    assert (row.disposition, row.complete, row.patient_name) == ("emergency", False, "Test Patient Alert No Script")


def test_save_now_without_a_name_asks_only_for_the_name_and_keeps_the_alert(
    staff_page: StaffPage, live: Live, bundled_definition: Definition
) -> None:
    definition = bundled_definition
    page = staff_page(PHONE)
    for item_id, value in {"fever": "yes", "fever_with_stiff_neck": "no", DEEP: "yes"}.items():
        answer(page, definition.items[item_id], value)
    expect(question_box(page, DEEP).get_by_role("alert")).to_be_visible()
    with page.expect_navigation():
        page.locator("[data-emergency-bar]").get_by_role("button", name="Save now and call 999").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_count(1)
    expect(page.get_by_role("alert").filter(has_text="Emergency: call 999 now")).to_have_count(1)  # once, not twice
    expect(question_box(page, DEEP).get_by_role("alert")).to_contain_text(definition.wording[DEEP][1] + " Yes")
    assert_bar_in_view(page)
    assert axe_problems(page) == []
    question_box(page, DEEP).get_by_role("alert").evaluate("el => { el.dataset.marker = 'server' }")
    page.evaluate(UPDATES_COUNTED)
    answer(page, definition.items["new_seizure"], "no")
    page.wait_for_function("() => window.updates > 0")
    expect(page.get_by_role("alert").filter(has_text="Emergency")).to_have_count(1)
    expect(question_box(page, DEEP).get_by_role("alert")).to_have_attribute("data-marker", "server")  # left as is

    summary.get_by_role("link").click()
    expect(page.get_by_label("Patient's full name")).to_be_focused()
    page.keyboard.type("Test Patient Alert Named Later")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert_leads_with_999(page)
    assert stored(live, page).patient_name == "Test Patient Alert Named Later"


def test_the_alert_follows_the_answers_and_is_not_repeated(
    staff_page: StaffPage, bundled_definition: Definition
) -> None:
    definition = bundled_definition
    page = staff_page(DESKTOP)
    for item_id, value in {"fever": "yes", "fever_with_stiff_neck": "no", DEEP: "yes"}.items():
        answer(page, definition.items[item_id], value)
    alert = question_box(page, DEEP).get_by_role("alert")
    expect(alert).to_be_visible()
    alert.evaluate("el => { el.dataset.marker = 'first' }")
    page.evaluate(UPDATES_COUNTED)
    answer(page, definition.items["generally_unwell"], "no")  # nothing new: the same alert, not read out again
    page.wait_for_function("() => window.updates > 0")
    expect(alert).to_have_attribute("data-marker", "first")

    answer(page, definition.items["fever_with_stiff_neck"], "yes")  # now behind the flag too: named, read out
    expect(alert).to_contain_text(definition.wording["fever_with_stiff_neck"][1] + " Yes")
    expect(alert).not_to_have_attribute("data-marker", "first")
    expect(page.get_by_role("alert")).to_have_count(1)

    answer(page, definition.items["fever"], "no")  # the follow-ups go, and with them the emergency
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator("[data-emergency-bar]")).to_be_hidden()
    expect(page.get_by_role("link", name="Skip to Save now and call 999")).to_be_hidden()
    expect(page.locator("[data-live]")).to_have_text("No emergency now: the alert has gone.")

    answer(page, definition.items["new_seizure"], "yes")  # another emergency, higher up: beside its question
    expect(question_box(page, "new_seizure").get_by_role("alert")).to_be_visible()
    assert_in_view(question_box(page, "new_seizure").get_by_role("alert"), "the alert")
    assert_bar_in_view(page)
