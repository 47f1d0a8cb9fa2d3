"""Quiet messages on Telegram: never forwardable or savable, and hidden in previews where configured."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.channels.telegram import TelegramAdapter, TelegramConfig
from bot.handoff.relay import OutboundMessage
from bot.messages import Channel, IncomingMessage, Reply

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Sent:
    message_id: int


class RecordingBot:
    """Takes send_message calls as the Bot API would, and keeps their parameters."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def send_message(self, chat_id: int, text: str, **options: Any) -> Sent:
        self.calls.append({"chat_id": chat_id, "text": text, **options})
        return Sent(len(self.calls))


class KnownRoute:
    async def get(self, channel: str, pseudonym: str) -> str | None:
        return "731942615"


class NoConversation:
    async def handle(self, message: IncomingMessage) -> list[Reply]:
        return []

    async def locale_for(self, pseudonym: str, channel: Channel, hint: str) -> str:
        return hint


def adapter(**options: bool) -> TelegramAdapter:
    config = TelegramConfig("1:T", "http://127.0.0.1:9/bot", ROOT / "content" / "locale", b"s", **options)
    return TelegramAdapter(config, NoConversation(), None)


def counsellor_says(text: str) -> OutboundMessage:
    return OutboundMessage("1-0", "t" * 32, "p" * 64, "counsellor", text, "k1")


@pytest.mark.parametrize("hidden", [False, True])
async def test_every_message_is_protected_from_forwarding_and_saving(hidden: bool) -> None:
    bot = RecordingBot()
    assert await adapter(hidden_previews=hidden).deliver(bot, KnownRoute(), counsellor_says("Are you safe?"))
    assert bot.calls[0]["protect_content"] is True


async def test_hidden_previews_send_the_whole_text_as_a_spoiler() -> None:
    bot = RecordingBot()
    text = "Привет 👋 are you safe?"  # the emoji counts twice in UTF-16, as Telegram counts
    await adapter(hidden_previews=True).deliver(bot, KnownRoute(), counsellor_says(text))
    [entity] = bot.calls[0]["entities"]
    assert (entity.type, entity.offset, entity.length) == ("spoiler", 0, len(text) + 1)


async def test_without_hidden_previews_the_text_is_plain() -> None:
    bot = RecordingBot()
    await adapter().deliver(bot, KnownRoute(), counsellor_says("Are you safe?"))
    assert bot.calls[0]["entities"] is None
