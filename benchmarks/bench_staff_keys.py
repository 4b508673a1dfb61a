"""Tab stops and keystrokes for a typical staff intake on the staff web form, before and after, side by side.

Run: python benchmarks/bench_staff_keys.py [--before 723f65b] [--after-tree .]

A keyboard-only receptionist fills in the staff intake (/staff/intake) with the answers of the physio example
(examples/physio_cervicogenic.yaml of each tree: a typical call, no red flags) in headless Chromium, and every
key press is counted: Tab to move, Space and arrow keys to choose, the characters typed, Enter for the skip
link and to save. The receptionist takes the skip link past the page header, then answers radio groups as
keyboard users do: Tab lands on the group, Space picks the first choice, each ArrowDown moves to (and picks)
the next one; a checkbox is a Tab stop of its own, ticked with Space. A separate pass counts the Tab stops on
the form with the same answers in: every press of Tab from the top of the page until the save button.

"Before" is the form as of commit 723f65b, checked out into a temporary git worktree and served from there;
"after" is the current tree. Each tree is served by its own ``screening serve`` (a subprocess, its own SQLite
database in a temporary folder, one staff account made with ``screening user add``), so the two never share
code. The figures are counts, not timings: they do not depend on the machine. Needs Debian's Chromium
(/usr/lib/chromium/chromium) and Playwright, as the browser tests do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the browser launch settings the tests use

from helpers.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (a test helper, found through the path above)

STAFF_NAME, STAFF_PASSWORD = "reception", "correct horse battery staple"
BEFORE = "723f65b"
MOST_TABS = 400  # per move: a page that needs more has lost the focus somewhere


@dataclass
class Intake:
    """The answers of one typical call, as typed and ticked on the form."""

    details: list[tuple[str, str]]  # (field name, the keys typed)
    answers: dict[str, list[str]]  # item id -> the values to tick or type


@dataclass
class Tally:
    keys: Counter[str] = field(default_factory=Counter)
    tab_stops: int = 0
    stop_kinds: Counter[str] = field(default_factory=Counter)
    shown: int = 0
    saved_at: str = ""
    details_kept: bool = False

    @property
    def total(self) -> int:
        return sum(self.keys.values())


def read_intake(tree: Path) -> Intake:
    """The physio example of that tree. PyYAML reads yes/no as booleans; the form wants the words back."""
    doc = yaml.safe_load((tree / "examples" / "physio_cervicogenic.yaml").read_text("utf-8"))

    def words(value: Any) -> list[str]:
        if isinstance(value, bool):
            return ["yes" if value else "no"]
        if isinstance(value, list):
            return [w for v in value for w in words(v)]
        return [str(value)]

    patient = doc.get("patient", {})
    born = patient.get("date_of_birth")
    details = [("name", str(patient.get("name", "Test Patient"))), ("contact", str(patient.get("contact", "")))]
    if isinstance(born, dt.date):
        details.append(("date_of_birth", born.strftime("%d/%m/%Y")))
    return Intake(details, {item: words(value) for item, value in doc["answers"].items()})


# ---------------------------------------------------------------------------------------------
# serving one tree


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def served(tree: Path) -> Iterator[str]:
    """``screening serve`` from ``tree`` with a fresh data folder and one staff account; yields the base URL."""
    with tempfile.TemporaryDirectory(prefix="bench-keys-") as data:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
        env["PYTHONPATH"] = str(tree)
        run = [sys.executable, "-m", "screening"]
        subprocess.run(
            [*run, "user", "add", STAFF_NAME, "--password-stdin", "--data", data],
            input=STAFF_PASSWORD + "\n",
            text=True,
            env=env,
            cwd=tree,
            check=True,
            capture_output=True,
        )
        port = _free_port()
        server = subprocess.Popen(
            [*run, "serve", "--port", str(port), "--data", data],
            env=env,
            cwd=tree,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(url + "/staff/login", timeout=2).close()
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        server.kill()
                        _, err = server.communicate()
                        raise SystemExit(f"the server from {tree} did not start:\n{err.decode()}") from None
                    time.sleep(0.2)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=20)


@contextmanager
def worktree_at(commit: str) -> Iterator[Path]:
    """The tree as of ``commit``, checked out into a temporary git worktree (removed afterwards)."""
    folder = Path(tempfile.mkdtemp(prefix="bench-keys-before-"))
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(folder), commit], check=True, capture_output=True
    )
    try:
        yield folder
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(folder)], capture_output=True)


# ---------------------------------------------------------------------------------------------
# the keyboard


class Keyboard:
    """Presses keys on the page and counts them by kind."""

    def __init__(self, page: Page, tally: Tally) -> None:
        self.page, self.tally = page, tally
        self.in_flight = 0
        page.on("request", lambda _: self._count(1))
        page.on("requestfinished", lambda _: self._count(-1))
        page.on("requestfailed", lambda _: self._count(-1))

    def _count(self, step: int) -> None:
        self.in_flight += step

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.tally.keys[{"Tab": "Tab", "Space": "Space", "Enter": "Enter"}.get(key, "arrows")] += 1

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.tally.keys["typed characters"] += len(text)

    def settle(self) -> None:
        """Wait for the form to ask the server which follow-up questions apply (it waits 50 ms after a change)."""
        self.page.wait_for_timeout(80)
        deadline = time.monotonic() + 10
        while self.in_flight > 0 and time.monotonic() < deadline:
            self.page.wait_for_timeout(20)

    def tab_into(self, selector: str) -> None:
        for _ in range(MOST_TABS):
            self.press("Tab")
            inside = self.page.evaluate(
                "sel => !!document.querySelector(sel)?.contains(document.activeElement)",
                selector,
            )
            if inside:
                return
        raise SystemExit(f"{MOST_TABS} presses of Tab did not reach {selector}")


def date_field_is_day_first(page: Page) -> bool:
    """Whether this Chromium's date field takes the day first (headless Chromium may use US order whatever
    the page's locale); tried on a page of its own, so no key here is counted."""
    probe = page.context.new_page()
    probe.set_content("<input type=date id=d>")
    probe.focus("#d")
    probe.keyboard.type("01021990")
    day_first: bool = probe.eval_on_selector("#d", "e => e.value") == "1990-02-01"
    probe.close()
    return day_first


def fill_by_keyboard(page: Page, intake: Intake, tally: Tally) -> None:
    keys = Keyboard(page, tally)
    keys.press("Tab")  # the first stop is the skip link: Enter takes the focus to the main content
    if page.evaluate("() => document.activeElement.classList.contains('skip-link')"):
        keys.press("Enter")
    for name, typed in intake.details:
        if not typed:
            continue
        keys.tab_into(f"#f-{name}")
        if page.get_attribute(f"#f-{name}", "type") == "date":  # digits only: the field moves on by itself
            day, month, year = typed.split("/")
            typed = day + month + year if date_field_is_day_first(page) else month + day + year
        keys.type(typed)
    order = page.eval_on_selector_all("[data-item]", "boxes => boxes.map(b => b.dataset.item)")
    for item_id in order:
        if item_id not in intake.answers:
            continue
        box = f'[data-item="{item_id}"]'
        page.wait_for_selector(f"{box}:not([hidden])", timeout=10_000)
        keys.tab_into(box)
        inputs: list[tuple[str, str]] = page.eval_on_selector_all(
            f"{box} input:not([type=hidden]), {box} textarea", "els => els.map(e => [e.type, e.value])"
        )
        wanted = intake.answers[item_id]
        kinds = {kind for kind, _ in inputs}
        if kinds == {"radio"}:
            index = [value for _, value in inputs].index(wanted[0])
            for key in ["Space"] if index == 0 else ["ArrowDown"] * index:
                keys.press(key)
        elif kinds == {"checkbox"}:
            values = [value for _, value in inputs]
            last = max(values.index(w) for w in wanted)
            for index, value in enumerate(values[: last + 1]):
                if index:
                    keys.press("Tab")
                if value in wanted:
                    keys.press("Space")
        else:
            keys.type(wanted[0])
        keys.settle()
    keys.tab_into("form.form--intake button[data-once]")


def count_tab_stops(page: Page, tally: Tally) -> None:
    """Press Tab from the top of the page until the save button has the focus; note what each stop was."""
    for _ in range(MOST_TABS):
        page.keyboard.press("Tab")
        kind, at_save = page.evaluate(
            """() => {
              const el = document.activeElement;
              const save = el.matches('form.form--intake button[data-once]');
              let kind = el.tagName.toLowerCase();
              if (el.type) kind += ':' + el.type;
              if (el.closest('header')) kind = 'header ' + kind;
              if (el.classList.contains('skip-link')) kind = 'skip link';
              return [kind, save];
            }"""
        )
        tally.tab_stops += 1
        tally.stop_kinds[kind] += 1
        if at_save:
            return
    raise SystemExit(f"{MOST_TABS} presses of Tab did not reach the save button")


SET_ANSWERS = """([answers, details]) => {
  for (const [name, value] of details) { const el = document.getElementById('f-' + name); if (el) el.value = value; }
  for (const [id, values] of Object.entries(answers)) {
    const box = document.querySelector(`[data-item="${id}"]`);
    if (!box) continue;
    for (const input of box.querySelectorAll('input, textarea')) {
      if (input.type === 'radio' || input.type === 'checkbox') input.checked = values.includes(input.value);
      else input.value = values[0];
    }
  }
  document.querySelector('form.form--intake').dispatchEvent(new Event('change', {bubbles: true}));
}"""


def measure(url: str, intake: Intake, browser: Any) -> Tally:
    tally = Tally()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(url + "/staff/login")
    page.get_by_label("User name").fill(STAFF_NAME)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()

    # 1. the Tab stops on the form with the typical answers in (filled by script, then Tab from the top)
    page.goto(url + "/staff/intake")
    iso = [
        (n, dt.datetime.strptime(v, "%d/%m/%Y").date().isoformat() if n == "date_of_birth" else v)
        for n, v in intake.details
    ]
    page.evaluate(SET_ANSWERS, [intake.answers, iso])
    page.wait_for_timeout(600)
    tally.shown = page.eval_on_selector_all("[data-item]:not([hidden])", "boxes => boxes.length")
    count_tab_stops(page, tally)

    # 2. the whole intake by keyboard, from a fresh page to the saved result
    page.goto(url + "/staff/intake")
    fill_by_keyboard(page, intake, tally)
    with page.expect_navigation():
        Keyboard(page, tally).press("Enter")
    tally.saved_at = page.url.removeprefix(url)
    born = next((v for n, v in intake.details if n == "date_of_birth"), "")
    iso_born = dt.datetime.strptime(born, "%d/%m/%Y").date().isoformat() if born else ""
    tally.details_kept = all(v in page.content() for v in (intake.details[0][1], iso_born))
    context.close()
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help=f"commit for 'before' (default {BEFORE})")
    parser.add_argument("--after-tree", type=Path, default=ROOT, help="tree for 'after' (default: this one)")
    args = parser.parse_args(argv)

    results: dict[str, Tally] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        with worktree_at(args.before) as before_tree:
            for label, tree in ((f"before ({args.before})", before_tree), ("after (this tree)", args.after_tree)):
                with served(tree) as url:
                    results[label] = measure(url, read_intake(tree), browser)
        browser.close()

    (b_label, before), (a_label, after) = results.items()
    rows = [
        ("questions on the form (shown)", before.shown, after.shown),
        ("Tab stops, top of page to Save", before.tab_stops, after.tab_stops),
        ("keystrokes: Tab", before.keys["Tab"], after.keys["Tab"]),
        ("keystrokes: Space", before.keys["Space"], after.keys["Space"]),
        ("keystrokes: arrows", before.keys["arrows"], after.keys["arrows"]),
        ("keystrokes: typed characters", before.keys["typed characters"], after.keys["typed characters"]),
        ("keystrokes: Enter", before.keys["Enter"], after.keys["Enter"]),
        ("keystrokes: total", before.total, after.total),
    ]
    width = max(len(r[0]) for r in rows) + 2
    print("Staff intake of the physio example by keyboard only (headless Chromium, 1280x900)")
    print(f"{'':<{width}}{b_label:>22}{a_label:>22}{'change':>10}")
    for name, old, new in rows:
        print(f"{name:<{width}}{old:>22}{new:>22}{new - old:>+10}")
    print()
    print("Where the Tab stops are (top of page to Save):")
    kinds = sorted(set(before.stop_kinds) | set(after.stop_kinds))
    for kind in kinds:
        print(f"  {kind:<{width - 2}}{before.stop_kinds[kind]:>22}{after.stop_kinds[kind]:>22}")
    print()
    for label, tally in results.items():
        kept = "name and date of birth shown" if tally.details_kept else "NAME OR DATE OF BIRTH MISSING"
        print(f"{label}: saved, landed on {tally.saved_at} ({kept})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
