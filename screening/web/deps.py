"""What a request needs, as FastAPI dependencies: the app's services, a database session, the posted form, a page.

The routers import these from here, never from ``app`` (which imports the routers to build the application).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import anyio
import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import FormData, UploadFile

from .._version import __version__
from ..clinic import ClinicSettings
from ..definition import Definition
from .alerts import AlertSender
from .auth import recent_session_user, session_user
from .db import User
from .queue import needs_action_count
from .ratelimit import SharedRateLimiter
from .security import CSRF_SCOPE_KEY, FORM_KEY
from .settings import Settings
from .writer import GroupWriter

T = TypeVar("T")
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
    store_limiters: dict[int, anyio.CapacityLimiter] = field(default_factory=dict)  # see ``in_store_session``
    writer: GroupWriter | None = None  # SQLite: stores the staff intakes waiting together (``writer``)


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


async def staff_user(request: Request) -> User:
    """The signed-in staff member. A session found valid moments ago is taken from memory on the event loop
    (``auth.recent_session_user``); otherwise one worker thread looks it up with its own short database session,
    so no connection is held while the route waits for its own thread."""
    token = request.cookies.get(SESSION_COOKIE)
    user = recent_session_user(token)
    if user is None and token:
        user = await anyio.to_thread.run_sync(_look_up, services(request).sessions, token)
    if user is None:
        raise NeedsLogin
    return user


def _look_up(sessions: sessionmaker[Session], token: str) -> User | None:
    with sessions() as db:
        return session_user(db, token)


async def staff_viewer(request: Request) -> User:
    """The signed-in staff member, for a route that may show a page: the count of what needs action, shown in
    the header of every staff page, is taken only when a page is rendered (``page``), not for a redirect."""
    user = await staff_user(request)
    request.state.needs_action = _counter(services(request).sessions)
    return user


def _counter(sessions: sessionmaker[Session]) -> Callable[[], int]:
    def count() -> int:
        with sessions() as db:
            return needs_action_count(db)

    return count


async def form_data(request: Request) -> FormData:
    """The posted form, read on the event loop so that the route itself can run in a worker thread.

    Routes that hash passwords, assess answers or write to the database are plain functions, which FastAPI
    runs in its thread pool: the event loop stays free for every other request. Pages post URL-encoded forms
    only, which the edge layer (``security.Edge``) has already read and parsed for its CSRF check: the fields
    are taken from there. Anything else (the API's own posts) is parsed here with the standard library.
    """
    pairs: list[tuple[str, str | UploadFile]] = []
    parsed = request.scope.get(FORM_KEY)
    if parsed is not None:
        pairs += parsed
    else:
        body = await request.body()
        pairs += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    return FormData(pairs)


STORE_THREADS = 8


async def in_store_session(request: Request, work: Callable[..., T], *args: Any) -> T:
    """Run ``work(session, *args)`` off the event loop, for a route that stores a submission; ``work`` commits.

    On SQLite the app's ``GroupWriter`` runs it: one thread stores whatever is waiting in one transaction (one
    commit for several submissions, and no threads taking turns at random for the GIL or the one write lock).
    PostgreSQL takes writes side by side and its round trips leave the CPU free, so there each runs in a worker
    thread of its own, at most ``STORE_THREADS`` at a time, in the order they came.
    """
    s = services(request)
    if s.writer is not None:
        return await s.writer.run(work, *args)
    limiters: dict[int, anyio.CapacityLimiter] = s.store_limiters
    loop = id(asyncio.get_running_loop())  # a limiter belongs to the event loop it was made on
    limiter = limiters.get(loop)
    if limiter is None:
        limiter = limiters[loop] = anyio.CapacityLimiter(STORE_THREADS)
    return await anyio.to_thread.run_sync(_in_session, s.sessions, work, args, limiter=limiter)


def _in_session(sessions: sessionmaker[Session], work: Callable[..., T], args: tuple[Any, ...]) -> T:
    with sessions() as db:
        return work(db, *args)


async def body_bytes(request: Request) -> bytes:
    return await request.body()


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    s = services(request)
    token = request.scope.get(CSRF_SCOPE_KEY)
    needs_action = getattr(request.state, "needs_action", None)
    if callable(needs_action):  # a staff page: counted now, in the route's worker thread (see staff_viewer)
        needs_action = request.state.needs_action = needs_action()
    html = s.templates.get_template(template).render(
        request=request,
        csrf_field=CSRF_FIELD,
        csrf_token=token() if callable(token) else "",
        clinic=s.clinic,
        statement=s.definition.ruleset.statement,
        questionnaire=s.definition.questionnaire,
        version=__version__,
        needs_action=needs_action,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)
