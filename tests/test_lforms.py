"""A real FHIR client against our FHIR export: NLM's LHC-Forms (npm ``lforms``) in headless Chromium.

LHC-Forms is vendored in tests/lforms/vendor (version, origin and licence in its README.md) and loaded by
tests/lforms/harness.html, which this module serves from a local HTTP server; every request to anywhere else
is refused and reported as a problem. What is checked, on the bundled questionnaire exactly as
``screening.fhir.questionnaire_resource`` exports it (nothing is adjusted for LHC-Forms):

- it renders: ``LForms.Util.addFormToPage`` resolves, with no console errors or warnings, no page errors and no
  failed requests, every section appears as a group with its title, every question and display item is built,
  and every text reaches the form (except the known loss in KNOWN_LOST_TEXTS);
- skip logic: for 12-20 generated answer sets (``screening.sampling.sample_answers``, the generator behind
  tests/helpers/strategies.py, seeded; chosen from 300 so that every gated question is shown in one set and hidden in
  another, each answer of each question a gate reads occurs with the gated question shown and with it hidden
  where possible, and every disposition and likelihood grade occurs), the answers go into LHC-Forms as a
  QuestionnaireResponse
  from ``response_resource`` and the items LHC-Forms enables and puts on screen are exactly those our engine
  shows (``Definition.effective_values``). Questions gated by an SDC ``enableWhenExpression`` (FHIRPath) are
  included: LHC-Forms evaluates that extension. Loading answers as a QuestionnaireResponse cannot hide a
  difference: ours carries answers only for the questions our engine shows, so a question that LHC-Forms shows
  and we hide arrives unanswered and still counts as shown (the comparison is shown/hidden, never
  answered/unanswered). One more test clicks answers in as a person would and compares after every click;
- the QuestionnaireResponse LHC-Forms then exports is accepted by ``response_from_resource`` and
  ``parse_response(hidden="drop")``, gives back the same answers, and ``assess`` gives the same assessment JSON
  (all of it). The collected_at time is not compared: LHC-Forms stamps ``authored`` when it exports, and the
  assessment does not contain it. LHC-Forms leaves out author, subject and contained resources (the host
  application's business), so the answer sets are a patient's own (respondent "patient", no patient details).

Set SCREENING_SKIP_BROWSER=1 to skip these tests (as for tests/test_browser.py).
"""

from __future__ import annotations

import difflib
import functools
import http.server
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from helpers.chromium import MARKS, chromium
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Route, expect
from playwright.sync_api import Response as PlaywrightResponse

from screening.assessment import assessment_json
from screening.conditions import describe, items_read
from screening.definition import Definition
from screening.errors import ResponseError
from screening.fhir import questionnaire_resource, response_from_resource, response_resource
from screening.model import IntegerItem, MultiChoiceItem, ScaleItem, SingleChoiceItem, YesNoItem
from screening.response import parse_response
from screening.sampling import RandomChooser, sample_answers
from screening.scorer import assess

pytestmark = MARKS

HERE = Path(__file__).parent / "lforms"
LFORMS_VERSION = "40.1.3"  # the vendored copy; see tests/lforms/vendor/README.md
# An open finding, reported rather than worked around: LHC-Forms 40.1.3 makes every display child that carries
# an itemControl (other than unit and legal) the question's one help text, the last one winning. A scale's labels
# are exported as two such children (itemControl lower, then upper), so the lower label never reaches the screen
# (and the upper one shows as a "?" help popover). Take an entry out once screening.fhir exports it in a way
# LHC-Forms keeps; any other lost text fails the test.
KNOWN_LOST_TEXTS: set[str] = set()
ENABLE_WHEN_EXPRESSION = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression"
CHECKED = re.compile(r"\bant-(radio|checkbox)-wrapper-checked\b")
COLLECTED_AT = "2026-01-01T09:00:00+00:00"
MIN_ANSWER_SETS, MAX_ANSWER_SETS = 12, 20  # about 0.6 s each in LHC-Forms
CANDIDATES = 300  # generated answer sets to choose from (about 0.2 s)


# ---------------------------------------------------------------------------------------------
# answer sets


def native_document(definition: Definition, answers: dict[str, Any]) -> dict[str, Any]:
    q = definition.questionnaire
    return {"questionnaire": q.id, "version": q.version, "collected_at": COLLECTED_AT, "answers": answers}


def shown_items(definition: Definition, answers: dict[str, Any]) -> set[str]:
    _, shown = definition.effective_values(answers)
    return {item_id for item_id, is_shown in shown.items() if is_shown is True}


def candidate_answers(definition: Definition) -> list[dict[str, Any]]:
    """CANDIDATES seeded answer sets, a third each with "no" to yes/no questions about 0, 70 and 95% of the time."""
    return [
        sample_answers(definition, RandomChooser(seed, calm=(0.0, 0.7, 0.95)[seed % 3])) for seed in range(CANDIDATES)
    ]


def coverage(definition: Definition, answers: dict[str, Any]) -> set[tuple[Any, ...]]:
    """What one answer set exercises: each gated question shown or hidden, together with each answer (each
    option ticked or not, for multiple choice) of the questions its gate reads; and disposition and likelihood."""
    assessment = assess(definition, parse_response(native_document(definition, answers), definition))
    shown = shown_items(definition, answers)
    covers: set[tuple[Any, ...]] = {("disposition", assessment.disposition.value)}
    covers.add(("likelihood", assessment.likelihood.grade.value))
    for item_id, _ in definition.gated:
        state = item_id in shown
        covers.add((item_id, state))
        gate = definition.items[item_id].enable_when
        for read in items_read(gate) if gate is not None else ():
            item, value = definition.items[read], answers.get(read)
            if isinstance(item, MultiChoiceItem) and isinstance(value, list):
                covers |= {(item_id, read, o.code, o.code in value, state) for o in item.options}
            elif isinstance(value, str):
                covers.add((item_id, read, value, state))
    return covers


def choose_answer_sets(definition: Definition, pool: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Greedily the answer sets that add the most coverage not yet had, until nothing more is to be had (at most
    MAX_ANSWER_SETS), then the next ones in the pool up to MIN_ANSWER_SETS."""
    covering = [coverage(definition, answers) for answers in pool]
    chosen: list[int] = []
    covered: set[Any] = set()
    while len(chosen) < MAX_ANSWER_SETS:
        gain, first = max((len(covers - covered), -k) for k, covers in enumerate(covering) if k not in chosen)
        if gain == 0:
            break
        chosen.append(-first)
        covered |= covering[-first]
    chosen += [k for k in range(len(pool)) if k not in chosen][: max(0, MIN_ANSWER_SETS - len(chosen))]
    return [pool[k] for k in chosen]


# ---------------------------------------------------------------------------------------------
# the harness page, served locally, in Chromium


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def harness_url() -> Iterator[str]:
    """tests/lforms over http://127.0.0.1 (module scripts do not load from file://)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(HERE)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/harness.html"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium, closed at the end of this module (Playwright's loop must not outlive these tests)."""
    with chromium() as launched:
        yield launched


@dataclass
class LForms:
    """The harness page, and every problem the page reported since the last ``take_problems``."""

    page: Page
    problems: list[str] = field(default_factory=list)

    def take_problems(self) -> list[str]:
        taken, self.problems[:] = list(self.problems), []
        return taken

    def render(self, questionnaire: dict[str, Any], response: dict[str, Any] | None = None) -> None:
        result = self.page.evaluate("([q, r]) => harness.render(q, r)", [questionnaire, response])
        self.problems += [f"addFormToPage failed: {message}" for message in result["errors"]]
        assert result["ok"], f"LHC-Forms did not render the questionnaire: {result['errors']}"

    def items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.page.evaluate("harness.items()")
        return items

    def response(self) -> dict[str, Any]:
        response: dict[str, Any] = self.page.evaluate("harness.response()")
        return response

    def settle(self) -> None:
        self.page.evaluate("harness.settle()")


@pytest.fixture(scope="module")
def lforms(browser: Browser, harness_url: str) -> Iterator[LForms]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    harness = LForms(page)
    local = harness_url.rsplit("/", 1)[0] + "/"

    def only_local(route: Route, request: Request) -> None:
        if request.url.startswith(local) or request.url.startswith("data:"):
            route.continue_()
        else:
            harness.problems.append(f"request to {request.url} (refused: nothing may load from outside)")
            route.abort()

    def console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            harness.problems.append(f"console {message.type}: {message.text}")

    def failed(response: PlaywrightResponse) -> None:
        if response.status >= 400:
            harness.problems.append(f"HTTP {response.status}: {response.url}")

    context.route("**/*", only_local)
    page.on("console", console)
    page.on("response", failed)
    page.on("pageerror", lambda error: harness.problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda r: harness.problems.append(f"request failed: {r.url} ({r.failure})"))
    page.goto(harness_url)
    page.wait_for_function("window.harnessReady && window.LForms && LForms.FHIR && LForms.FHIR.R4")
    assert page.evaluate("harness.version()") == LFORMS_VERSION, "the vendored LHC-Forms is not the one named here"
    assert not harness.problems, "loading LHC-Forms:\n" + "\n".join(harness.problems)
    yield harness
    context.close()


@pytest.fixture(scope="module")
def questionnaire(bundled: Definition) -> dict[str, Any]:
    return questionnaire_resource(bundled)


@pytest.fixture(scope="module")
def pool(bundled: Definition) -> list[dict[str, Any]]:
    return candidate_answers(bundled)


@pytest.fixture(scope="module")
def answer_sets(bundled: Definition, pool: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return choose_answer_sets(bundled, pool)


@dataclass
class Run:
    """One answer set after a trip through LHC-Forms."""

    answers: dict[str, Any]
    items: list[dict[str, Any]]
    response: dict[str, Any]
    problems: list[str]


@pytest.fixture(scope="module")
def runs(
    bundled: Definition, questionnaire: dict[str, Any], answer_sets: list[dict[str, Any]], lforms: LForms
) -> list[Run]:
    """Each answer set loaded into LHC-Forms as our QuestionnaireResponse: what it shows, and what it exports."""
    out = []
    lforms.take_problems()
    for answers in answer_sets:
        ours = parse_response(native_document(bundled, answers), bundled)
        lforms.render(questionnaire, response_resource(bundled, ours))
        out.append(Run(answers, lforms.items(), lforms.response(), lforms.take_problems()))
    return out


# ---------------------------------------------------------------------------------------------
# comparing


def visibility_differences(definition: Definition, answers: dict[str, Any], items: list[dict[str, Any]]) -> list[str]:
    """Every item (question or display text) whose visibility in LHC-Forms differs from our engine's."""
    ours = shown_items(definition, answers)
    theirs = {item["linkId"]: item for item in items}
    out = []
    for item_id in definition.items:
        item = theirs.get(item_id)
        if item is None:
            out.append(f"{item_id}: not built by LHC-Forms at all")
            continue
        if item["enabled"] != item["onScreen"]:
            out.append(f"{item_id}: LHC-Forms has it enabled={item['enabled']} but on screen={item['onScreen']}")
        if (item_id in ours) != item["onScreen"]:
            gate = definition.items[item_id].enable_when
            reads = {i: answers.get(i, "(no answer)") for i in items_read(gate)} if gate is not None else {}
            out.append(
                f"{item_id}: ours {'shows' if item_id in ours else 'hides'} it, "
                f"LHC-Forms {'shows' if item['onScreen'] else 'hides'} it; "
                f"gate: {describe(gate) if gate is not None else 'none'}; answers read: {reads}"
            )
    return out


def expression_gated(questionnaire: dict[str, Any]) -> list[str]:
    """linkIds whose enableWhen could only be exported as an SDC enableWhenExpression."""
    found = []

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            if any(e.get("url") == ENABLE_WHEN_EXPRESSION for e in item.get("extension", ())):
                found.append(item["linkId"])
            walk(item.get("item", []))

    walk(questionnaire["item"])
    return found


def answer_diff(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    def norm(value: Any) -> Any:
        return sorted(value) if isinstance(value, list) else value

    return [
        f"{item_id}: ours {ours.get(item_id, '(none)')!r}, via LHC-Forms {theirs.get(item_id, '(none)')!r}"
        for item_id in sorted(set(ours) | set(theirs))
        if norm(ours.get(item_id)) != norm(theirs.get(item_id))
    ]


def json_diff(ours: str, theirs: str) -> str:
    return "".join(difflib.unified_diff(ours.splitlines(True), theirs.splitlines(True), "ours", "via LHC-Forms", n=2))


# ---------------------------------------------------------------------------------------------
# the tests


@dataclass
class Rendered:
    problems: list[str]
    sections: list[dict[str, Any]]
    items: list[dict[str, Any]]


@pytest.fixture(scope="module")
def rendered(questionnaire: dict[str, Any], lforms: LForms) -> Rendered:
    """The questionnaire rendered with no answers."""
    lforms.take_problems()
    lforms.render(questionnaire)
    return Rendered(lforms.take_problems(), lforms.page.evaluate("harness.sections()"), lforms.items())


def test_renders_the_questionnaire_without_errors(bundled: Definition, rendered: Rendered) -> None:
    assert not rendered.problems, "LHC-Forms reported problems:\n" + "\n".join(rendered.problems)
    expected = [{"id": f"item-{s.id}/1", "title": s.title} for s in bundled.questionnaire.sections]
    assert rendered.sections == expected, "the sections on screen differ from the questionnaire's"
    # every item is built, and with no answers yet exactly the ungated ones show
    differences = visibility_differences(bundled, {}, rendered.items)
    assert not differences, "with no answers:\n" + "\n".join(differences)


def test_every_text_reaches_the_form(questionnaire: dict[str, Any], rendered: Rendered) -> None:
    """Each text in the export (sections, questions, display items, help and scale labels) is in LHC-Forms'
    form: as an item's text, or as the help text of the question it belongs to."""
    kept = {(item["linkId"], item["text"]) for item in rendered.items}
    kept |= {(item["helpLinkId"], item["help"]) for item in rendered.items if item["helpLinkId"]}
    help_of = {item["linkId"]: item["help"] or "" for item in rendered.items}
    lost = {}

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            question = item["linkId"].partition("__")[0]
            # a scale's end labels count as kept when the question's help shows them (LHC-Forms ignores the
            # lower/upper label controls, so the export repeats the ends in the help)
            if (item["linkId"], item["text"]) not in kept and item["text"] not in help_of.get(question, ""):
                lost[item["linkId"]] = item["text"]
            walk(item.get("item", []))

    walk(questionnaire["item"])
    assert set(lost) == KNOWN_LOST_TEXTS, (
        f"texts LHC-Forms does not keep: {lost}; known and reported: {sorted(KNOWN_LOST_TEXTS)} "
        "(if one is no longer lost, take it out of KNOWN_LOST_TEXTS)"
    )


def test_answer_sets_exercise_every_gate(bundled: Definition, answer_sets: list[dict[str, Any]]) -> None:
    """The comparison below is only as good as its answer sets: each gated question shown once and hidden once."""
    shown = [shown_items(bundled, answers) for answers in answer_sets]
    never_shown = [i for i, _ in bundled.gated if not any(i in s for s in shown)]
    never_hidden = [i for i, _ in bundled.gated if all(i in s for s in shown)]
    assert not never_shown and not never_hidden, f"never shown: {never_shown}; never hidden: {never_hidden}"


def test_skip_logic_matches_our_engine(bundled: Definition, questionnaire: dict[str, Any], runs: list[Run]) -> None:
    expressions = expression_gated(questionnaire)
    assert expressions, "expected at least one enableWhenExpression in the export (checked here, not excluded)"
    report = []
    for k, run in enumerate(runs):
        differences = visibility_differences(bundled, run.answers, run.items) + run.problems
        if differences:
            report.append(f"answer set {k}:\n  " + "\n  ".join(differences))
    assert not report, "LHC-Forms and our engine disagree on what is shown:\n" + "\n".join(report)


def test_lforms_response_imports_and_scores_identically(bundled: Definition, runs: list[Run]) -> None:
    report = []
    for k, run in enumerate(runs):
        expected = parse_response(native_document(bundled, run.answers), bundled)
        try:
            document = response_from_resource(bundled, run.response, source=f"LHC-Forms response {k}")
            imported = parse_response(document, bundled, hidden="drop", source=f"LHC-Forms response {k}")
        except ResponseError as exc:
            report.append(f"answer set {k}: rejected: {exc}\n{json.dumps(run.response, indent=1)[:3000]}")
            continue
        problems = answer_diff(expected.answers, imported.answers)
        for name in ("questionnaire", "version", "respondent", "patient"):
            if getattr(expected, name) != getattr(imported, name):
                problems.append(f"{name}: ours {getattr(expected, name)!r}, via LHC-Forms {getattr(imported, name)!r}")
        ours, theirs = assess(bundled, expected), assess(bundled, imported)
        if (ours.disposition, ours.likelihood.grade) != (theirs.disposition, theirs.likelihood.grade):
            problems.append(
                f"disposition/likelihood: ours {ours.disposition}/{ours.likelihood.grade}, "
                f"via LHC-Forms {theirs.disposition}/{theirs.likelihood.grade}"
            )
        if assessment_json(ours) != assessment_json(theirs):
            problems.append("assessment JSON differs:\n" + json_diff(assessment_json(ours), assessment_json(theirs)))
        if problems:
            report.append(f"answer set {k}:\n  " + "\n  ".join(problems))
    assert not report, "the QuestionnaireResponse from LHC-Forms does not score like our answers:\n" + "\n".join(report)


# ---------------------------------------------------------------------------------------------
# answering by clicking, as a person would


def gate_kinds(definition: Definition, questionnaire: dict[str, Any]) -> dict[tuple[Any, ...], str]:
    """One gated question per kind of gate: enableWhen or enableWhenExpression, enableBehavior, operators, and
    the kinds of question it reads (the first such question in the questionnaire)."""
    exported = {}

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            exported[item["linkId"]] = item
            walk(item.get("item", []))

    walk(questionnaire["item"])
    kinds: dict[tuple[Any, ...], str] = {}
    for item_id, _ in definition.gated:
        item = exported[item_id]
        gate = definition.items[item_id].enable_when
        assert gate is not None
        kind = (
            item_id in expression_gated(questionnaire),
            item.get("enableBehavior"),
            tuple(sorted({when["operator"] for when in item.get("enableWhen", ())})),
            tuple(sorted({definition.items[i].kind for i in items_read(gate)})),
        )
        kinds.setdefault(kind, item_id)
    return kinds


def controllers(definition: Definition, item_id: str) -> list[str]:
    """The questions that decide whether ``item_id`` shows, directly or through their own gates, in asking order."""
    found: set[str] = set()
    stack = [item_id]
    while stack:
        gate = definition.items[stack.pop()].enable_when
        for read in items_read(gate) if gate is not None else ():
            if read not in found:
                found.add(read)
                stack.append(read)
    return [i for i, _ in definition.order if i in found]


def click_answer(lforms: LForms, element_id: str, definition: Definition, item_id: str, value: Any) -> None:
    """Tick or type one answer into LHC-Forms' own controls, by their visible labels."""
    item = definition.items[item_id]
    box = lforms.page.locator(f'[id="item-{element_id}"]')
    if isinstance(item, IntegerItem | ScaleItem):
        field = box.locator("lhc-input input")
        field.fill(str(value))
        field.press("Tab")
        return
    if isinstance(item, YesNoItem):
        labels = {"yes": "Yes", "no": "No", **({"not_sure": "Not sure"} if item.allow_not_sure else {})}
    elif isinstance(item, SingleChoiceItem | MultiChoiceItem):
        labels = {o.code: o.label for o in item.options}
    else:
        raise AssertionError(f"no way to click an answer to {item_id} ({item.kind})")
    # ng-zorro's controls show their state as a class on the <label>; the native <input>'s checked stays false
    multi = isinstance(item, MultiChoiceItem)
    ticked = set(value) if multi else {value}
    for code, label in labels.items():
        control = box.locator("label.ant-radio-wrapper, label.ant-checkbox-wrapper").filter(
            has=lforms.page.get_by_text(label, exact=True)
        )
        if (code in ticked) != bool(CHECKED.search(control.get_attribute("class") or "")) and (multi or code in ticked):
            control.click()
            if code in ticked:
                expect(control).to_have_class(CHECKED)
            else:
                expect(control).not_to_have_class(CHECKED)
    lforms.settle()


def test_clicked_answers_drive_the_same_skip_logic(
    bundled: Definition, questionnaire: dict[str, Any], pool: list[dict[str, Any]], lforms: LForms
) -> None:
    """For one question per kind of gate: render a fresh form, click in the answers that open it (from one
    generated set), then change them to answers that close it (from another), comparing every item's visibility
    with our engine after each click; then LHC-Forms' QuestionnaireResponse must import to the clicked answers."""
    report = []
    for kind, target in gate_kinds(bundled, questionnaire).items():
        deciding = controllers(bundled, target)
        opens = next((a for a in pool if target in shown_items(bundled, a)), None)
        assert opens is not None, f"no generated answer set shows {target}"
        answered = {i for i in deciding if i in opens}
        closes = next(
            (a for a in pool if target not in shown_items(bundled, a) and answered <= {i for i in deciding if i in a}),
            None,
        )
        assert closes is not None, f"no generated answer set hides {target} while answering {sorted(answered)}"
        lforms.take_problems()
        lforms.render(questionnaire)
        element_ids = {item["linkId"]: item["elementId"] for item in lforms.items()}
        now: dict[str, Any] = {}
        for step, answers in (("opening", opens), ("closing", closes)):
            for item_id in deciding:
                if item_id not in answers:
                    continue
                click_answer(lforms, element_ids[item_id], bundled, item_id, answers[item_id])
                now[item_id] = answers[item_id]
                differences = visibility_differences(bundled, now, lforms.items()) + lforms.take_problems()
                if differences:
                    report.append(f"{target} {kind}, {step}, after answering {now}:\n  " + "\n  ".join(differences))
            assert (target in shown_items(bundled, now)) == (step == "opening"), f"{step} {target} did not work"
        try:
            document = response_from_resource(bundled, lforms.response())
            imported = parse_response(document, bundled, hidden="drop", partial=True).answers
        except ResponseError as exc:
            report.append(f"{target}: LHC-Forms' response after clicking was rejected: {exc}")
            continue
        expected = {i: v for i, v in now.items() if i in shown_items(bundled, now)}
        if differences := answer_diff(expected, imported):
            report.append(f"{target}: the clicked answers came back differently:\n  " + "\n  ".join(differences))
    assert not report, "clicking answers into LHC-Forms:\n" + "\n".join(report)
