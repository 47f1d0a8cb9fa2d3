"""The conversation core: every channel hands it a survivor's message and sends back its replies."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import structlog

from bot.conversation.language import LanguageDetector, LocaleChoice, LocaleSource, choose
from bot.conversation.messages import Channel, IncomingMessage, Reply
from bot.engine.rasa import EngineUnavailable
from bot.i18n import SUPPORTED_LOCALES, Translator, _, locale_from_payload

log = structlog.get_logger(__name__)

ENGINE_DOWN = _(
    "Sorry, I can't answer right now. Please write again in a minute. "
    "If you are in danger, call your local emergency number."
)
NOTHING_TO_SAY = _("Sorry, I don't have an answer for that. Please try other words or write 'menu'.")
# After a language button, the person sees what the bot can do, in the language they just chose.
AFTER_LANGUAGE_CHOICE = "/bot_capabilities"


class Engine(Protocol):
    """The dialogue engine (Rasa)."""

    async def send(self, pseudonym: str, text: str, metadata: dict[str, object]) -> list[Reply]:
        """Answer one turn."""
        ...


class ConversationLog(Protocol):
    """Where the fact of a conversation is recorded (never its text), with the locale chosen."""

    def locale_of(self, pseudonym: str, channel: str) -> tuple[str, str] | None:
        """The locale a person was last answered in, and its source's name, if they wrote before."""
        ...

    def record_message(self, pseudonym: str, channel: str, locale: str, locale_source: str) -> None:
        """Count one incoming message and keep the locale it was answered in."""
        ...


class ConversationCore:
    """Chooses the person's language, routes their message to the engine, returns the replies."""

    def __init__(
        self,
        engine: Engine,
        conversations: ConversationLog,
        catalog_dir: Path,
        detector: LanguageDetector | None = None,
        locales: Sequence[str] = SUPPORTED_LOCALES,
    ) -> None:
        self._engine = engine
        self._conversations = conversations
        self._catalog_dir = catalog_dir
        self._detector = detector
        self._locales = tuple(locales)
        self._recordings: set[asyncio.Task[None]] = set()

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        """Answer one message. Problems become a kind reply in the person's language, never a crash."""
        started = time.perf_counter()
        before = await self._stored_choice(message.pseudonym, message.channel)
        choice = choose(before, message.locale, message.text, self._detector, self._locales)
        # Counting the message must not delay the answer: it runs beside the turn. A new locale must be
        # stored before the reply goes out, so that the person's next message already finds it.
        recording = asyncio.create_task(self._record(message, choice))
        self._recordings.add(recording)
        recording.add_done_callback(self._recordings.discard)
        text = AFTER_LANGUAGE_CHOICE if locale_from_payload(message.text, self._locales) else message.text
        replies = await self._answer(message, text, choice.locale)
        if choice != before:
            await recording
            log.info(
                "locale_chosen",
                pseudonym=message.pseudonym[:12],
                locale=choice.locale,
                source=choice.source.name.lower(),
            )
        log.info(
            "turn",
            pseudonym=message.pseudonym[:12],
            channel=message.channel.value,
            locale=choice.locale,
            replies=len(replies),
            ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return [dataclasses.replace(reply, locale=choice.locale) for reply in replies]

    async def locale_for(self, pseudonym: str, channel: Channel, hint: str) -> str:
        """The locale this person is answered in: their stored choice, else the channel's hint."""
        stored = await self._stored_choice(pseudonym, channel)
        return stored.locale if stored and stored.source > LocaleSource.CLIENT else hint

    async def drain(self) -> None:
        """Wait for conversation counters still being written (at shutdown)."""
        if self._recordings:
            await asyncio.gather(*self._recordings, return_exceptions=True)

    async def _answer(self, message: IncomingMessage, text: str, locale: str) -> list[Reply]:
        translate = Translator(self._catalog_dir, locale).gettext
        metadata: dict[str, object] = {"locale": locale, "channel": message.channel.value}
        try:
            replies = await self._engine.send(message.pseudonym, text, metadata)
        except EngineUnavailable as error:
            log.error("engine_unavailable", pseudonym=message.pseudonym[:12], error=str(error))
            return [Reply(text=translate(ENGINE_DOWN))]
        if not replies:
            log.warning("engine_said_nothing", pseudonym=message.pseudonym[:12])
            return [Reply(text=translate(NOTHING_TO_SAY))]
        return replies

    async def _stored_choice(self, pseudonym: str, channel: Channel) -> LocaleChoice | None:
        try:
            stored = await asyncio.to_thread(self._conversations.locale_of, pseudonym, channel.value)
        except Exception as error:  # without the store, the channel's hint still gives a language
            log.warning("locale_not_read", error=type(error).__name__)
            return None
        if stored is None or stored[0] not in self._locales:
            return None
        locale, source = stored
        return LocaleChoice(locale, LocaleSource.__members__.get(source.upper(), LocaleSource.CLIENT))

    async def _record(self, message: IncomingMessage, choice: LocaleChoice) -> None:
        try:
            await asyncio.to_thread(
                self._conversations.record_message,
                message.pseudonym,
                message.channel.value,
                choice.locale,
                choice.source.name.lower(),
            )
        except Exception as error:  # the answer matters more than the counter
            log.warning("conversation_not_recorded", error=type(error).__name__)
