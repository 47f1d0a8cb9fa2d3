"""Telegram's webhook: a small ASGI endpoint that puts Telegram's updates on python-telegram-bot's queue.

python-telegram-bot's own webhook server compares the secret token with `!=` and logs a malformed update
with its text at CRITICAL (issue 14). This one, PTB's documented "custom webhook" pattern, compares the
secret in constant time before it reads a byte of the body, reads at most 1 MB (from Content-Length, and
again while the body streams in), and logs only an error's class, never what an update says.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from typing import Any

import structlog
from starlette.types import Receive, Scope, Send
from telegram import Bot, Update
from telegram.ext import ExtBot

log = structlog.get_logger(__name__)

WEBHOOK_PATH = "/telegram"
# An update is a few kilobytes; nothing bigger is read.
MAX_BODY_BYTES = 1024 * 1024
SECRET_HEADER = b"x-telegram-bot-api-secret-token"
UPDATE_KINDS = frozenset(str(kind) for kind in Update.ALL_TYPES)


class UnreadableUpdate(ValueError):
    """A body that is not one update Telegram could have sent."""


class TelegramWebhook:
    """POST /telegram from Telegram: 200 once the update is queued; 403 (wrong secret, body unread), 413
    (over 1 MB, unread beyond the limit), 400 (not JSON, or not a known update), 404 and 405 otherwise."""

    def __init__(
        self,
        bot: Bot,
        updates: asyncio.Queue[object],
        secret: str,
        path: str = WEBHOOK_PATH,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        if not secret:
            raise ValueError("the webhook secret must not be empty")
        self._bot = bot
        self._updates = updates
        self._secret = secret.encode()
        self._path = path
        self._max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI entry point (HTTP only; the gateway's server runs without lifespan events)."""
        if scope["type"] != "http":
            return
        status = await self._handle(scope, receive)
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})

    async def _handle(self, scope: Scope, receive: Receive) -> int:
        if scope["path"] != self._path:
            return 404
        if scope["method"] != "POST":
            return 405
        headers = _headers(scope)
        if not hmac.compare_digest(headers.get(SECRET_HEADER, b""), self._secret):
            log.warning("telegram_webhook_refused", reason="secret")
            return 403
        declared = headers.get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self._max_body_bytes:
            log.warning("telegram_webhook_refused", reason="body_too_large")
            return 413
        body = await _read_body(receive, self._max_body_bytes)
        if body is None:
            log.warning("telegram_webhook_refused", reason="body_too_large")
            return 413
        try:
            update = self._update(body)
        except Exception as error:  # whatever the body holds, only the error's class is logged
            log.warning("telegram_webhook_unreadable", error=type(error).__name__)
            return 400
        await self._updates.put(update)
        return 200

    def _update(self, body: bytes) -> Update:
        data: Any = json.loads(body)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            raise UnreadableUpdate("not an update")
        if UPDATE_KINDS.isdisjoint(data):
            raise UnreadableUpdate("no kind of update this bot knows")
        update = Update.de_json(data, self._bot)
        if isinstance(self._bot, ExtBot):  # as PTB's own webhook does, for arbitrary callback data
            self._bot.insert_callback_data(update)
        return update


def _headers(scope: Scope) -> dict[bytes, bytes]:
    """The request's headers, lower-case names; the first of a repeated header counts."""
    found: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        found.setdefault(name.lower(), value)
    return found


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it grows over `limit` bytes (the rest is never read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: what came is not an update
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
