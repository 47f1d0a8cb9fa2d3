"""The Telegram webhook listener (python-telegram-bot's, on tornado) refuses a huge body from its headers,
before reading it and before the secret is checked; real updates still arrive."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest
from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters
from tornado.httpserver import HTTPServer

from bot.wiring.gateway import WEBHOOK_MAX_BODY_BYTES, limit_webhook_bodies
from tests.fakes.telegram_api import FakeTelegramAPI

SECRET = "s3cret-Token_1"
USER = 700_000_123


@pytest.fixture
def fake() -> Iterator[FakeTelegramAPI]:
    with FakeTelegramAPI() as api:
        yield api


@pytest.fixture
def limited() -> Iterator[None]:
    """The gateway's limit on tornado's servers, taken off again afterwards (it is process-wide)."""
    limit_webhook_bodies()
    yield
    HTTPServer.configure(None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def first_line_after_sending_headers(port: int, content_length: int) -> bytes:
    """POST the headers of a huge body with a wrong secret and 64 KB of it; the answer's status line."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        (
            "POST /telegram HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"X-Telegram-Bot-Api-Secret-Token: wrong\r\nContent-Length: {content_length}\r\n\r\n"
        ).encode()
        + b"[" * 65536
    )
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.readline(), timeout=5)
    finally:
        writer.close()


@pytest.mark.usefixtures("limited")
async def test_a_60_mb_webhook_body_is_refused_unread_and_updates_still_arrive(fake: FakeTelegramAPI) -> None:
    received: list[str] = []

    async def record(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_message.text is not None
        received.append(update.effective_message.text)

    port = free_port()
    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, record))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="telegram",
            webhook_url=f"http://127.0.0.1:{port}/telegram",
            secret_token=SECRET,
        )
        try:
            status = await first_line_after_sending_headers(port, 60 * 1024 * 1024)
            fake.send_text(USER, "a real update")
            for _ in range(100):
                if received:
                    break
                await asyncio.sleep(0.05)
        finally:
            await app.updater.stop()
            await app.stop()
    assert status.startswith(b"HTTP/1.1 400")
    assert received == ["a real update"]
    assert WEBHOOK_MAX_BODY_BYTES == 1024 * 1024  # updates are a few KB; tornado's default is 100 MB
