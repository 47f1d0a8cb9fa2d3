"""The console's defences that do not depend on who is logged in: security headers on every response,
CSRF tokens, a bounded form reader, and the same-origin check of WebSocket handshakes."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# `default-src 'self'` covers scripts, styles and the WebSocket; nothing inline, nothing from elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Chats and notes must not stay in a shared computer's cache, nor in a proxy's.
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "X-Robots-Tag": "noindex, nofollow",
}
MAX_FORM_BYTES = 64 * 1024
MAX_FORM_FIELDS = 32
FORM_TYPE = "application/x-www-form-urlencoded"
_STARTS = ("http.response.start", "websocket.http.response.start")


def new_token() -> str:
    """A random token for a session id or a CSRF token (256 bits)."""
    return secrets.token_urlsafe(32)


def tokens_match(expected: str | None, given: object) -> bool:
    """True when `given` is the expected token; constant time, and never for an empty token."""
    if not expected or not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


class SecurityHeaders:
    """Adds the security headers to every HTTP response of the wrapped app (WebSocket refusals too)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._headers = [(name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]
        self._names = {name for name, _ in self._headers}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request through; replace these headers in the response's start."""

        async def send_with_headers(message: Message) -> None:
            if message["type"] in _STARTS:
                kept = [
                    (name, value) for name, value in message.get("headers", []) if name not in self._names
                ]
                message = {**message, "headers": [*kept, *self._headers]}
            await send(message)

        await self._app(scope, receive, send_with_headers)


class FormTooLarge(Exception):
    """A form bigger than any console form can be."""


async def read_form(request: Request) -> dict[str, str]:
    """The fields of a url-encoded form (the last value of a repeated name); {} for any other body.

    Read here rather than with `request.form()`, which needs python-multipart for a format the console
    never accepts (it has no file uploads).
    """
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM_TYPE:
        return {}
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormTooLarge
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError):
        return {}
    return dict(pairs)


def same_origin(connection: HTTPConnection) -> bool:
    """True when a browser's Origin header (if any) names this host: no other site may open our sockets."""
    origin = connection.headers.get("origin")
    if origin is None:
        return True  # not a browser (browsers always send Origin on a WebSocket handshake)
    host = connection.headers.get("host", "")
    return urlsplit(origin).netloc.lower() == host.lower()
