"""The console's defences that do not depend on who is logged in (its headers: bot/web/headers.py):
CSRF tokens, a bounded form reader, bounded numbers from paths and forms, and the same-origin check of
WebSocket handshakes."""

from __future__ import annotations

import hmac
import re
import secrets
from typing import TypeGuard
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import HTTPConnection, Request

from bot.store.models import MAX_ROW_ID

MAX_FORM_BYTES = 64 * 1024
MAX_FORM_FIELDS = 32
FORM_TYPE = "application/x-www-form-urlencoded"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


def new_token() -> str:
    """A random token for a session id or a CSRF token (256 bits)."""
    return secrets.token_urlsafe(32)


def is_token(text: str | None) -> TypeGuard[str]:
    """True when `text` has the form of a token made by `new_token` (a cookie value worth looking up)."""
    return text is not None and _TOKEN.fullmatch(text) is not None


def tokens_match(expected: str | None, given: object) -> bool:
    """True when `given` is the expected token; constant time, and never for an empty token."""
    if not expected or not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


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


def whole_number(text: str | None, maximum: int) -> int | None:
    """`text` as a whole number from 1 to `maximum` (ASCII digits only); else None, never an error.

    `int()` alone would take "²" or "١" as digits, and a 5,000-digit number raises; one past what a column
    holds raised OverflowError in the database (a 500).
    """
    if not text or not text.isascii() or not text.isdigit() or len(text) > len(str(maximum)):
        return None
    number = int(text)
    return number if 1 <= number <= maximum else None


def row_id(text: str | None) -> int | None:
    """An id from a URL or a form (a counsellor's), or None when it cannot name a row."""
    return whole_number(text, MAX_ROW_ID)


def same_origin(connection: HTTPConnection) -> bool:
    """True when a browser's Origin header (if any) names this host: no other site may open our sockets."""
    origin = connection.headers.get("origin")
    if origin is None:
        return True  # not a browser (browsers always send Origin on a WebSocket handshake)
    host = connection.headers.get("host", "")
    return urlsplit(origin).netloc.lower() == host.lower()
