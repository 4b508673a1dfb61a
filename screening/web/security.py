"""ASGI middleware: security headers, a request size limit, a per-address rate limit and a safe access log."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("screening.web")

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),  # result links carry their token in the path
    (b"x-content-type-options", b"nosniff"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeaders:
    """Adds the security headers to every response, and ``no-store`` to everything but static files."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                headers += HEADERS
                headers.append((b"cache-control", b"public, max-age=3600" if cacheable else b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes with 413, whether or not Content-Length is sent."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for key, value in scope.get("headers", []):
            if key == b"content-length":
                try:
                    too_big = int(value) > self.limit
                except ValueError:
                    too_big = True
                if too_big:
                    await _plain(send, 413, "Request too large")
                    return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except TooLarge:
            await _plain(send, 413, "Request too large")


class TooLarge(Exception):
    pass


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class FormsOnly:
    """Pages take URL-encoded forms only: other bodies outside the API are refused with 415 before the CSRF check.

    (asgi-csrf 0.11 cannot parse multipart bodies with current python-multipart, and no page needs them.)
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and not scope["path"].startswith("/api/"):
            kind = dict(scope.get("headers", [])).get(b"content-type", b"").split(b";", 1)[0].strip().lower()
            if kind != b"application/x-www-form-urlencoded":
                await _plain(send, 415, "Forms must be sent as application/x-www-form-urlencoded")
                return
        await self.app(scope, receive, send)


class AccessLog:
    """One line per request: method, route pattern (never the raw path or query), status and time.

    Paths can hold result tokens and queries can hold a searched name, so neither is written.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        route: dict[str, str] = {}
        scope["screening.route"] = route  # filled in by RecordRoute, inside the app

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            static = scope["path"].startswith("/static/")
            pattern = route.get("path") or ("/static/…" if static else "(no route)")
            log.info("%s %s %d %.1fms", scope["method"], pattern, status, (time.perf_counter() - started) * 1000)


class RecordRoute:
    """Tells the access log which route pattern answered (the outer scope is copied on the way in)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            holder = scope.get("screening.route")
            route = scope.get("route")
            if isinstance(holder, dict) and route is not None:
                holder["path"] = getattr(route, "path", "")


class HeadAsGet:
    """HEAD is answered like GET without the body (pages are declared for GET only and would say 405)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body"):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


SERVER_ERROR_PAGE = (
    b"<!doctype html><html lang=en><meta charset=utf-8><title>Something went wrong</title>"
    b"<link rel=stylesheet href=/static/site.css><main class=page><h1>Something went wrong</h1>"
    b"<p>The page could not be shown. Please try again in a moment. If you have a headache with any warning sign "
    b"(sudden and severe, weakness, numbness, slurred speech, loss of sight, a fit, fever with a stiff neck or "
    b"rash, or confusion), call 999 now.</p><p><a href=/>Start again</a></p></main>"
)
UNAVAILABLE_PAGE = SERVER_ERROR_PAGE.replace(b"Something went wrong</h1>", b"The service is busy</h1>")


class Errors:
    """Any error the app did not answer becomes a proper answer inside the security headers: 503 with Retry-After
    when the database is unavailable or busy, 500 otherwise; JSON for the API, a page for people. The error
    itself is logged by type only (a message can hold answers)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            if started or isinstance(exc, TooLarge):  # BodyLimit, further out, answers that one with 413
                raise
            from sqlalchemy.exc import DBAPIError
            from sqlalchemy.exc import TimeoutError as PoolTimeout

            unavailable = isinstance(exc, DBAPIError | PoolTimeout | TimeoutError) and not isinstance(
                getattr(exc, "orig", None), ValueError
            )
            log.error("unhandled %s on %s %s", type(exc).__name__, scope["method"], scope.get("route_path", ""))
            status = 503 if unavailable else 500
            headers = [(b"retry-after", b"5")] if unavailable else []
            if scope["path"].startswith("/api/"):
                text = "the database is unavailable; try again shortly" if unavailable else "internal error"
                body = json.dumps({"detail": text, "errors": []}).encode()
                kind = b"application/json"
            else:
                body, kind = (UNAVAILABLE_PAGE if unavailable else SERVER_ERROR_PAGE), b"text/html; charset=utf-8"
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()), *headers],
                }
            )
            await send({"type": "http.response.body", "body": body})
