"""The referral summary (``screening.report``): what the PDF says, PDF/A, attachments, reproducibility, safety.

PDFs are read back with poppler's ``pdftotext``, pypdf and ``qpdf --check``. Each example is rendered once per
module and shared; the clinical cases are rendered once through ``screening batch`` (both cores); the hostile-input
tests use the small ``mini`` definition, which has a free-text item.
"""

from __future__ import annotations

import contextlib
import html as html_module
import io
import json
import os
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pypdf
import pytest
import yaml
from fontTools.ttLib import TTFont
from helpers.definitions import MINI_QUESTIONNAIRE, MINI_RULES, write_definition
from helpers.pdfs import (
    assert_valid_pdf,
    catalog,
    embedded_files,
    flat,
    pdf_pages_text,
    pdfa_identification,
    qpdf_check,
    squeezed,
    xmp_root,
)
from markupsafe import escape
from pypdf.generic import BooleanObject

from screening.assessment import Assessment, assessment_json
from screening.cases import cases_path_for, load_cases
from screening.cli import main
from screening.definition import Definition
from screening.errors import DefinitionError, ResponseError, UsageError
from screening.fhir import response_from_resource
from screening.loader import default_questionnaire_path, load_definition
from screening.reading import load_response
from screening.report import (
    REPORTS,
    Renderer,
    _fetcher_class,
    generated_at_from,
    load_clinic_settings,
    render_html,
    render_pdf,
    write_atomic,
)
from screening.response import Response, parse_response, response_json
from screening.scorer import assess

Capture = pytest.CaptureFixture[str]

# WeasyPrint 70 opens its sRGB profile for every PDF/A document and never closes it; CPython closes it when the
# document is freed and warns. Ignore exactly that warning, so `filterwarnings = error` still catches the rest.
pytestmark = pytest.mark.filterwarnings(
    r"ignore:Exception ignored in. <_io.FileIO name='[^']*sRGB2014\.icc':pytest.PytestUnraisableExceptionWarning"
)

ROOT = Path(__file__).parent.parent
EXAMPLES_DIR = ROOT / "examples"
CASES = load_cases(cases_path_for(default_questionnaire_path()))
CASE_IDS = [f"case{k + 1:02d}" for k in range(len(CASES))]
WHEN = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
WHEN_TEXT = "2026-11-21T12:00:00Z"

# The outcome line of the report for each disposition, written out here rather than read from report.py.
# The label a GP sees first, and the plain-words line under it (the ruleset's own title follows the label).
OUTCOME_WORDS = {
    "emergency": ("EMERGENCY", "Send to hospital now (999 / A&E)."),
    "urgent_gp": ("URGENT", "Same-day medical assessment."),
    "routine_gp": ("GP REVIEW", "Routine GP review."),
    "physio_assessment": ("PHYSIOTHERAPY", "Suitable for physiotherapy assessment."),
    "self_care": ("SELF-CARE", "Self-care with safety-netting."),
}


STATUS_WORDS = {"met": "Met", "not_met": "Not met", "unknown": "Unknown"}
# What the letter asks of the doctor reading it: the start of the request, written out here.
ASKS = {
    "emergency": "What we ask of you: The patient has been told to call 999 or go to A&E now.",
    "urgent_gp": "What we ask of you: Please see the patient today for the red flags below",
    "routine_gp": "What we ask of you: Please review the patient within about 1–2 weeks",
    "physio_assessment": "What we ask of you: No action is needed: this is for your information.",
    "self_care": "What we ask of you: No action is needed now: this is for your information.",
}
# an outcome that rests only on red flags not ruled out is a same-day check, not a same-day GP visit
UNSURE_WORDS = ("SAME-DAY CHECK", "Same-day check of safety answers that could not be ruled out.")
UNSURE_ASK = "What we ask of you: Some warning signs could not be ruled out"


def outcome_lines(assessment: Assessment) -> tuple[str, str, str]:
    label, words = OUTCOME_WORDS[assessment.disposition.value]
    ask = ASKS[assessment.disposition.value]
    if assessment.next_step.checks_undecided_flags:
        (label, words), ask = UNSURE_WORDS, UNSURE_ASK
    return f"{label} — {flat(assessment.next_step.title)}", words, ask


# Three examples answered by the patient and one (not_sure_red_flag) by staff, so both wordings are checked.
EXAMPLES = {
    "emergency_thunderclap": "emergency",
    "gp_medication_overuse": "routine_gp",
    "physio_cervicogenic": "physio_assessment",
    "not_sure_red_flag": "urgent_gp",
}


@dataclass(frozen=True)
class Rendered:
    name: str
    source: Path
    response: Response
    assessment: Assessment
    pdf: bytes
    pages: list[str]  # pdftotext of each page

    @property
    def text(self) -> str:
        return flat("\n".join(self.pages))


@pytest.fixture(scope="module")
def examples(bundled: Definition, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    """Each example rendered once, with the process-wide renderer, the default clinic and a fixed time."""
    folder = tmp_path_factory.mktemp("examples")
    rendered = {}
    for name in EXAMPLES:
        source = EXAMPLES_DIR / f"{name}.yaml"
        response = load_response(source, bundled)
        assessment = assess(bundled, response)
        pdf = render_pdf(bundled, response, assessment, generated_at=WHEN)
        rendered[name] = Rendered(name, source, response, assessment, pdf, pdf_pages_text(pdf, folder, name))
    return rendered


@pytest.fixture(scope="module")
def own_renderer() -> Renderer:
    """A renderer for this module alone, so its fetcher's records hold only what these tests asked for."""
    return Renderer()


def served_outside_reports(urls: list[str]) -> list[str]:
    """The URLs that are not files under reports/."""
    root = REPORTS.resolve()
    local = [(u, urlsplit(u)) for u in urls]
    return [
        u
        for u, parts in local
        if parts.scheme != "file" or not Path(unquote(parts.path)).resolve().is_relative_to(root)
    ]


# ---------------------------------------------------------------------------------------------
# What the PDF says


@pytest.mark.parametrize("name", EXAMPLES)
def test_pdf_states_the_outcome_and_what_to_do(name: str, examples: dict[str, Rendered]) -> None:
    ex = examples[name]
    assert ex.assessment.disposition.value == EXAMPLES[name]
    first_page = flat(ex.pages[0])
    for line in outcome_lines(ex.assessment):
        assert line in first_page
    assert f"Time frame: {flat(ex.assessment.next_step.time_frame)}" in first_page
    assert "booked" not in ex.text, "the screening books nothing, and the referral must not say it did"


@pytest.mark.parametrize("name", EXAMPLES)
def test_pdf_lists_every_red_flag_raised_and_to_check(name: str, examples: dict[str, Rendered]) -> None:
    ex = examples[name]
    if ex.assessment.red_flags:
        assert f"Red flags raised ({len(ex.assessment.red_flags)})" in ex.text
    elif ex.assessment.to_check:  # never a bare "none" while something is still to check
        assert "None of the red flags in this questionnaire was raised." not in ex.text
        assert f"No red flag was raised, but {len(ex.assessment.to_check)} could not be ruled out" in ex.text
    else:
        assert "None of the red flags in this questionnaire was raised." in ex.text
    for flag in ex.assessment.red_flags:
        assert flat(flag.title) in ex.text
    if ex.assessment.to_check:
        assert f"staff must check ({len(ex.assessment.to_check)})" in ex.text
    for flag in ex.assessment.to_check:
        assert flat(flag.title) in ex.text
    if name == "emergency_thunderclap":
        assert len(ex.assessment.red_flags) >= 2, "the emergency example should raise several flags"
    if name == "not_sure_red_flag":
        assert ex.assessment.to_check, "the not-sure example should list a flag for staff to check"


@pytest.mark.parametrize("name", EXAMPLES)
def test_pdf_names_the_patient(name: str, examples: dict[str, Rendered]) -> None:
    ex = examples[name]
    patient = ex.response.patient
    assert patient is not None and patient.name
    assert f"Patient {patient.name}" in flat(ex.pages[0])
    if name == "physio_cervicogenic":
        assert "Date of birth 14 Mar 1979" in flat(ex.pages[0])
        assert "Contact 01632 960123" in flat(ex.pages[0])


@pytest.mark.parametrize("name", EXAMPLES)
def test_pdf_shows_every_answered_question_in_the_respondents_wording(
    name: str, examples: dict[str, Rendered], bundled: Definition
) -> None:
    ex = examples[name]
    staff = ex.response.respondent == "staff"
    answered = [read.item for read in ex.assessment.answers if read.status in ("answered", "not_sure")]
    assert len(answered) >= 40, "the examples answer most of the questionnaire"
    wording = {i: (bundled.items[i].patient, bundled.items[i].staff) for i in answered}
    missing = [
        i for i, (patient, staff_words) in wording.items() if flat(staff_words if staff else patient) not in ex.text
    ]
    assert not missing, f"questions missing from the PDF ({'staff' if staff else 'patient'} wording): {missing}"
    other = [
        i
        for i, (patient, staff_words) in wording.items()
        if (patient if staff else staff_words) not in (staff_words if staff else patient)
        and flat(patient if staff else staff_words) in ex.text
    ]
    assert not other, f"questions printed in the wrong wording: {other}"
    heading = "Questions and answers (staff wording)" if staff else "Questions and answers (patient wording)"
    assert heading in ex.text


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_page_has_its_number_the_statement_and_the_provenance(name: str, examples: dict[str, Rendered]) -> None:
    ex = examples[name]
    count = len(ex.pages)
    assert count == pypdf.PdfReader(io.BytesIO(ex.pdf)).get_num_pages()
    p = ex.assessment.provenance
    provenance = (
        f"Questionnaire {p.questionnaire_id} {p.questionnaire_version} ({p.questionnaire_sha256[:12]})",
        f"rules {p.ruleset_id} {p.ruleset_version} ({p.ruleset_sha256[:12]})",
        f"engine {p.engine_version}",
        "generated 21 Nov 2026, 12:00 GMT",  # the clinic's time zone (Europe/London): GMT in November
    )
    assert "not a diagnosis" in ex.assessment.statement
    for number, page in enumerate(ex.pages, start=1):
        text = flat(page)
        assert f"Page {number} of {count}" in text
        assert flat(ex.assessment.statement) in text, f"page {number} lacks the screening-not-diagnosis statement"
        for part in provenance:
            assert part in text, f"page {number} footer lacks {part!r}"


# ---------------------------------------------------------------------------------------------
# Page 1 is the letter; the evidence follows in the appendix


@pytest.mark.parametrize("name", EXAMPLES)
def test_page_one_is_the_letter_and_the_appendix_follows(name: str, examples: dict[str, Rendered]) -> None:
    ex = examples[name]
    letter, appendix = flat(ex.pages[0]), flat("\n".join(ex.pages[1:]))
    likelihood = ex.assessment.likelihood
    grade = {"likely": "Likely", "possible": "Possible", "unlikely": "Unlikely"}.get(
        likelihood.grade.value, "Insufficient information"
    )
    assert f"Neck-related (cervicogenic) pattern: {grade} ({likelihood.points} of {likelihood.maximum} points" in letter
    assert "From: Physiotherapy Clinic" in letter
    for flag in (*ex.assessment.red_flags, *ex.assessment.to_check):
        assert flat(flag.title) in letter, f"{flag.id} is not on the letter"
    assert "Appendix" not in letter and "Questions and answers" not in letter
    assert appendix.startswith("Appendix"), "the appendix starts on page 2"
    for feature in ex.assessment.features:
        assert flat(feature.criterion) in appendix
    assert "Why: the rules that fired, and what they read" in appendix


def test_the_letter_says_who_completed_the_questions(bundled: Definition) -> None:
    def completed_by(name: str, who: str | None = None) -> str:
        response = load_response(EXAMPLES_DIR / f"{name}.yaml", bundled)
        html = render_html(bundled, response, assess(bundled, response), generated_at=WHEN, completed_by=who)
        found = re.search(r"<th scope=\"row\">Completed by</th><td>(.*?)</td>", html)
        assert found is not None
        return found.group(1)

    assert completed_by("physio_cervicogenic") == "The patient, online, 21 Nov 2026, 10:30 GMT"
    assert completed_by("not_sure_red_flag", "Jo Reception") == (
        "Jo Reception (clinic staff), with the patient, 21 Nov 2026, 10:30 GMT"
    )
    assert completed_by("not_sure_red_flag") == "Clinic staff, with the patient, 21 Nov 2026, 10:30 GMT"
    assert completed_by("not_sure_red_flag", "<b>Jo</b>") == (
        "&lt;b&gt;Jo&lt;/b&gt; (clinic staff), with the patient, 21 Nov 2026, 10:30 GMT"
    )


def test_the_letter_carries_the_nhs_number_and_gp_practice_when_given(examples: dict[str, Rendered]) -> None:
    letter = flat(examples["gp_medication_overuse"].pages[0])
    assert "NHS number 999 000 0018" in letter
    assert "GP practice Example Lane Surgery (fictional)" in letter
    for name in ("physio_cervicogenic", "emergency_thunderclap"):
        assert "NHS number" not in examples[name].text and "GP practice" not in examples[name].text


def test_the_letter_shows_medicine_days_against_the_overuse_thresholds(examples: dict[str, Rendered]) -> None:
    letter = flat(examples["gp_medication_overuse"].pages[0])
    assert "Headache and medicine days (overuse threshold):" in letter
    assert "Headache on 15 or more days a month: 20 days a month (threshold 15, at or over)" in letter
    assert "Other headache patterns considered:" in letter


ALL_RULED_OUT = (
    "Ruled out on screening: No sudden (thunderclap) or worst-ever headache; no neurological symptoms (weakness, "
    "numbness, speech or sight loss, double vision, dizziness, fits, confusion); no recent head or neck injury, neck "
    "manipulation or strain; no painful red eye or blurring or dimming of sight; no fever or feeling generally "
    "unwell; no pregnancy, cancer, weakened immunity or a joint condition affecting the neck; no others at home "
    "with the same headaches, or headaches that ease away from home; no change in the headache's pattern "
    "(different, steadily worse, or brought on by coughing, effort or lying down)."
)


def test_pertinent_negatives_are_one_sentence_on_the_letter(examples: dict[str, Rendered]) -> None:
    assert ALL_RULED_OUT in flat(examples["physio_cervicogenic"].pages[0])
    emergency = flat(examples["emergency_thunderclap"].pages[0])
    assert "sudden (thunderclap)" not in emergency.split("Ruled out on screening:")[-1]


def negatives_of(bundled: Definition, **changes: Any) -> str:
    """The pertinent-negatives sentence of the physio example with some answers changed (None: removed)."""
    data = yaml.safe_load((EXAMPLES_DIR / "physio_cervicogenic.yaml").read_text(encoding="utf-8"))
    for item, value in changes.items():
        if value is None:
            data["answers"].pop(item, None)
        else:
            data["answers"][item] = value
    response = parse_response(data, bundled, partial=True)
    html = render_html(bundled, response, assess(bundled, response), generated_at=WHEN)
    found = re.search(r"<strong>Ruled out on screening:</strong> (.*?)</p>", html)
    return html_module.unescape(found.group(1)) if found else ""


def test_a_negative_is_claimed_only_when_every_question_behind_it_was_answered_no(bundled: Definition) -> None:
    assert negatives_of(bundled) == ALL_RULED_OUT.removeprefix("Ruled out on screening: ")
    assert "fever" not in negatives_of(bundled, fever="yes")
    # flags that share a phrase count together: one question left open among them keeps the phrase out
    assert "neurological" not in negatives_of(bundled, new_numbness=None)
    assert "neurological" not in negatives_of(bundled, new_double_vision="not_sure")
    assert "neurological" not in negatives_of(bundled, personality_change="yes")
    assert "worst-ever" not in negatives_of(bundled, worst_ever_headache="not_sure")
    assert "others at home" not in negatives_of(bundled, household_same_headaches="yes")
    assert "others at home" not in negatives_of(bundled, household_same_headaches=None)
    # the rest of the sentence stands
    assert "no sudden (thunderclap) or worst-ever headache" in negatives_of(bundled, fever="yes").lower()


def test_times_are_in_the_clinic_time_zone_with_bst_in_summer(bundled: Definition) -> None:
    response = load_response(EXAMPLES_DIR / "physio_cervicogenic.yaml", bundled)
    summer = response.model_copy(update={"collected_at": datetime(2026, 7, 1, 9, 30, tzinfo=UTC)})
    html = render_html(bundled, summer, assess(bundled, summer), generated_at=datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    assert "The patient, online, 01 Jul 2026, 10:30 BST" in html
    assert "Generated 01 Jul 2026, 13:00 BST" in html
    assert "UTC" not in html


# ---------------------------------------------------------------------------------------------
# PDF/A-3b, tagged, with metadata


@pytest.mark.parametrize("name", EXAMPLES)
def test_pdf_is_tagged_pdfa_3b_with_document_metadata(name: str, examples: dict[str, Rendered], tmp_path: Path) -> None:
    ex = examples[name]
    assert pdfa_identification(ex.pdf) == ("3", "B")
    root: Any = catalog(ex.pdf)  # pypdf types each entry loosely
    assert root["/MarkInfo"].get_object()["/Marked"] == BooleanObject(True)
    assert "/StructTreeRoot" in root
    assert str(root.get("/Lang")) == "en-GB"
    intents = [intent.get_object() for intent in root["/OutputIntents"]]
    assert any(intent["/S"] == "/GTS_PDFA1" and "/DestOutputProfile" in intent for intent in intents)
    info = pypdf.PdfReader(io.BytesIO(ex.pdf)).metadata
    assert info is not None
    assert info.title == "Headache screening summary"  # the patient's name is never metadata (see below)
    assert info.author == "Physiotherapy Clinic"
    assert info.subject and "Screening, not a diagnosis" in info.subject
    check = qpdf_check(ex.pdf, tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No syntax or stream encoding errors" in check.stdout


# ---------------------------------------------------------------------------------------------
# Attachments


@pytest.mark.parametrize("name", EXAMPLES)
def test_attachments_are_the_assessment_and_the_response(
    name: str, examples: dict[str, Rendered], bundled: Definition, capsys: Capture
) -> None:
    ex = examples[name]
    files = embedded_files(ex.pdf)
    assert [(f.name, f.relationship) for f in files] == [
        ("assessment.json", "/Data"),
        ("response.json", "/Source"),
        ("questionnaire-response.json", "/Alternative"),
    ]
    assessment, response = files[0].data.decode("utf-8"), files[1].data.decode("utf-8")
    assert assessment == assessment_json(assess(bundled, ex.response))
    assert response == response_json(ex.response)
    # the FHIR QuestionnaireResponse reads back to the same answers
    fhir = json.loads(files[2].data)
    assert fhir["resourceType"] == "QuestionnaireResponse"
    back = parse_response(response_from_resource(bundled, fhir), bundled)
    assert back.answers == ex.response.answers
    assert main(["score", "--json", str(ex.source)]) == 0
    assert capsys.readouterr().out == assessment
    # the catalog's associated files are exactly these three file specifications
    root: Any = catalog(ex.pdf)  # pypdf types each entry loosely
    specs = {ref.idnum for ref in root["/AF"]}
    names = root["/Names"].get_object()["/EmbeddedFiles"].get_object()["/Names"]
    assert specs == {ref.idnum for ref in names[1::2]}


# ---------------------------------------------------------------------------------------------
# Reproducible output


def test_same_input_and_time_give_the_same_bytes(examples: dict[str, Rendered], bundled: Definition) -> None:
    ex = examples["physio_cervicogenic"]
    again = render_pdf(bundled, ex.response, ex.assessment, generated_at=WHEN)
    fresh = render_pdf(bundled, ex.response, assess(bundled, ex.response), generated_at=WHEN, using=Renderer())
    assert again == ex.pdf
    assert fresh == ex.pdf


def test_a_different_generated_at_changes_the_bytes(examples: dict[str, Rendered], bundled: Definition) -> None:
    ex = examples["physio_cervicogenic"]
    later = render_pdf(bundled, ex.response, ex.assessment, generated_at=WHEN.replace(hour=13))
    assert later != ex.pdf
    info = pypdf.PdfReader(io.BytesIO(later)).metadata
    assert info is not None and info.creation_date == WHEN.replace(hour=13)


def test_rendering_leaves_source_date_epoch_as_it_was(
    examples: dict[str, Rendered], bundled: Definition, monkeypatch: pytest.MonkeyPatch
) -> None:
    ex = examples["physio_cervicogenic"]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234567890")
    assert render_pdf(bundled, ex.response, ex.assessment, generated_at=WHEN) == ex.pdf
    assert os.environ["SOURCE_DATE_EPOCH"] == "1234567890"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    render_pdf(bundled, ex.response, ex.assessment, generated_at=WHEN)
    assert "SOURCE_DATE_EPOCH" not in os.environ


def test_report_command_with_generated_at_writes_identical_files(
    examples: dict[str, Rendered], tmp_path: Path, capsys: Capture
) -> None:
    source = EXAMPLES_DIR / "physio_cervicogenic.yaml"
    first, second = tmp_path / "first.pdf", tmp_path / "second.pdf"
    assert main(["report", str(source), "-o", str(first), "--generated-at", WHEN_TEXT]) == 0
    assert main(["report", str(source), "-o", str(second), "--generated-at", WHEN_TEXT]) == 0
    out = capsys.readouterr().out
    assert f"{first}: physio_assessment" in out
    assert first.read_bytes() == second.read_bytes() == examples["physio_cervicogenic"].pdf


def test_generated_at_comes_from_the_option_then_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")
    assert generated_at_from(None) == datetime.fromtimestamp(1795000000, UTC)
    assert generated_at_from("") == datetime.fromtimestamp(1795000000, UTC)
    assert generated_at_from(WHEN_TEXT) == WHEN
    assert generated_at_from("2026-11-21T12:00:00") == WHEN, "a time without a zone is UTC"
    assert generated_at_from("2026-11-21T13:00:00+01:00") == WHEN
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(UsageError, match=r"\[SCR804\] SOURCE_DATE_EPOCH='yesterday' is not a whole number"):
        generated_at_from(None)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    now = generated_at_from(None)
    assert now.tzinfo is not None and now.utcoffset() == UTC.utcoffset(None) and now.microsecond == 0


@pytest.mark.parametrize(
    ("option", "epoch", "message"),
    [
        ("0001-01-01T00:00:00+05:00", None, "[SCR803] --generated-at: '0001-01-01T00:00:00+05:00' is not between 1900"),
        ("9999-12-31T23:59:59-05:00", None, "[SCR803] --generated-at: '9999-12-31T23:59:59-05:00' is not between 1900"),
        (None, "99999999999999", "[SCR804] SOURCE_DATE_EPOCH='99999999999999' is not between 1900 and 2199"),
        (None, "-" + "9" * 30, "is not between 1900 and 2199"),
    ],
)
def test_a_generated_at_the_calendar_cannot_print_is_refused(
    monkeypatch: pytest.MonkeyPatch, option: str | None, epoch: str | None, message: str
) -> None:
    if epoch is not None:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    with pytest.raises(UsageError, match=re.escape(message)):
        generated_at_from(option)


def test_report_command_rejects_a_bad_generated_at(tmp_path: Path, capsys: Capture) -> None:
    output = tmp_path / "out.pdf"
    code = main(["report", str(EXAMPLES_DIR / "physio_cervicogenic.yaml"), "-o", str(output), "--generated-at", "soon"])
    err = capsys.readouterr().err
    assert code == 64, "a bad option value is a usage error"
    assert "[SCR803] --generated-at: 'soon' is not an ISO 8601 time" in err and "Traceback" not in err
    assert not output.exists()


# ---------------------------------------------------------------------------------------------
# Hostile answers and names


def mini_response(mini: Definition, notes: str, name: str | None = None, contact: str | None = None) -> Response:
    data: dict[str, Any] = {
        "questionnaire": "mini",
        "version": "1.2.0",
        "respondent": "patient",
        "collected_at": "2026-11-21T10:00:00Z",
        "patient": {"name": name, "contact": contact},
        "answers": {"neck_pain": "yes", "neck_side": "left", "notes": notes},
    }
    return parse_response(data, mini)


class Elements(HTMLParser):
    """Every element and all text of an HTML document, as a browser-like tokenizer sees them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()
        self.data: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.data.append(data)


HOSTILE = {
    "img_file": '<img src="file:///etc/passwd">',
    "stylesheet_http": '<link rel=stylesheet href="http://example.invalid/x.css">',
    "attachment_file": '<link rel="attachment" href="file:///etc/passwd">',
    "style_url": "<style>body{background:url(http://example.invalid/a.png)}</style>",
    "table_breakout": "</td></tr></table><h1>INJECTED</h1>",
    "template_syntax": "{{ 7 * 7 }} {% if true %}x{% endif %} ${7*7}",
    "quotes_and_ampersands": 'O\'Brien & "Sons" <b>',
    "arabic_hebrew": "ليلى حداد / נועה לוי",
    "greek_cyrillic_cjk": "Ελένη Παππά · Иван Петров · 山田 花子",
    "emoji": "Sunny Day 😀👍🏽🧠",
    "bidi_override": "Eve \u202egnp.exe\u202c Example",
}
# Markup payloads are read back from the PDF word for word. Right-to-left runs come back from pdftotext with
# embedding marks, and letters the bundled font lacks depend on the machine's fonts: those are tested below.
READ_BACK_LITERALLY = {key for key, payload in HOSTILE.items() if payload.isascii()}
BIDI_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e"))


@pytest.fixture(scope="module")
def plain_html(mini: Definition) -> str:
    response = mini_response(mini, "Plain note", name="Plain Name", contact="Plain contact")
    return render_html(mini, response, assess(mini, response), generated_at=WHEN)


@pytest.mark.parametrize("key", HOSTILE)
def test_hostile_text_is_printed_as_text_and_fetches_nothing(
    key: str, mini: Definition, plain_html: str, own_renderer: Renderer, tmp_path: Path
) -> None:
    payload = HOSTILE[key]
    response = mini_response(mini, payload, name=payload, contact=payload)
    assessment = assess(mini, response)
    html = render_html(mini, response, assessment, generated_at=WHEN)

    # escaped, and no element added or lost compared with a harmless answer
    assert str(escape(payload)) in html
    elements, plain = Elements(html), Elements(plain_html)
    assert elements.tags == plain.tags
    assert not {"img", "link", "style", "script", "b"} & set(elements.tags)
    assert sum(payload in chunk for chunk in elements.data) >= 3, "name, contact and the answer"

    refused, served = len(own_renderer.fetcher.refused), len(own_renderer.fetcher.served)
    pdf = render_pdf(mini, response, assessment, generated_at=WHEN, using=own_renderer)
    assert own_renderer.fetcher.refused[refused:] == []
    assert served_outside_reports(own_renderer.fetcher.served[served:]) == []

    assert_valid_pdf(pdf, tmp_path)
    files = embedded_files(pdf)
    assert [f.name for f in files] == ["assessment.json", "response.json", "questionnaire-response.json"]
    assert files[1].data.decode("utf-8") == response_json(response)
    if key in READ_BACK_LITERALLY:
        text = squeezed("\n".join(pdf_pages_text(pdf, tmp_path)))
        # the name cell is wide enough for every payload; long unbroken text elsewhere is tested below
        assert squeezed(payload) in text, "the payload is printed as text"


def test_greek_cyrillic_arabic_and_hebrew_names_keep_their_letters(
    mini: Definition, own_renderer: Renderer, tmp_path: Path
) -> None:
    name = "Ελένη Иван ليلى נועה"
    response = mini_response(mini, "note", name=name, contact=name)
    pdf = render_pdf(mini, response, assess(mini, response), generated_at=WHEN, using=own_renderer)
    # pdftotext marks right-to-left runs with embedding controls; the letters inside are in logical order
    text = "\n".join(pdf_pages_text(pdf, tmp_path)).translate(BIDI_MARKS)
    for word in name.split():
        assert text.count(word) >= 2, f"{word} should be printed as the name and the contact"


def test_no_personal_data_in_the_pdf_metadata(mini: Definition, own_renderer: Renderer) -> None:
    """Viewers, file indexes and mail previews show a PDF's title: it carries a reference, never the name."""
    name, contact = "Quentin Zabriskie-Oyelaran", "quentin.zo@example.invalid"
    response = mini_response(mini, "note", name=name, contact=contact)
    assessment = assess(mini, response)
    pdf = render_pdf(mini, response, assessment, generated_at=WHEN, using=own_renderer, reference="ab12cd34")
    info = pypdf.PdfReader(io.BytesIO(pdf)).metadata
    assert info is not None and info.title == "Headache screening summary — ab12cd34"
    xmp = ET.tostring(xmp_root(pdf), encoding="unicode")
    assert "ab12cd34" in xmp, "the XMP packet was read (it repeats the title)"
    info_text = " ".join(str(value) for value in info.values())
    for part in (*name.replace("-", " ").split(), contact):
        assert part not in info_text, f"{part!r} is in the document information dictionary"
        assert part not in xmp, f"{part!r} is in the XMP metadata"


NAMES_BY_SCRIPT = {
    "latin_extended": "Nguyễn Thị Hoa · Zoë Łukasz-Ørsted · Siobhán Ní Bhriain · Türkan Çelik",
    "greek": "Ελένη Παππά",
    "cyrillic": "Иван Петров",
    "arabic": "ليلى حداد",
    "hebrew": "נועה לוי",
    "cjk": "山田 花子",
}


@pytest.mark.parametrize("script", NAMES_BY_SCRIPT)
def test_the_report_font_draws_every_letter_of_a_name(script: str) -> None:
    """The stylesheet names only the bundled fonts (DejaVu Sans, then Droid Sans Fallback for Chinese, Japanese
    and Korean), so that output never depends on the machine. A letter missing from both is drawn with whatever
    font the machine happens to have, or as an empty box: on a referral a name must be readable everywhere."""
    name = NAMES_BY_SCRIPT[script]
    fallback = TTFont(REPORTS / "fonts" / "DroidSansFallback.ttf").getBestCmap()
    for font in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        cmap = TTFont(REPORTS / "fonts" / font).getBestCmap()
        missing = sorted({c for c in name if not c.isspace() and ord(c) not in cmap and ord(c) not in fallback})
        assert not missing, f"no bundled font has a glyph for {' '.join(missing)} in {name!r} (with {font})"
    css = (REPORTS / "referral.css").read_text(encoding="utf-8")
    assert 'font-family: "Report Sans", "Report CJK"' in css, "the fallback font must be in the font stack"


CONTROL = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n")


def test_control_characters_are_rejected_or_give_a_valid_pdf(
    mini: Definition, own_renderer: Renderer, tmp_path: Path
) -> None:
    payload = f"Ctrl{CONTROL}Name"
    try:
        response = mini_response(mini, payload, name=payload, contact=payload)
    except ResponseError as exc:  # rejecting them is fine, if the message says where
        assert "patient.name" in str(exc) or "notes" in str(exc)
        return
    assessment = assess(mini, response)
    html = render_html(mini, response, assessment, generated_at=WHEN)
    plain = mini_response(mini, "x", name="x", contact="x")
    assert Elements(html).tags == Elements(render_html(mini, plain, assess(mini, plain), generated_at=WHEN)).tags
    pdf = render_pdf(mini, response, assessment, generated_at=WHEN, using=own_renderer)
    assert [f.name for f in embedded_files(pdf)] == ["assessment.json", "response.json", "questionnaire-response.json"]
    assert_valid_pdf(pdf, tmp_path)


def body_text(pdf: bytes, folder: Path, statement: str) -> str:
    """The text of every page without the running footer (statement, provenance, page number), squeezed."""
    text = flat("\n".join(pdf_pages_text(pdf, folder)))
    text = text.replace(flat(statement), "")
    footer = r"Questionnaire \S+ \S+ \(\w+\) · rules .*? generated \d{1,2} \w{3} \d{4}, \d\d:\d\d [A-Z]{3}"
    text = re.sub(footer, "", text)
    return squeezed(re.sub(r"Page \d+ of \d+", "", text))


@pytest.fixture(scope="module")
def roomy(tmp_path_factory: pytest.TempPathFactory) -> Definition:
    """The mini definition with the longest free-text answer the model allows (2000 characters)."""
    folder = tmp_path_factory.mktemp("roomy")
    return load_definition(
        *write_definition(folder, MINI_QUESTIONNAIRE.replace("max_length: 200", "max_length: 2000"), MINI_RULES)
    )


def test_patient_details_longer_than_the_model_allows_are_rejected(mini: Definition) -> None:
    with pytest.raises(ResponseError) as name_error:
        mini_response(mini, "note", name="N" * 10_000)
    assert "'patient.name': string should have at most 200 characters" in str(name_error.value)
    with pytest.raises(ResponseError) as contact_error:
        mini_response(mini, "note", contact="C" * 201)
    assert "'patient.contact': string should have at most 200 characters" in str(contact_error.value)
    mini_response(mini, "note", name="N" * 200, contact="C" * 200)


def test_text_answers_longer_than_the_item_allows_are_rejected(
    mini: Definition, roomy: Definition, make_definition: Callable[..., Definition]
) -> None:
    with pytest.raises(ResponseError, match="item 'notes': answer is 201 characters long; at most 200"):
        mini_response(mini, "x" * 201)
    with pytest.raises(ResponseError, match="item 'notes': answer is 10000 characters long; at most 2000"):
        mini_response(roomy, "x" * 10_000)
    with pytest.raises(DefinitionError, match="item 'notes': input should be less than or equal to 2000"):
        make_definition(MINI_QUESTIONNAIRE.replace("max_length: 200", "max_length: 10000"), MINI_RULES, "huge")


def test_the_longest_allowed_answer_and_name_wrap_and_are_printed_in_full(
    roomy: Definition, own_renderer: Renderer, tmp_path: Path
) -> None:
    answer = " ".join(f"word{n:04d}" for n in range(223))[:2000]
    assert len(answer) == 2000
    name = answer[:200]
    response = mini_response(roomy, answer, name=name, contact=name)
    pdf = render_pdf(roomy, response, assess(roomy, response), generated_at=WHEN, using=own_renderer)
    assert_valid_pdf(pdf, tmp_path)
    text = body_text(pdf, tmp_path, "A screening aid, not a diagnosis.")
    assert text.count(squeezed(name)) >= 3, "name, contact and the start of the answer"
    assert squeezed(answer) in text


UNBROKEN = {
    # a link can wrap at its slashes and hyphens; a reference code, an unbroken name or answer cannot
    "url_in_answer": ("note", "See https://example.org/referrals/fictional-patient/letter-2026-11-21.pdf please"),
    "reference_in_answer": ("note", "Scan reference 7F3A9C2E41B06D58E9F1A2B3C4D5E6F708192A3B please see"),
    "longest_name": ("name", "".join(chr(ord("A") + n % 26) for n in range(200))),
    "email_contact": ("contact", "firstname.middlename.lastname.fictional@example-healthcare-provider.org.uk"),
    "longest_answer": ("note", "".join(chr(ord("a") + n % 26) for n in range(2000))),
}


@pytest.mark.parametrize("key", UNBROKEN)
def test_long_unbroken_text_wraps_instead_of_running_off_the_page(
    key: str, roomy: Definition, own_renderer: Renderer, tmp_path: Path
) -> None:
    """pdftotext keeps only what is on the page: text pushed past the edge (and lost on paper) is missing."""
    field, value = UNBROKEN[key]
    response = mini_response(
        roomy,
        value if field == "note" else "note",
        name=value if field == "name" else "Nia Example",
        contact=value if field == "contact" else "01632 960000",
    )
    pdf = render_pdf(roomy, response, assess(roomy, response), generated_at=WHEN, using=own_renderer)
    assert_valid_pdf(pdf, tmp_path)
    assert squeezed(value) in body_text(pdf, tmp_path, "A screening aid, not a diagnosis."), f"the {field} is cut off"


def test_raw_html_cannot_fetch_or_attach_anything(own_renderer: Renderer) -> None:
    """Defence in depth: even markup that reached the renderer unescaped loads nothing from outside reports/."""
    hostile = (
        '<html><head><link rel="stylesheet" href="http://example.invalid/x.css">'
        '<link rel="attachment" href="file:///etc/passwd">'
        "<style>body{background:url(https://example.invalid/a.png)}</style></head>"
        '<body><img src="file:///etc/passwd"><img src="data:image/png;base64,iVBORw0KGgo=">'
        '<img src="../pyproject.toml"><p>text</p></body></html>'
    )
    refused = len(own_renderer.fetcher.refused)
    pdf = own_renderer.pdf(hostile, [], WHEN)
    asked = own_renderer.fetcher.refused[refused:]
    assert "http://example.invalid/x.css" in asked
    assert "https://example.invalid/a.png" in asked
    assert "file:///etc/passwd" in asked
    assert (ROOT / "pyproject.toml").resolve().as_uri() in asked
    assert any(url.startswith("data:") for url in asked)
    assert served_outside_reports(own_renderer.fetcher.served) == []
    assert embedded_files(pdf) == []


# ---------------------------------------------------------------------------------------------
# The fetcher itself


@pytest.mark.parametrize(
    "url",
    [
        "http://example.invalid/x.css",
        "https://example.invalid/x.css",
        "data:text/css,body{color:red}",
        "ftp://example.invalid/x.css",
        "file:///etc/passwd",
        (ROOT / "pyproject.toml").resolve().as_uri(),
        REPORTS.resolve().as_uri() + "/../pyproject.toml",
        REPORTS.resolve().as_uri() + "/%2e%2e/pyproject.toml",
        REPORTS.resolve().as_uri() + "/fonts/../../pyproject.toml",
        REPORTS.resolve().as_uri() + "/no-such-file.css",
        REPORTS.resolve().as_uri(),
        "file://example.invalid" + REPORTS.resolve().as_posix() + "/referral.css",
        "referral.css",
    ],
)
def test_fetcher_refuses_everything_outside_reports(url: str) -> None:
    fetcher = _fetcher_class()(REPORTS)
    with pytest.raises(ValueError, match="refused to fetch"):
        fetcher.fetch(url)
    assert fetcher.refused == [url]
    assert fetcher.served == []


def test_fetcher_serves_the_report_stylesheet_and_fonts() -> None:
    fetcher = _fetcher_class()(REPORTS)
    css = (REPORTS / "referral.css").resolve().as_uri()
    font = (REPORTS / "fonts" / "DejaVuSans.ttf").resolve().as_uri()
    assert fetcher.fetch(css).read() == (REPORTS / "referral.css").read_bytes()
    assert fetcher.fetch(font).read() == (REPORTS / "fonts" / "DejaVuSans.ttf").read_bytes()
    assert fetcher.served == [css, font]
    assert fetcher.refused == []


# ---------------------------------------------------------------------------------------------
# Writing files


def _strays(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def test_write_atomic_writes_the_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "out.pdf"
    write_atomic(target, b"%PDF-1.7 complete")
    assert target.read_bytes() == b"%PDF-1.7 complete"
    write_atomic(target, b"%PDF-1.7 replaced")
    assert target.read_bytes() == b"%PDF-1.7 replaced"
    assert _strays(target.parent) == []


def test_write_atomic_leaves_nothing_when_the_sync_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(tmp_path / "out.pdf", b"%PDF-1.7 partial")
    assert list(tmp_path.iterdir()) == []


def test_write_atomic_keeps_the_old_file_when_the_rename_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.pdf"
    target.write_bytes(b"old and complete")

    def fail(self: Path, other: Path) -> Path:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "replace", fail)
    with pytest.raises(PermissionError):
        write_atomic(target, b"new")
    monkeypatch.undo()
    assert target.read_bytes() == b"old and complete"
    assert _strays(tmp_path) == []
    assert [p.name for p in tmp_path.iterdir()] == ["out.pdf"]


def test_report_on_a_bad_response_exits_1_and_writes_nothing(tmp_path: Path, capsys: Capture) -> None:
    source = tmp_path / "bad.yaml"
    text = (EXAMPLES_DIR / "physio_cervicogenic.yaml").read_text(encoding="utf-8")
    text = text.replace("  age: 47\n", "  age: 47\n  neck_wobble: yes\n").replace(
        "pain_severity: 6\n", "pain_severity: 60\n"
    )
    source.write_text(text, "utf-8")
    text = source.read_text(encoding="utf-8")
    code = main(["report", str(source), "--generated-at", WHEN_TEXT])
    out, err = capsys.readouterr()
    assert code == 1
    assert "problems in the response" in err
    assert f"{source}:{text.splitlines().index('  neck_wobble: yes') + 1}: [SCR307] item 'neck_wobble'" in err
    assert "item 'pain_severity'" in err
    assert "Traceback" not in err + out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


@pytest.mark.parametrize("where", ["parent_is_a_file", "output_is_a_folder"])
def test_report_to_a_path_that_cannot_be_written_is_a_clear_error(where: str, tmp_path: Path, capsys: Capture) -> None:
    (tmp_path / "a_file").write_text("not a folder", encoding="utf-8")
    (tmp_path / "a_folder").mkdir()
    output = tmp_path / "a_file" / "out.html" if where == "parent_is_a_file" else tmp_path / "a_folder"
    argv = ["report", str(EXAMPLES_DIR / "physio_cervicogenic.yaml"), "--format", "html", "-o", str(output)]
    try:
        code = main(argv)
    except OSError as exc:
        pytest.fail(f"`screening {' '.join(argv)}` ended in a traceback instead of a message: {exc!r}")
    out, err = capsys.readouterr()
    assert code == 1
    assert str(output) in err and "Traceback" not in out + err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "a_folder"]
    assert list((tmp_path / "a_folder").iterdir()) == []


# ---------------------------------------------------------------------------------------------
# Every clinical case renders


@dataclass(frozen=True)
class CasePdf:
    response: Response
    assessment: Assessment
    pdf: bytes | None  # None when the batch could not render it
    text: str


@dataclass(frozen=True)
class CaseRun:
    cases: dict[str, CasePdf]
    log: str  # what `screening batch` printed


@pytest.fixture(scope="module")
def case_pdfs(bundled: Definition, tmp_path_factory: pytest.TempPathFactory) -> CaseRun:
    """Every case's response rendered once, through `screening batch` so that both cores work on them
    (test_batch shows that batch PDFs are byte for byte those of `screening report`)."""
    folder = tmp_path_factory.mktemp("cases")
    responses, pdfs = folder / "responses", folder / "pdfs"
    responses.mkdir()
    parsed = {}
    for stem, case in zip(CASE_IDS, CASES, strict=True):
        parsed[stem] = parse_response(case.response, bundled)
        text = json.dumps(case.response, default=lambda value: value.isoformat(), ensure_ascii=False)
        (responses / f"{stem}.json").write_text(text, encoding="utf-8")
    log = io.StringIO()
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        main(["batch", str(responses), "-o", str(pdfs), "--generated-at", WHEN_TEXT, "--no-progress"])
    cases = {}
    for stem, response in parsed.items():
        target = pdfs / f"{stem}.pdf"
        pdf = target.read_bytes() if target.exists() else None
        text = flat("\n".join(pdf_pages_text(pdf, folder, stem))) if pdf else ""
        cases[stem] = CasePdf(response, assess(bundled, response), pdf, text)
    return CaseRun(cases, log.getvalue())


@pytest.mark.parametrize("stem", CASE_IDS)
def test_every_case_renders_with_its_outcome_and_attachments(stem: str, case_pdfs: CaseRun) -> None:
    rendered = case_pdfs.cases[stem]
    assert rendered.pdf is not None, f"not rendered:\n{case_pdfs.log}"
    assert pypdf.PdfReader(io.BytesIO(rendered.pdf)).pages
    for line in outcome_lines(rendered.assessment):
        assert line in rendered.text
    for feature in rendered.assessment.features:  # a status is never broken inside the word ("Unknow n")
        assert f"{STATUS_WORDS[feature.status]} · {flat(feature.title)}" in rendered.text
    for flag in (*rendered.assessment.red_flags, *rendered.assessment.to_check):
        assert flat(flag.title) in rendered.text
    files = embedded_files(rendered.pdf)
    assert [f.name for f in files] == ["assessment.json", "response.json", "questionnaire-response.json"]
    assert files[0].data.decode("utf-8") == assessment_json(rendered.assessment)
    assert files[1].data.decode("utf-8") == response_json(rendered.response)


def test_every_pdf_shows_the_title_of_its_next_step(case_pdfs: CaseRun, examples: dict[str, Rendered]) -> None:
    """The ruleset's title for the disposition (what ``screening report`` prints, e.g. "Call 999 or go to A&E
    now") must be on the referral too, not only the report's own fixed label."""
    shown = {name: (ex.assessment, ex.text) for name, ex in examples.items()}
    shown |= {stem: (case.assessment, case.text) for stem, case in case_pdfs.cases.items()}
    missing = sorted(
        f"{name}: {a.next_step.title!r}" for name, (a, text) in shown.items() if flat(a.next_step.title) not in text
    )
    assert not missing, f"{len(missing)} of {len(shown)} PDFs lack their next step's title:\n" + "\n".join(missing)


# ---------------------------------------------------------------------------------------------
# HTML output and clinic settings


def test_html_format_writes_the_outcome_before_the_red_flags(tmp_path: Path, capsys: Capture) -> None:
    source = tmp_path / "emergency.yaml"
    source.write_text((EXAMPLES_DIR / "emergency_thunderclap.yaml").read_text(encoding="utf-8"), "utf-8")
    output = tmp_path / "out.html"
    assert main(["report", str(source), "--format", "html", "-o", str(output), "--generated-at", WHEN_TEXT]) == 0
    assert main(["report", str(source), "--format", "html", "--generated-at", WHEN_TEXT]) == 0
    assert f"{output}: emergency" in capsys.readouterr().out
    html = output.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert source.with_suffix(".html").read_text(encoding="utf-8") == html, "default output is RESPONSE.html"
    outcome = html.index('<section class="outcome outcome-emergency"')
    assert outcome < html.index("Red flags raised") < html.index("Questions and answers")
    assert html.index("Patient") < outcome
    assert OUTCOME_WORDS["emergency"][1].replace("&", "&amp;") in html
    assert "Generated 21 Nov 2026, 12:00 GMT" in html


CLINIC = """\
name: Harbour View Physiotherapy (fictional)
address:
  - 1 Example Quay
  - Exampleton EX1 2AB
phone: 01632 960999
email: referrals@example.org
"""


def test_custom_clinic_details_appear_in_the_header(tmp_path: Path, capsys: Capture) -> None:
    clinic = tmp_path / "clinic.yaml"
    clinic.write_text(CLINIC, encoding="utf-8")
    settings = load_clinic_settings(clinic)
    assert settings.address == ["1 Example Quay", "Exampleton EX1 2AB"]
    source = EXAMPLES_DIR / "physio_cervicogenic.yaml"
    html_path, pdf_path = tmp_path / "out.html", tmp_path / "out.pdf"
    args = [str(source), "--clinic", str(clinic), "--generated-at", WHEN_TEXT]
    assert main(["report", *args, "--format", "html", "-o", str(html_path)]) == 0
    assert main(["report", *args, "-o", str(pdf_path)]) == 0
    capsys.readouterr()
    html = html_path.read_text(encoding="utf-8")
    header = html[html.index('<header class="letterhead">') : html.index("</header>")]
    for text in (
        "Harbour View Physiotherapy (fictional)",
        "1 Example Quay",
        "Exampleton EX1 2AB",
        "Tel: 01632 960999",
        "referrals@example.org",
    ):
        assert text in header
    assert "Set your clinic address" not in html
    pdf = pdf_path.read_bytes()
    info = pypdf.PdfReader(io.BytesIO(pdf)).metadata
    assert info is not None and info.author == "Harbour View Physiotherapy (fictional)"
    first_page = flat(pdf_pages_text(pdf, tmp_path)[0])
    assert (
        "From: Harbour View Physiotherapy (fictional) · 1 Example Quay · Exampleton EX1 2AB · Tel: 01632 960999 · "
        "referrals@example.org" in first_page
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name: [unclosed\n", "[SCR008] the clinic settings are not valid YAML"),
        ("name: Clinic\nfax: 01632 960000\n", ":2: [SCR102] clinic settings: 'fax': Extra inputs are not permitted"),
        ("address: [Somewhere]\n", "[SCR101] clinic settings: 'name': Field required"),
        ("name: ''\n", "[SCR601] clinic settings: 'name': String should have at least 1 character"),
        (None, "[SCR001] cannot read the clinic settings"),
    ],
    ids=["syntax", "unknown_key", "missing_name", "empty_name", "missing_file"],
)
def test_a_broken_clinic_file_is_a_clear_error(
    content: str | None, message: str, tmp_path: Path, capsys: Capture
) -> None:
    clinic = tmp_path / "clinic.yaml"
    if content is not None:
        clinic.write_text(content, encoding="utf-8")
    output = tmp_path / "out.pdf"
    code = main(["report", str(EXAMPLES_DIR / "physio_cervicogenic.yaml"), "--clinic", str(clinic), "-o", str(output)])
    out, err = capsys.readouterr()
    assert code == 2, "a clinic settings file with problems is a bad input file"
    assert str(clinic) in err and message in err
    assert "Traceback" not in out + err
    assert not output.exists()


# ---------------------------------------------------------------------------------------------
# Checking clinic settings, and warning while the shipped placeholders are in use


def test_clinic_check_accepts_filled_in_settings(tmp_path: Path, capsys: Capture) -> None:
    clinic = tmp_path / "clinic.yaml"
    clinic.write_text(CLINIC, encoding="utf-8")
    assert main(["clinic", "check", str(clinic)]) == 0
    out, err = capsys.readouterr()
    assert out == f"ok: {clinic} — Harbour View Physiotherapy (fictional); times shown in Europe/London\n"
    assert err == ""


@pytest.mark.parametrize(
    ("content", "messages"),
    [
        (
            (REPORTS / "clinic.yaml").read_text(encoding="utf-8"),
            [
                ":5: [SCR602] address: 'Set your clinic address in clinic settings' is the placeholder shipped with",
                ":6: [SCR604] phone, email: neither a phone number nor an e-mail address is given",
            ],
        ),
        (
            "name: Clinic\naddress: [1 Example Quay]\nphone: 1632960999\ntime_zone: Mars/Base_One\n",
            [
                ":3: [SCR601] clinic settings: 'phone': write the phone number in quotes",
                ":4: [SCR601] clinic settings: 'time_zone': 'Mars/Base_One' is not a time zone name",
            ],
        ),
        ("name: Clinic\naddress: [unclosed\n", [":3: [SCR008] the clinic settings are not valid YAML"]),
        (
            "name: Clinic\naddress: [1 Example Quay]\nemail: a@example.org\nfax: 1\n",
            [":4: [SCR102] clinic settings: 'fax'"],
        ),
        (None, [": [SCR001] cannot read the clinic settings"]),
    ],
    ids=["shipped_placeholders", "number_and_zone", "syntax", "unknown_key", "missing_file"],
)
def test_clinic_check_names_each_problem_with_its_line_and_exits_2(
    content: str | None, messages: list[str], tmp_path: Path, capsys: Capture
) -> None:
    clinic = tmp_path / "clinic.yaml"
    if content is not None:
        clinic.write_text(content, encoding="utf-8")
    assert main(["clinic", "check", str(clinic)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    for message in messages:
        assert (f"{clinic}{message}" if message.startswith(":") else message) in err, err
    assert str(clinic) in err


PLACEHOLDER_WARNING = "lack a real address and a phone number or e-mail address"


def test_report_and_batch_warn_while_the_clinic_details_are_placeholders(tmp_path: Path, capsys: Capture) -> None:
    source = EXAMPLES_DIR / "physio_cervicogenic.yaml"
    assert main(["report", str(source), "--format", "html", "-o", str(tmp_path / "a.html")]) == 0
    err = capsys.readouterr().err
    assert PLACEHOLDER_WARNING in err and "screening clinic check SETTINGS" in err
    responses = tmp_path / "responses"
    responses.mkdir()
    (responses / "one.yaml").write_bytes(source.read_bytes())
    assert main(["batch", str(responses), "-o", str(tmp_path / "out"), "--no-progress", "--workers", "1"]) == 0
    assert PLACEHOLDER_WARNING in capsys.readouterr().err
    clinic = tmp_path / "clinic.yaml"
    clinic.write_text(CLINIC, encoding="utf-8")
    html = ["report", str(source), "--format", "html", "-o", str(tmp_path / "b.html")]
    assert main([*html, "--clinic", str(clinic)]) == 0
    assert capsys.readouterr().err == ""
    only_email = tmp_path / "email.yaml"
    only_email.write_text("name: Clinic\naddress: [1 Example Quay]\nemail: a@example.org\n", encoding="utf-8")
    assert main(["clinic", "check", str(only_email)]) == 0
    assert main([*html, "--clinic", str(only_email)]) == 0
    assert "warning" not in capsys.readouterr().err
