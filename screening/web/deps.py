"""What a request needs, as FastAPI dependencies: the app's services, a database session, the posted form, a page.

The routers import these from here, never from ``app`` (which imports the routers to build the application).
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import FormData, UploadFile

from .._version import __version__
from ..clinic import ClinicSettings
from ..definition import Definition
from .alerts import AlertSender
from .auth import session_user
from .db import User
from .queue import needs_action_count
from .ratelimit import SharedRateLimiter
from .settings import Settings

CSRF_FIELD = "csrftoken"
SESSION_COOKIE = "screening_session"


@dataclass
class Services:
    """What every request needs, built once when the app starts."""

    settings: Settings
    definition: Definition
    engine: Engine
    sessions: sessionmaker[Session]
    clinic: ClinicSettings
    templates: jinja2.Environment
    limiter: SharedRateLimiter  # stored patient submissions per address
    page_limiter: SharedRateLimiter  # every patient post per address
    pdf_lock: threading.Lock
    alerts: AlertSender | None = None  # sends alerts about urgent submissions, when the clinic settings ask for it


class NeedsLogin(Exception):
    """Raised by the staff dependency; answered with a redirect to the login page."""


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


async def database(request: Request) -> AsyncIterator[Session]:
    """A database session for one request; routes commit what they change, anything else is rolled back.

    Opening a session does no I/O (the connection is taken at the first query), so this runs on the event
    loop and saves a trip to the thread pool per request.
    """
    with services(request).sessions() as db:
        yield db


def release(db: Session) -> None:
    """Hand the connection back at the end of a dependency, before the route runs in another worker thread.

    Every plain dependency that reads the database must call this before it returns. A request that kept its
    connection while waiting for a worker thread, when every worker thread was waiting for a connection, is how
    the server once stopped under load (see ``db.make_engine``). Loaded objects stay usable (no expiry on commit).
    """
    db.commit()


def staff_user(request: Request, db: Session = Depends(database)) -> User:
    """The signed-in staff member. A plain function (run in the thread pool, never blocking the event loop) that
    hands its connection back before the route runs (``release``)."""
    user = session_user(db, request.cookies.get(SESSION_COOKIE))
    release(db)
    if user is None:
        raise NeedsLogin
    return user


def staff_viewer(request: Request, db: Session = Depends(database)) -> User:
    """The signed-in staff member, for a route that shows a page: also counts what needs action, for the header
    of every staff page (``page`` passes it on)."""
    user = session_user(db, request.cookies.get(SESSION_COOKIE))
    if user is not None:
        request.state.needs_action = needs_action_count(db)
    release(db)
    if user is None:
        raise NeedsLogin
    return user


async def form_data(request: Request) -> FormData:
    """The posted form, read on the event loop so that the route itself can run in a worker thread.

    Routes that hash passwords, assess answers or write to the database are plain functions, which FastAPI
    runs in its thread pool: the event loop stays free for every other request. Pages post URL-encoded forms
    only (``FormsOnly`` refuses anything else, ``BodyLimit`` caps the size), which the standard library parses
    several times faster than the general multipart parser behind ``request.form()``.
    """
    body = await request.body()
    pairs: list[tuple[str, str | UploadFile]] = []
    pairs += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    return FormData(pairs)


async def body_bytes(request: Request) -> bytes:
    return await request.body()


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    s = services(request)
    token = request.scope.get("csrftoken")
    html = s.templates.get_template(template).render(
        request=request,
        csrf_field=CSRF_FIELD,
        csrf_token=token() if callable(token) else "",
        clinic=s.clinic,
        statement=s.definition.ruleset.statement,
        questionnaire=s.definition.questionnaire,
        version=__version__,
        needs_action=getattr(request.state, "needs_action", None),
        **context,
    )
    return HTMLResponse(html, status_code=status_code)
