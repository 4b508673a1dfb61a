"""The referral summary: a view of one assessment, rendered to HTML with Jinja and to PDF with WeasyPrint.

Rendering treats every answer and name as hostile: Jinja escapes everything, and WeasyPrint may fetch
nothing but the files in ``reports/`` (see ``BundledOnlyFetcher``). The PDF is PDF/A-3b, tagged, and
carries the assessment and the response as JSON attachments. Given the same response, settings and
generated-at time it is byte-for-byte the same.
"""

from __future__ import annotations

import atexit
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .assessment import AnswerRead, Assessment, assessment_json
from .definition import Definition
from .errors import Problem, ReportError
from .limits import (
    DEFINITION_LIMITS,
    EARLIEST_DATE,
    EARLIEST_TIME,
    LATEST_DATE,
    LATEST_TIME,
    LimitError,
    read_text_bounded,
)
from .loader import bundled_dir
from .model import DisplayItem, Ge, IntegerItem, MultiChoiceItem, ScaleItem, SingleChoiceItem, YesNoItem
from .response import Response, response_json
from .yamlio import YamlSyntaxError, line_for, load_with_lines

if TYPE_CHECKING:
    import weasyprint

REPORTS = bundled_dir("reports")
TEMPLATE = "referral.html.j2"
STYLESHEET = REPORTS / "referral.css"


# ---------------------------------------------------------------------------------------------
# Clinic settings


class AlertSettings(BaseModel):
    """Where urgent and emergency submissions are announced: the clinic's duty e-mail address, over SMTP.

    The password is never kept in the file: it comes from the SCREENING_SMTP_PASSWORD environment variable.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    email_to: str = Field(min_length=3, max_length=200)
    email_from: str = Field(min_length=3, max_length=200)
    smtp_host: str = Field(min_length=1, max_length=200)
    smtp_port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    smtp_user: str | None = Field(default=None, max_length=200)


class ClinicSettings(BaseModel):
    """Who sends the summary (shown in the header of every referral) and how the clinic works."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    address: list[str] = Field(default_factory=list, max_length=6)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=120)
    booking_url: str | None = Field(default=None, max_length=300)  # where patients book the free discovery call
    callback_days: int = Field(default=2, ge=1, le=30)  # "the clinic will contact you within N working days"
    privacy_notice_url: str | None = Field(default=None, max_length=300)  # linked wherever details are asked
    privacy_notice_version: str = Field(default="unversioned", min_length=1, max_length=40)  # stored with consent
    consent_text: str = Field(
        default="By sending these answers you agree that the clinic can use them to prepare for your call and "
        "to contact you about it.",
        min_length=10,
        max_length=600,
    )
    time_zone: str = Field(default="Europe/London", max_length=64)  # every time shown to people; UTC in data
    base_url: str | None = Field(default=None, max_length=200)  # where staff reach the server, for links in alerts
    alerts: AlertSettings | None = None

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"'{value}' is not a time zone name such as Europe/London") from exc
        return value

    @field_validator("base_url", "booking_url", "privacy_notice_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("a web address must start with https:// (or http:// on a private network)")
        return value.rstrip("/") if value else value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


def load_clinic_settings(path: Path | None = None) -> ClinicSettings:
    """Read clinic settings (YAML); the neutral defaults ship in ``reports/clinic.yaml``."""
    path = path or REPORTS / "clinic.yaml"
    try:
        data, lines = load_with_lines(read_text_bounded(path, DEFINITION_LIMITS), DEFINITION_LIMITS)
    except OSError as exc:
        raise ReportError(f"{path}: cannot read the clinic settings ({exc.strerror}) — check the path") from exc
    except LimitError as exc:
        where = f"{path}:{exc.line}" if exc.line is not None else str(path)
        raise ReportError(f"{where}: {exc.message} — {exc.fix}") from exc
    except (UnicodeDecodeError, YamlSyntaxError) as exc:
        raise ReportError(f"{path}: the clinic settings are not valid YAML ({exc}) — fix the syntax") from exc
    try:
        return ClinicSettings.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(
                str(path),
                line_for(tuple(e["loc"]), data, lines),
                "clinic settings",
                f"'{'.'.join(map(str, e['loc'])) or 'settings'}': {e['msg']}",
            )
            for e in exc.errors()
        ]
        raise ReportError("\n".join(str(p) for p in problems)) from exc


# ---------------------------------------------------------------------------------------------
# The view: everything the template shows, worked out here so the template stays plain


DISPOSITION_LABELS = {
    "emergency": ("EMERGENCY", "!!", "Send to hospital now (999 / A&E)"),
    "urgent_gp": ("URGENT", "!", "Same-day medical assessment"),
    "routine_gp": ("GP REVIEW", "GP", "Routine GP review"),
    "physio_assessment": ("PHYSIOTHERAPY", "✓", "Suitable for physiotherapy assessment"),
    "self_care": ("SELF-CARE", "✓", "Self-care with safety-netting"),
}
URGENCY_LABELS = {"emergency": "Emergency", "urgent_gp": "Urgent (same day)", "routine_gp": "Routine GP"}
GRADE_LABELS = {
    "likely": "Likely",
    "possible": "Possible",
    "unlikely": "Unlikely",
    "insufficient_information": "Insufficient information",
}
STATUS_LABELS = {"met": "Met", "not_met": "Not met", "unknown": "Unknown"}
RESULT_WORDS = {"true": "yes", "false": "no", "unknown": "unknown"}
ANSWER_LABELS = {
    "not_sure": "Not sure",
    "unanswered": "No answer",
    "not_decided": "Not asked (depends on an unanswered question)",
    "not_shown": "Not asked (did not apply)",
}


@dataclass(frozen=True)
class AnswerRow:
    question: str
    answer: str
    status: str


@dataclass(frozen=True)
class SectionView:
    title: str
    rows: list[AnswerRow]
    not_asked: list[str]


def answer_text(definition: Definition, read: AnswerRead) -> str:
    """An answer in words: option labels rather than codes, numbers with their unit."""
    if read.status != "answered":
        return ANSWER_LABELS[read.status]
    item = definition.items[read.item]
    value = read.answer
    if isinstance(item, YesNoItem):
        return {"yes": "Yes", "no": "No"}.get(str(value), str(value))
    if isinstance(item, SingleChoiceItem | MultiChoiceItem):
        labels = {o.code: o.label for o in item.options}
        codes = value if isinstance(value, tuple) else (value,)
        return "; ".join(labels.get(str(c), str(c)) for c in codes)
    if isinstance(item, IntegerItem):
        return f"{value} {_singular(item.unit) if value == 1 else item.unit}"
    if isinstance(item, ScaleItem):
        return f"{value} out of {item.max}"
    return str(value)


def _singular(unit: str) -> str:
    """'days a month' -> 'day a month', 'years' -> 'year' (for an answer of exactly 1)."""
    first, _, rest = unit.partition(" ")
    return " ".join(filter(None, (first.removesuffix("s"), rest)))


def _question(definition: Definition, item_id: str, respondent: str) -> str:
    patient, staff = definition.wording[item_id]
    return staff if respondent == "staff" else patient


def _sections(definition: Definition, reads: Mapping[str, AnswerRead], respondent: str) -> list[SectionView]:
    views = []
    for section in definition.questionnaire.sections:
        rows: list[AnswerRow] = []
        not_asked: list[str] = []
        for item in section.items:
            if isinstance(item, DisplayItem):
                continue
            read = reads[item.id]
            question = _question(definition, item.id, respondent)
            if read.status in ("not_shown", "not_decided"):
                not_asked.append(question)
            else:
                rows.append(AnswerRow(question, answer_text(definition, read), read.status))
        views.append(SectionView(section.title, rows, not_asked))
    return views


@dataclass(frozen=True)
class MedicationRow:
    label: str
    days: str
    threshold: int
    over: bool


def _medication_rows(definition: Definition, reads: Mapping[str, AnswerRead]) -> list[MedicationRow]:
    """Reported medicine days next to the overuse threshold that the ruleset's findings use for them."""
    thresholds: dict[str, tuple[str, int]] = {}
    for finding in definition.ruleset.findings:
        cond = finding.condition
        if isinstance(cond, Ge) and isinstance(definition.items.get(cond.ge.item), IntegerItem):
            thresholds.setdefault(cond.ge.item, (finding.title, cond.ge.value))
    rows = []
    for item_id, (title, threshold) in thresholds.items():
        item = definition.items[item_id]
        if not isinstance(item, IntegerItem) or "day" not in item.unit or item_id not in reads:
            continue
        read = reads[item_id]
        if read.status == "not_shown":
            continue
        days = read.answer if read.status == "answered" and isinstance(read.answer, int) else None
        over = days is not None and days >= threshold
        rows.append(MedicationRow(title, answer_text(definition, read), threshold, over))
    return rows


def build_view(
    definition: Definition,
    response: Response,
    assessment: Assessment,
    clinic: ClinicSettings,
    generated_at: datetime,
    reference: str = "",
) -> dict[str, Any]:
    """Everything the referral template shows, in display order.

    ``reference`` (e.g. a submission id) goes into the document title; the patient's name never does, since
    the title is copied into the PDF's metadata, which viewers, indexers and mail previews show and keep.
    """
    reads = {read.item: read for read in assessment.answers}

    def answers_of(items: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
        return [
            (_question(definition, i, assessment.respondent), answer_text(definition, reads[i]))
            for i in items
            if reads[i].status not in ("not_shown",)
        ]

    # findings are shown inside the rules that use them, each with its value
    fired = [t for t in assessment.explanation if t.result == "true" and t.kind != "finding"]
    finding_values = {t.id: t.result for t in assessment.explanation if t.kind == "finding"}
    titles = definition.finding_titles
    label, icon, gp_words = DISPOSITION_LABELS[assessment.disposition.value]
    if assessment.next_step.checks_undecided_flags:
        label, gp_words = "SAME-DAY CHECK", "Same-day check of safety answers that could not be ruled out"
    patient = response.patient
    return {
        "clinic": clinic,
        "generated_at": generated_at,
        "collected_at": response.collected_at,
        "patient": patient,
        "respondent": assessment.respondent,
        "assessment": assessment,
        "outcome": {
            "kind": assessment.disposition.value,
            "label": label,
            "icon": icon,
            "headline": gp_words,
            "title": assessment.next_step.title,
        },
        "urgency_labels": URGENCY_LABELS,
        "grade_label": GRADE_LABELS[assessment.likelihood.grade.value],
        "caps": [cap.title for cap in definition.ruleset.grading.caps if cap.id in assessment.likelihood.capped_by],
        "status_labels": STATUS_LABELS,
        "red_flags": [
            (flag, answers_of([r.item for r in flag.answers if r.status == "answered"]))
            for flag in assessment.red_flags
        ],
        "to_check": [
            (flag, [(q, a) for q, a in answers_of([r.item for r in flag.answers if r.status != "answered"])])
            for flag in assessment.to_check
        ],
        "medication": _medication_rows(definition, reads),
        "sections": _sections(definition, reads, assessment.respondent),
        "fired": [
            (
                trace,
                [(titles.get(f, f), RESULT_WORDS[finding_values[f]]) for f in trace.findings],
                answers_of(trace.items),
            )
            for trace in fired
        ],
        "provenance": assessment.provenance,
        "statement": assessment.statement,
        "title": "Headache screening summary",
        "reference": reference,
    }


# ---------------------------------------------------------------------------------------------
# HTML


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(REPORTS / "templates"),
        autoescape=True,  # every answer and name is untrusted text
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["datetime"] = lambda value: value.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC")
    env.filters["breakable"] = lambda value: str(value).replace("_", "_\u200b")  # let long ids wrap
    env.filters["date"] = lambda value: value.strftime("%d %b %Y") if isinstance(value, date) else ""
    return env


def render_html(
    definition: Definition,
    response: Response,
    assessment: Assessment,
    clinic: ClinicSettings | None = None,
    generated_at: datetime | None = None,
    reference: str = "",
) -> str:
    """The referral summary as an HTML document (what the PDF is made from)."""
    when = generated_at or datetime.now(UTC)
    view = build_view(definition, response, assessment, clinic or load_clinic_settings(), when, reference)
    return _environment().get_template(TEMPLATE).render(view)


# ---------------------------------------------------------------------------------------------
# PDF


@cache
def _fetcher_class() -> type[weasyprint.urls.URLFetcher]:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class BundledOnlyFetcher(URLFetcher):  # type: ignore[misc]
        """Serves files under ``reports/`` and refuses every other URL (http, https, other files, data:)."""

        def __init__(self, root: Path) -> None:
            super().__init__(allowed_protocols=["file"], allow_redirects=False)
            self.root = root.resolve()
            self.refused: list[str] = []
            self.served: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            parts = urlsplit(url)
            path = Path(unquote(parts.path)).resolve() if parts.scheme == "file" and not parts.netloc else None
            if path is None or not path.is_relative_to(self.root) or not path.is_file():
                self.refused.append(url)
                raise ValueError(f"refused to fetch {url[:80]!r}: only the report's own files may be loaded")
            self.served.append(url)
            return URLFetcherResponse(url, body=path.read_bytes())

    return BundledOnlyFetcher


class Renderer:
    """Turns referral HTML into PDF, reusing fonts and styles between documents.

    One font configuration and one parsed stylesheet per process make each render faster and stop the
    memory growth that a fresh font configuration per document causes.
    """

    def __init__(self, root: Path = REPORTS) -> None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        self.root = root
        self.fetcher = _fetcher_class()(root)
        self.font_config = FontConfiguration()
        self.css = CSS(filename=str(root / "referral.css"), font_config=self.font_config, url_fetcher=self.fetcher)

    def pdf(self, html: str, attachments: list[tuple[str, str, str, str]], generated_at: datetime) -> bytes:
        """PDF/A-3b, tagged, with the given JSON attachments (name, description, relationship, text)."""
        from weasyprint import HTML, Attachment

        when = generated_at.astimezone(UTC).replace(microsecond=0)
        files = [
            Attachment(
                string=text,
                name=name,
                description=description,
                relationship=relationship,
                created=when,
                modified=when,
                url_fetcher=self.fetcher,
            )
            for name, description, relationship, text in attachments
        ]
        document = HTML(string=html, base_url=self.root.as_uri() + "/", url_fetcher=self.fetcher)
        with _source_date_epoch(when):
            pdf = document.write_pdf(
                stylesheets=[self.css],
                font_config=self.font_config,
                pdf_variant="pdf/a-3b",
                pdf_tags=True,
                attachments=files,
                pdf_identifier=b"screening-" + when.strftime("%Y%m%d%H%M%S").encode(),
                uncompressed_pdf=False,
            )
        if not isinstance(pdf, bytes):  # pragma: no cover - write_pdf without a target returns bytes
            raise ReportError("the PDF renderer returned no document")
        return pdf


@contextmanager
def _source_date_epoch(when: datetime) -> Iterator[None]:
    """Fix the timestamp WeasyPrint writes into subset fonts, so identical input gives identical bytes."""
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(when.timestamp()))
    try:
        yield
    finally:
        if old is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


_RENDERER: Renderer | None = None


def renderer() -> Renderer:
    """The process-wide renderer (created on first use, released before the interpreter shuts down)."""
    global _RENDERER
    if _RENDERER is None:
        _RENDERER = Renderer()
        atexit.register(_release_renderer)
    return _RENDERER


def _release_renderer() -> None:
    global _RENDERER
    _RENDERER = None  # WeasyPrint's font configuration cannot clean up once the interpreter is half gone


def render_pdf(
    definition: Definition,
    response: Response,
    assessment: Assessment,
    clinic: ClinicSettings | None = None,
    generated_at: datetime | None = None,
    *,
    using: Renderer | None = None,
    reference: str = "",
) -> bytes:
    """The referral summary as PDF/A-3b bytes with the assessment and response embedded as JSON."""
    when = (generated_at or datetime.now(UTC)).replace(microsecond=0)
    html = render_html(definition, response, assessment, clinic, when, reference)
    attachments = [
        (
            "assessment.json",
            "Screening assessment (as printed by screening score --json)",
            "Data",
            assessment_json(assessment),
        ),
        ("response.json", "The answers the assessment was made from", "Source", response_json(response)),
        (
            "questionnaire-response.json",
            "The answers as an HL7 FHIR R4 QuestionnaireResponse",
            "Alternative",
            questionnaire_response_json(definition, response, complete=_is_complete(definition, response)),
        ),
    ]
    return (using or renderer()).pdf(html, attachments, when)


def _is_complete(definition: Definition, response: Response) -> bool:
    """False for a journey stopped early (an emergency): some question it showed is still required."""
    _, shown = definition.effective_values(response.answers)
    return all(shown[i] is not True or i in response.answers for i in definition.required)


def questionnaire_response_json(definition: Definition, response: Response, *, complete: bool = True) -> str:
    from .fhir import response_resource

    resource = response_resource(definition, response, complete=complete)
    return json.dumps(resource, indent=2, ensure_ascii=False) + "\n"


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that it is either complete or absent: a temporary file renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def generated_at_from(text: str | None) -> datetime:
    """The generated-at time: an ISO 8601 value, else SOURCE_DATE_EPOCH, else now.

    Like a response's collection time, it must fall in the years ``screening.limits`` allows, so printing it
    in UTC cannot overflow the calendar.
    """
    if text:
        try:
            value = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ReportError(
                f"--generated-at {text!r} is not an ISO 8601 time — write it like 2026-11-21T10:30:00Z"
            ) from exc
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        if not EARLIEST_TIME <= value <= LATEST_TIME:
            raise ReportError(f"--generated-at {text!r} is not between {EARLIEST_DATE.year} and {LATEST_DATE.year}")
        return value
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            seconds = int(epoch)
        except ValueError as exc:
            raise ReportError(f"SOURCE_DATE_EPOCH={epoch!r} is not a whole number of seconds") from exc
        earliest, latest = int(EARLIEST_TIME.timestamp()), int(LATEST_TIME.timestamp())
        if not earliest <= seconds <= latest:
            raise ReportError(
                f"SOURCE_DATE_EPOCH={epoch!r} is not between {EARLIEST_DATE.year} and {LATEST_DATE.year} "
                f"({earliest} to {latest})"
            )
        return datetime.fromtimestamp(seconds, UTC)
    return datetime.now(UTC).replace(microsecond=0)
