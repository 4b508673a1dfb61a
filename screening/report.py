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
from pydantic import ValidationError

from .assessment import Assessment, assessment_json
from .clinic import PLACEHOLDER_ADDRESS, ClinicSettings
from .definition import Definition
from .errors import Problem, ReportError
from .labels import GRADE_LABELS, URGENCY_LABELS
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
from .referral import answer_text, build_view
from .response import Response, is_complete, response_json
from .yamlio import YamlSyntaxError, line_for, load_with_lines

if TYPE_CHECKING:
    import weasyprint

__all__ = [  # the view's helpers are used by the web pages and the terminal intake too
    "GRADE_LABELS",
    "URGENCY_LABELS",
    "ClinicSettings",
    "Renderer",
    "answer_text",
    "build_view",
    "load_clinic_settings",
    "render_html",
    "render_pdf",
]

REPORTS = bundled_dir("reports")
TEMPLATE = "referral.html.j2"
PATIENT_TEMPLATE = "patient_summary.html.j2"
Audience = Literal["clinician", "patient"]  # the referral for clinicians, or the patient's plain-English summary
STYLESHEET = REPORTS / "referral.css"


# ---------------------------------------------------------------------------------------------
# Clinic settings


def placeholder_warning(clinic: ClinicSettings, source: Path | None) -> str:
    """A warning for the terminal while the clinic settings lack real contact details, else an empty string."""
    if not clinic.placeholders:
        return ""
    where = f"in {source}" if source else "(the shipped defaults are in use: pass --clinic SETTINGS)"
    return (
        f"warning: the clinic settings {where} lack {' and '.join(clinic.placeholders)}, so referrals do not say "
        "how to reach the clinic — fill them in and check the file with `screening clinic check SETTINGS`"
    )


def clinic_problems(path: Path) -> list[Problem]:
    """What keeps a clinic settings file from being used for referrals, each with its line.

    A file that cannot be read or does not fit the format raises ``ReportError`` (see ``load_clinic_settings``);
    a valid file may still hold the shipped placeholder address or no way to reach the clinic.
    """
    settings = load_clinic_settings(path)
    data, lines = load_with_lines(read_text_bounded(path, DEFINITION_LIMITS), DEFINITION_LIMITS)
    problems = []
    for index, line in enumerate(settings.address):
        if line.strip().startswith(PLACEHOLDER_ADDRESS):
            where = line_for(("address", index), data, lines)
            fix = "replace it with the clinic's postal address, one line per entry"
            problems.append(
                Problem(str(path), where, "address", f"'{line}' is the placeholder shipped with the program", fix)
            )
    if not settings.address:
        problems.append(
            Problem(
                str(path),
                line_for(("name",), data, lines),
                "address",
                "no address is given",
                "add the clinic's postal address under 'address:'",
            )
        )
    if not settings.phone and not settings.email:
        where = line_for(("phone",), data, lines) or line_for(("email",), data, lines)
        problems.append(
            Problem(
                str(path),
                where,
                "phone, email",
                "neither a phone number nor an e-mail address is given",
                "add at least one, so a GP who reads a referral can reach the clinic",
            )
        )
    return problems


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
    except YamlSyntaxError as exc:
        where = f"{path}:{exc.line}" if exc.line is not None else str(path)
        raise ReportError(f"{where}: the clinic settings are not valid YAML ({exc}) — fix the syntax") from exc
    except UnicodeDecodeError as exc:
        raise ReportError(f"{path}: the clinic settings are not UTF-8 text — save the file as UTF-8") from exc
    try:
        return ClinicSettings.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(
                str(path),
                line_for(tuple(e["loc"]), data, lines),
                "clinic settings",
                f"'{'.'.join(map(str, e['loc'])) or 'settings'}': {e['msg'].removeprefix('Value error, ')}",
            )
            for e in exc.errors()
        ]
        raise ReportError("\n".join(str(p) for p in problems)) from exc


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
