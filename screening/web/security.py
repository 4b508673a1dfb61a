"""The web edge: one ASGI layer that every request passes through, doing in one place what a stack of middleware did.

In order: the access log, HEAD answered as GET, allowed Host headers, the request size limit, URL-encoded forms
only outside the API, the CSRF check on form posts (a signed double-submit cookie), the security headers on every
answer, and a proper 500 or 503 for any error the app did not answer. One layer means one scope, one ``send``
wrapper and one ``receive`` wrapper per request, and a form body that is read and parsed once: the routes get the
parsed fields from the scope (``FORM_KEY``) instead of parsing the body again.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any
from urllib.parse import unquote_plus

from itsdangerous import BadSignature, URLSafeSerializer

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
NO_STORE = (b"cache-control", b"no-store")
STATIC_CACHE = (b"cache-control", b"public, max-age=3600")

CSRF_COOKIE = "csrftoken"  # also the form field that must repeat it
CSRF_SCOPE_KEY = "csrftoken"  # a function in the scope: the token for the page being rendered
FORM_KEY = "screening.form"  # the posted form's fields, parsed once here
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPE = b"application/x-www-form-urlencoded"
GOOD_TOKENS_KEPT = 10_000
_HOST = re.compile(r"(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._~%!$&'()*+,;=-]+)(?::[0-9]*)?")

SERVER_ERROR_PAGE = (
    b"<!doctype html><html lang=en><meta charset=utf-8><title>Something went wrong</title>"
    b"<link rel=stylesheet href=/static/site.css><main class=page><h1>Something went wrong</h1>"
    b"<p>The page could not be shown. Please try again in a moment. If you have a headache with any warning sign "
    b"(sudden and severe, weakness, numbness, slurred speech, loss of sight, a fit, fever with a stiff neck or "
    b"rash, or confusion), call 999 now.</p><p><a href=/>Start again</a></p></main>"
)
UNAVAILABLE_PAGE = SERVER_ERROR_PAGE.replace(b"Something went wrong</h1>", b"The service is busy</h1>")
FORM_EXPIRED_PAGE = (
    b"<!doctype html><html lang=en><meta charset=utf-8><title>Form expired</title>"
    b"<link rel=stylesheet href=/static/site.css><main class=page><h1>This form has expired</h1>"
    b"<p>For your safety the form could not be sent. Go back, reload the page, and try again. "
    b"Your answers were not saved.</p><p><a href=/>Start again</a></p></main>"
)


class TooLarge(Exception):
    """The body grew past the limit while it was read."""


class Edge:
    """Every request's checks and every answer's headers, as one pure ASGI layer (see the module's docstring).

    ``allowed_hosts`` holds host names, ``*.example.org`` patterns or ``*`` for any. Paths under ``/api/`` are
    the JSON API: bearer tokens instead of cookies, so no CSRF check and any content type.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        secret: bytes,
        max_body: int,
        allowed_hosts: Sequence[str] = ("*",),
        secure_cookies: bool = False,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.any_host = "*" in allowed_hosts
        self.hosts = frozenset(h.lower() for h in allowed_hosts if not h.startswith("*"))
        self.host_suffixes = tuple(h[1:].lower() for h in allowed_hosts if h.startswith("*."))
        # the token format of the double-submit cookie: a random value signed with the server's secret
        self.signer = URLSafeSerializer(secret.decode("ascii", "replace"))
        self.cookie_tail = "; Path=/; SameSite=Strict" + ("; Secure" if secure_cookies else "")
        self._good: set[str] = set()  # tokens whose signature was checked already (see ``_signed``)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method: str = scope["method"]
        path: str = scope["path"]
        head = method == "HEAD"
        api = path.startswith("/api/")
        status = 500
        answered = False
        headers = _headers(scope)
        cookie = _cookie(headers.get(b"cookie", b""), CSRF_COOKIE)
        token = cookie if cookie and self._signed(cookie) else ""
        issued = token  # the token a page rendered for this request carries
        set_cookie = False  # whether the answer must set the cookie (a page used a token the browser lacks)

        def page_token() -> str:
            nonlocal issued, set_cookie
            if not issued:
                issued = self.signer.dumps(secrets.token_urlsafe(12), CSRF_COOKIE)
            set_cookie = not token
            return issued

        async def send_out(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status, answered = message["status"], True
                out = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"cache-control"]
                out += HEADERS
                out.append(STATIC_CACHE if path.startswith("/static/") else NO_STORE)
                if set_cookie:
                    out.append((b"set-cookie", f"{CSRF_COOKIE}={issued}{self.cookie_tail}".encode()))
                    out.append((b"vary", b"Cookie"))
                message = {"type": "http.response.start", "status": status, "headers": out}
            elif head and message["type"] == "http.response.body":
                if message.get("more_body"):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        inner: dict[str, Any] = {**scope, CSRF_SCOPE_KEY: page_token}
        if head:
            inner["method"] = "GET"  # pages are declared for GET only and would answer HEAD with 405
        try:
            refusal = self._refusal(headers, method, api)
            if refusal is not None:
                await _answer(send_out, *refusal)
                return
            body_receive = self._limited(receive)
            if method not in SAFE_METHODS and not api:
                body = await _read_all(body_receive)
                fields = parse_form(body.decode("utf-8", "replace"))
                sent = next((v for k, v in reversed(fields) if k == CSRF_COOKIE), "")
                if not token or not hmac.compare_digest(sent.encode(), token.encode()):
                    await _answer(send_out, 403, FORM_EXPIRED_PAGE, b"text/html; charset=utf-8")
                    return
                inner[FORM_KEY] = fields
                body_receive = _replay(body, receive)
            await self.app(inner, body_receive, send_out)
        except Exception as exc:
            if answered:
                raise
            if isinstance(exc, TooLarge):
                await _answer(send_out, 413, b"Request too large")
            else:
                await _error(send_out, exc, method, api)
        finally:
            route = inner.get("route")  # FastAPI's routes name themselves; a plain Starlette route only its endpoint
            plain = "endpoint" in inner and not inner.get("path_params") and not path.startswith("/static/")
            pattern = getattr(route, "path", "") or (
                path if plain else "/static/…" if path.startswith("/static/") else "(no route)"
            )
            # never the raw path or query: paths can hold result tokens, queries a searched name
            log.info("%s %s %d %.1fms", method, pattern, status, (time.perf_counter() - started) * 1000)

    def _signed(self, cookie: str) -> bool:
        """Whether the cookie is a token this server signed. A token once checked is remembered (a browser sends
        the same one with every request, and checking a signature is a tenth of an intake's edge work); only good
        ones are, so made-up cookies cannot fill the memory."""
        if cookie in self._good:
            return True
        try:
            self.signer.loads(cookie, CSRF_COOKIE)
        except BadSignature:
            return False
        if len(self._good) >= GOOD_TOKENS_KEPT:
            self._good.clear()
        self._good.add(cookie)
        return True

    def _refusal(self, headers: dict[bytes, bytes], method: str, api: bool) -> tuple[int, bytes] | None:
        """An answer that refuses the request outright, from its headers alone: bad Host, too large, not a form."""
        if not self.any_host and not self._host_allowed(headers.get(b"host", b"").decode("latin-1")):
            return 400, b"Invalid host header"
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return 413, b"Request too large"
        if method not in SAFE_METHODS and not api:
            kind = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
            if kind != FORM_TYPE and method == "POST":
                # pages post URL-encoded forms only; nothing else reaches the CSRF check or a route
                return 415, b"Forms must be sent as application/x-www-form-urlencoded"
            if kind != FORM_TYPE:
                return 403, b"Forbidden"  # another method with another body: it cannot carry the form's token
        return None

    def _host_allowed(self, header: str) -> bool:
        if not _HOST.fullmatch(header):
            return False
        host = header.rsplit(":", 1)[0] if not header.endswith("]") and ":" in header else header
        host = host.lower()
        return host in self.hosts or any(host.endswith(suffix) for suffix in self.host_suffixes)

    def _limited(self, receive: Receive) -> Receive:
        """``receive``, counting the body as it streams (with or without Content-Length)."""
        received = 0
        limit = self.max_body

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise TooLarge
            return message

        return limited


def parse_form(text: str) -> list[tuple[str, str]]:
    """The fields of a URL-encoded form body, blank values kept: what ``urllib.parse.parse_qsl`` gives, about
    twice as fast, since most names and values of an intake form hold nothing to decode."""
    fields = []
    for part in text.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if "%" in name or "+" in name:
            name = unquote_plus(name, errors="replace")
        if "%" in value or "+" in value:
            value = unquote_plus(value, errors="replace")
        fields.append((name, value))
    return fields


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {k.lower(): v for k, v in scope.get("headers", ())}


def _cookie(header: bytes, name: str) -> str:
    """One cookie's value from a Cookie header (the last one of that name), or ''."""
    found = ""
    for part in header.decode("latin-1").split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            found = value.strip().strip('"')
    return found


async def _read_all(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the app the body read already, then whatever the server says next."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay


async def _answer(
    send: Send, status: int, body: bytes, kind: bytes = b"text/plain; charset=utf-8", **extra: bytes
) -> None:
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
    headers += [(name.replace("_", "-").encode(), value) for name, value in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _error(send: Send, exc: Exception, method: str, api: bool) -> None:
    """Any error the app did not answer: 503 with Retry-After when the database is unavailable or busy, 500
    otherwise; JSON for the API, a page for people. Logged by type only (a message can hold answers)."""
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from ..errors import GroupLost

    unavailable = isinstance(exc, DBAPIError | PoolTimeout | TimeoutError | GroupLost) and not isinstance(
        getattr(exc, "orig", None), ValueError
    )
    log.error("unhandled %s on %s", type(exc).__name__, method)
    extra = {"retry_after": b"5"} if unavailable else {}
    if api:
        text = "the database is unavailable; try again shortly" if unavailable else "internal error"
        body = json.dumps({"detail": text, "errors": []}).encode()
        await _answer(send, 503 if unavailable else 500, body, b"application/json", **extra)
    else:
        page = UNAVAILABLE_PAGE if unavailable else SERVER_ERROR_PAGE
        await _answer(send, 503 if unavailable else 500, page, b"text/html; charset=utf-8", **extra)
