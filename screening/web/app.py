"""The web application: patient self-screening at ``/``, the staff area at ``/staff``, the JSON API at ``/api/v1``."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from .._version import __version__
from ..clinic import ClinicSettings
from ..definition import Definition
from ..labels import DISPOSITION_LABELS, YES_NO_WORDS
from ..loader import load_definition
from ..report import load_clinic_settings
from .alerts import CHANNELS, AlertSender, Timing, alert_channels
from .db import CONTACT_ACTIONS, STATUS_LABELS, make_engine, migrate
from .deps import NeedsLogin, Services, page
from .jobs import Timing as JobTiming
from .jobs import Worker, make_worker
from .localtime import shown_time, waited
from .names import shown_name
from .pdf_queue import preload
from .ratelimit import SharedRateLimiter
from .security import Edge
from .settings import Settings
from .writer import GroupWriter

HERE = Path(__file__).parent
log = logging.getLogger("screening.web")


def _templates(definition: Definition, zone: ZoneInfo) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every answer and name is untrusted text
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["disposition_words"] = {d.value: label.words for d, label in DISPOSITION_LABELS.items()}
    env.globals["status_labels"] = STATUS_LABELS
    env.globals["contact_actions"] = CONTACT_ACTIONS
    env.globals["options"] = _options
    env.globals["questions_by_id"] = definition.wording  # the error summary names each question
    env.filters["shown_name"] = shown_name  # invisible characters in names become visible markers
    env.filters["when"] = lambda value: shown_time(value, zone)  # the clinic's local time, GMT or BST
    env.filters["waited"] = lambda since: waited(since, datetime.now(UTC))
    return env


def _options(item: Any) -> list[tuple[str | int, str]]:
    """The choices a question offers, as (value, label)."""
    if item.kind == "yes_no":
        return [(code, YES_NO_WORDS[code]) for code in item.codes]
    if item.kind == "scale":
        return [(n, str(n)) for n in range(item.min, item.max + 1)]
    return [(o.code, o.label) for o in item.options]


def create_app(
    settings: Settings | None = None, *, definition: Definition | None = None, migrate_database: bool = True
) -> FastAPI:
    """The ASGI application with its security middleware; brings the database schema up to date first."""
    from . import api, followup, patient, staff

    settings = settings or Settings.load()
    definition = definition or load_definition(settings.questionnaire, settings.ruleset)
    engine = make_engine(settings.database_url)
    if migrate_database:
        migrate(engine)
    app = FastAPI(
        title="Headache screening API",
        version=__version__,
        description="Submit screening responses from clinic systems and fetch their assessment and referral "
        "summary. A screening aid, not a diagnosis.",
        docs_url=None,  # the interactive docs load scripts from a CDN; the OpenAPI document is enough
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        openapi_url="/api/v1/openapi.json",
        redirect_slashes=False,  # its redirects are absolute URLs built from the Host header
        lifespan=_lifespan,
    )
    clinic = load_clinic_settings(settings.clinic)
    # record_submission queues an alert on each of these channels (see alerts.enqueue_alert)
    sessions = sessionmaker(engine, expire_on_commit=False, info={CHANNELS: alert_channels(clinic)})
    sender = _alert_sender(settings, clinic, sessions)
    templates = _templates(definition, clinic.zone)
    templates.globals["alert_trouble"] = sender.trouble if sender else lambda: None
    app.state.services = Services(
        settings=settings,
        definition=definition,
        engine=engine,
        sessions=sessions,
        clinic=clinic,
        templates=templates,
        limiter=SharedRateLimiter(sessions, settings.secret_key, settings.public_posts_per_minute, "submit"),
        page_limiter=SharedRateLimiter(sessions, settings.secret_key, settings.public_page_posts_per_minute, "page"),
        pdf_lock=threading.Lock(),
        alerts=sender,
        writer=GroupWriter(engine, sessions) if engine.dialect.name == "sqlite" else None,
    )
    preload(settings.database_url)  # the job queue's library, before the first submission needs it
    # each server process also renders the queued PDFs unless `screening worker` processes do it all (--no-jobs)
    app.state.jobs = (
        make_worker(settings.database_url, sessions, app.state.services, JobTiming(poll=settings.job_poll))
        if settings.run_jobs
        else None
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for route in staff.PLAIN_ROUTES:  # the busiest first
        app.router.add_route(route.path, route.endpoint, methods=route.methods, include_in_schema=False)
    app.include_router(patient.router)
    app.include_router(staff.router)
    app.include_router(followup.router)
    app.include_router(api.router)

    @app.exception_handler(NeedsLogin)
    async def _login(request: Request, _exc: NeedsLogin) -> Response:
        return RedirectResponse("/staff/login", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return api.error_response(exc.status_code, str(exc.detail), headers=exc.headers)
        request.state.needs_action = None  # an error page shows no count (and this runs on the event loop)
        shown = page(request, "error.html.j2", exc.status_code, code=exc.status_code, message=str(exc.detail))
        shown.headers.update(exc.headers or {})  # Retry-After, say
        return shown

    app.openapi = _openapi_with_response_schema(app, definition)  # type: ignore[method-assign]

    # the only middleware: access log, HEAD as GET, hosts, size limit, forms only, CSRF, headers, 500/503
    app.add_middleware(
        Edge,  # a pure ASGI class
        secret=settings.secret_key,
        max_body=settings.max_body_bytes,
        allowed_hosts=settings.allowed_hosts,
        secure_cookies=settings.secure_cookies,
    )
    return app


def _alert_sender(settings: Settings, clinic: ClinicSettings, sessions: sessionmaker[Session]) -> AlertSender | None:
    if clinic.alerts is None:
        return None
    if not clinic.base_url:
        log.warning("alerts: base_url is not set in the clinic settings, so alert e-mails carry no link")
    timing = Timing(
        poll=settings.alert_poll, first_retry=settings.alert_first_retry, longest_retry=settings.alert_longest_retry
    )
    return AlertSender(sessions, clinic, timing, sending=settings.run_jobs)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Each server process runs its own alert sender and job worker while it serves (claims keep them from doing
    the same work twice)."""
    sender: AlertSender | None = app.state.services.alerts
    jobs: Worker | None = app.state.jobs
    if sender is not None:
        sender.start()
    if jobs is not None:
        await anyio.to_thread.run_sync(jobs.start)
    try:
        yield
    finally:
        if app.state.services.writer is not None:
            app.state.services.writer.close()
        if jobs is not None:
            await anyio.to_thread.run_sync(jobs.stop)
        if sender is not None:
            await anyio.to_thread.run_sync(sender.stop)


def app_from_environment() -> FastAPI:
    """The app for each server worker process, configured by SCREENING_* variables (``serve`` sets them)."""
    return create_app(Settings.load(), migrate_database=False)


def _openapi_with_response_schema(app: FastAPI, definition: Definition) -> Any:
    """The OpenAPI document, with the submission body described by this questionnaire's response schema."""
    from fastapi.openapi.utils import get_openapi

    from .api import request_body

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            document["paths"]["/api/v1/submissions"]["post"]["requestBody"] = request_body(definition)
            app.openapi_schema = document
        return app.openapi_schema

    return build


def now() -> datetime:
    return datetime.now(UTC)
