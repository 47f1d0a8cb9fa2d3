"""The conversation core: every channel hands it a survivor's message and sends back its replies."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Protocol

import structlog

from bot.conversation.messages import IncomingMessage, Reply
from bot.engine.rasa import EngineUnavailable
from bot.i18n import Translator, _

log = structlog.get_logger(__name__)

ENGINE_DOWN = _(
    "Sorry, I can't answer right now. Please write again in a minute. "
    "If you are in danger, call your local emergency number."
)
NOTHING_TO_SAY = _("Sorry, I don't have an answer for that. Please try other words or write 'menu'.")


class Engine(Protocol):
    """The dialogue engine (Rasa)."""

    async def send(self, pseudonym: str, text: str, metadata: dict[str, object]) -> list[Reply]:
        """Answer one turn."""
        ...


class ConversationLog(Protocol):
    """Where the fact of a conversation is recorded (never its text)."""

    def record_message(self, pseudonym: str, channel: str, locale: str) -> None:
        """Count one incoming message."""
        ...


class ConversationCore:
    """Routes a survivor's message to the engine and returns the replies to show them."""

    def __init__(self, engine: Engine, conversations: ConversationLog, catalog_dir: Path) -> None:
        self._engine = engine
        self._conversations = conversations
        self._catalog_dir = catalog_dir
        self._recordings: set[asyncio.Task[None]] = set()

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        """Answer one message. Problems become a kind reply in the person's language, never a crash."""
        started = time.perf_counter()
        translate = Translator(self._catalog_dir, message.locale).gettext
        # Counting the message must not delay the answer: it runs beside the turn and finishes after it.
        recording = asyncio.create_task(self._record(message))
        self._recordings.add(recording)
        recording.add_done_callback(self._recordings.discard)
        metadata: dict[str, object] = {"locale": message.locale, "channel": message.channel.value}
        try:
            replies = await self._engine.send(message.pseudonym, message.text, metadata)
        except EngineUnavailable as error:
            log.error("engine_unavailable", pseudonym=message.pseudonym[:12], error=str(error))
            return [Reply(text=translate(ENGINE_DOWN))]
        if not replies:
            log.warning("engine_said_nothing", pseudonym=message.pseudonym[:12])
            replies = [Reply(text=translate(NOTHING_TO_SAY))]
        log.info(
            "turn",
            pseudonym=message.pseudonym[:12],
            channel=message.channel.value,
            locale=message.locale,
            replies=len(replies),
            ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return replies

    async def drain(self) -> None:
        """Wait for conversation counters still being written (at shutdown)."""
        if self._recordings:
            await asyncio.gather(*self._recordings, return_exceptions=True)

    async def _record(self, message: IncomingMessage) -> None:
        try:
            await asyncio.to_thread(
                self._conversations.record_message, message.pseudonym, message.channel.value, message.locale
            )
        except Exception as error:  # the answer matters more than the counter
            log.warning("conversation_not_recorded", error=type(error).__name__)
