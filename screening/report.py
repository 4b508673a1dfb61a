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
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote, urlsplit

import jinja2

from .assessment import Assessment, assessment_json
from .clinic import ClinicSettings
from .clinic_file import clinic_problems, load_clinic_settings, placeholder_warning
from .definition import Definition
from .error_codes import ErrorCode
from .errors import Problem, ReportError, UsageError
from .labels import GRADE_LABELS, URGENCY_LABELS
from .limits import EARLIEST_DATE, EARLIEST_TIME, LATEST_DATE, LATEST_TIME
from .loader import bundled_dir
from .referral import answer_text, build_view
from .response import Response, is_complete, response_json

if TYPE_CHECKING:
    import weasyprint

__all__ = [  # the view's helpers are used by the web pages and the terminal intake too
    "GRADE_LABELS",
    "URGENCY_LABELS",
    "ClinicSettings",
    "Renderer",
    "answer_text",
    "build_view",
    "clinic_problems",
    "load_clinic_settings",
    "placeholder_warning",
    "render_html",
    "render_pdf",
]

REPORTS = bundled_dir("reports")
TEMPLATE = "referral.html.j2"
PATIENT_TEMPLATE = "patient_summary.html.j2"
Audience = Literal["clinician", "patient"]  # the referral for clinicians, or the patient's plain-English summary
STYLESHEET = REPORTS / "referral.css"


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
    env.filters["breakable"] = lambda value: str(value).replace("_", "_\u200b")  # let long ids wrap
    return env


def render_html(
    definition: Definition,
    response: Response,
    assessment: Assessment,
    clinic: ClinicSettings | None = None,
    generated_at: datetime | None = None,
    reference: str = "",
    completed_by: str | None = None,
    audience: Audience = "clinician",
) -> str:
    """The referral summary (or, for ``audience="patient"``, the patient's own summary) as an HTML document.

    ``completed_by`` names the staff member who asked the questions, for a staff intake.
    """
    when = generated_at or datetime.now(UTC)
    settings = clinic or load_clinic_settings()
    if audience == "patient":
        from .patient_summary import patient_view

        view = patient_view(definition, response, assessment, settings, when, reference)
        return _environment().get_template(PATIENT_TEMPLATE).render(view)
    view = build_view(definition, response, assessment, settings, when, reference, completed_by)
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
            message = "the PDF renderer returned no document"
            raise ReportError(Problem("", None, "", message, code=ErrorCode.REPORT_EMPTY))
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
    completed_by: str | None = None,
    audience: Audience = "clinician",
) -> bytes:
    """The referral summary as PDF/A-3b bytes with the assessment and response embedded as JSON.

    The patient's summary carries only their answers (``response.json``): no assessment trail for them to read.
    """
    when = (generated_at or datetime.now(UTC)).replace(microsecond=0)
    html = render_html(definition, response, assessment, clinic, when, reference, completed_by, audience)
    if audience == "patient":
        answers = ("response.json", "Your answers", "Source", response_json(response))
        return (using or renderer()).pdf(html, [answers], when)
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
            questionnaire_response_json(definition, response, complete=is_complete(definition, response)),
        ),
    ]
    return (using or renderer()).pdf(html, attachments, when)


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
            raise UsageError(
                Problem(
                    "",
                    None,
                    "--generated-at",
                    f"{text!r} is not an ISO 8601 time",
                    "write it like 2026-11-21T10:30:00Z",
                    code=ErrorCode.BAD_OPTION_VALUE,
                )
            ) from exc
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        if not EARLIEST_TIME <= value <= LATEST_TIME:
            message = f"{text!r} is not between {EARLIEST_DATE.year} and {LATEST_DATE.year}"
            raise UsageError(Problem("", None, "--generated-at", message, code=ErrorCode.BAD_OPTION_VALUE))
        return value
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            seconds = int(epoch)
        except ValueError as exc:
            message = f"SOURCE_DATE_EPOCH={epoch!r} is not a whole number of seconds"
            raise UsageError(Problem("", None, "", message, code=ErrorCode.BAD_ENVIRONMENT)) from exc
        earliest, latest = int(EARLIEST_TIME.timestamp()), int(LATEST_TIME.timestamp())
        if not earliest <= seconds <= latest:
            message = (
                f"SOURCE_DATE_EPOCH={epoch!r} is not between {EARLIEST_DATE.year} and {LATEST_DATE.year} "
                f"({earliest} to {latest})"
            )
            raise UsageError(Problem("", None, "", message, code=ErrorCode.BAD_ENVIRONMENT))
        return datetime.fromtimestamp(seconds, UTC)
    return datetime.now(UTC).replace(microsecond=0)
