"""Attacks on the Telegram webhook (issue 14), against the gateway's own endpoint served by uvicorn on
loopback: a wrong secret is refused before the body is read and compared in constant time, a body over 1 MB
is refused unread, and a malformed update leaves no text in any log."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import structlog
from telegram import Bot, Update

from bot.channels import telegram_webhook
from bot.channels.telegram_webhook import MAX_BODY_BYTES, TelegramWebhook
from bot.wiring.gateway import start_webhook_server
from tests.stack import free_port

SECRET = "s3cret-Token_1"
WORDS = "they took my passport"  # what a person wrote: never in a log
UPDATE = {
    "update_id": 41,
    "message": {
        "message_id": 7,
        "date": 1_795_000_000,
        "chat": {"id": 700_000_123, "type": "private"},
        "from": {"id": 700_000_123, "is_bot": False, "first_name": "M"},
        "text": WORDS,
    },
}


@dataclass
class Webhook:
    """The endpoint listening on loopback, and the queue python-telegram-bot would read updates from."""

    url: str
    port: int
    updates: asyncio.Queue[object]

    async def post(self, body: bytes | dict[str, Any], secret: str | None = SECRET) -> httpx.Response:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"content-type": "application/json"}
        if secret is not None:
            headers["x-telegram-bot-api-secret-token"] = secret
        async with httpx.AsyncClient() as client:
            return await client.post(self.url, content=content, headers=headers, timeout=10)

    def queued(self) -> list[object]:
        found = []
        while not self.updates.empty():
            found.append(self.updates.get_nowait())
        return found


@pytest.fixture
async def webhook() -> AsyncIterator[Webhook]:
    updates: asyncio.Queue[object] = asyncio.Queue()
    port = free_port()
    endpoint = TelegramWebhook(Bot("123456:TEST-TOKEN"), updates, SECRET)
    server, serving = await start_webhook_server(endpoint, "127.0.0.1", port)
    try:
        yield Webhook(f"http://127.0.0.1:{port}/telegram", port, updates)
    finally:
        server.should_exit = True
        await serving


async def status_after_part_of_a_body(port: int, head: str, sent: bytes) -> bytes:
    """Send request headers and only `sent` of the body; the answer's status line (the rest never comes)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head.encode() + sent)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.readline(), timeout=5)
    finally:
        writer.close()


def headers(secret: str, *extra: str) -> str:
    lines = ["POST /telegram HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    lines += [f"X-Telegram-Bot-Api-Secret-Token: {secret}", *extra]
    return "\r\n".join(lines) + "\r\n\r\n"


async def test_an_update_with_the_secret_is_queued(webhook: Webhook) -> None:
    response = await webhook.post(UPDATE)
    assert response.status_code == 200
    [update] = webhook.queued()
    assert isinstance(update, Update) and update.effective_message is not None
    assert update.effective_message.text == WORDS


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET[:-1]])
async def test_a_post_without_the_right_secret_is_refused_and_queues_nothing(
    webhook: Webhook, secret: str | None
) -> None:
    response = await webhook.post(UPDATE, secret=secret)
    assert response.status_code == 403
    assert webhook.queued() == []


async def test_the_secret_is_compared_in_constant_time(
    webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[Any, Any]] = []
    constant_time: Callable[[Any, Any], bool] = hmac.compare_digest

    def spy(given: Any, expected: Any) -> bool:
        compared.append((given, expected))
        return constant_time(given, expected)

    monkeypatch.setattr(telegram_webhook.hmac, "compare_digest", spy)
    assert (await webhook.post(UPDATE, secret="guess")).status_code == 403
    assert (await webhook.post(UPDATE)).status_code == 200
    assert compared == [(b"guess", SECRET.encode()), (SECRET.encode(), SECRET.encode())]


async def test_a_wrong_secret_is_refused_before_the_body_is_read(webhook: Webhook) -> None:
    head = headers("wrong", f"Content-Length: {60 * 1024 * 1024}")
    status = await status_after_part_of_a_body(webhook.port, head, b"[" * 65536)
    assert status.startswith(b"HTTP/1.1 403")


async def test_a_2_mb_body_is_refused_unread_even_with_the_secret(webhook: Webhook) -> None:
    head = headers(SECRET, f"Content-Length: {2 * 1024 * 1024}")
    status = await status_after_part_of_a_body(webhook.port, head, b"[" * 65536)
    assert status.startswith(b"HTTP/1.1 413")
    assert webhook.queued() == []


async def test_a_body_that_streams_past_1_mb_without_a_length_is_refused(webhook: Webhook) -> None:
    chunk = b"[" * 65536
    chunked = (f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n") * (MAX_BODY_BYTES // len(chunk) + 2)
    status = await status_after_part_of_a_body(
        webhook.port, headers(SECRET, "Transfer-Encoding: chunked"), chunked
    )
    assert status.startswith(b"HTTP/1.1 413")
    assert webhook.queued() == []


@pytest.mark.parametrize(
    "body",
    [
        b"{" + WORDS.encode(),  # not JSON
        json.dumps([WORDS]).encode(),  # not an object
        json.dumps({"update_id": 42, "message": {"text": WORDS}}).encode(),  # a message without its fields
        json.dumps({"update_id": 43, "message": WORDS}).encode(),
        json.dumps({"update_id": 44, "unknown_kind": {"text": WORDS}}).encode(),  # no kind the bot knows
        json.dumps({"message": UPDATE["message"]}).encode(),  # no update id
    ],
)
async def test_a_malformed_update_with_the_secret_is_refused_and_no_text_is_logged(
    webhook: Webhook, body: bytes, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as logs:
        response = await webhook.post(body)
    assert response.status_code == 400
    assert webhook.queued() == []
    [refused] = [entry for entry in logs if entry["event"] == "telegram_webhook_unreadable"]
    assert set(refused) == {"event", "log_level", "error"}
    written = repr(logs) + caplog.text + "".join(capfd.readouterr())
    assert WORDS not in written and "passport" not in written


async def test_only_posts_to_the_webhook_path_are_answered(webhook: Webhook) -> None:
    async with httpx.AsyncClient() as client:
        assert (await client.get(webhook.url)).status_code == 405
        other = webhook.url.replace("/telegram", "/other")
        assert (await client.post(other, json=UPDATE)).status_code == 404
    assert webhook.queued() == []


def test_the_secret_must_not_be_empty() -> None:
    with pytest.raises(ValueError):
        TelegramWebhook(Bot("123456:TEST-TOKEN"), asyncio.Queue(), "")
