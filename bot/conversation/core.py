"""The conversation core: every channel hands it a survivor's message and sends back its replies."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any

import structlog

from bot.content.danger import DangerSignal
from bot.content.follow_ups import FOLLOW_UPS_FILE, FollowUps
from bot.content.places import PLACES_FILE, Gazetteer
from bot.conversation.blocked import BlockedDesk
from bot.conversation.country_turn import Understanding, asked_of_engine, read_country
from bot.conversation.danger_first import DangerFirst, put_first
from bot.conversation.degraded import ContentOnlyAnswers
from bot.conversation.language import LanguageDetector, LocaleChoice, LocaleSource, choose
from bot.conversation.ports import ConversationLog, HandoffTurns, PrivacyTurns
from bot.conversation.two_needs import TwoNeeds, together
from bot.countries import country_from_payload
from bot.engine.base import Engine, EngineUnavailable
from bot.handoff.desk import CANCEL_PAYLOAD
from bot.handoff.offers import ASK_AGAIN, offered_token
from bot.i18n import SUPPORTED_LOCALES, Translator, _, locale_from_payload
from bot.messages import Channel, IncomingMessage, Reply
from bot.metrics import Metrics
from bot.privacy.resume import Resumed, ResumeTurns
from bot.store.conversations import StoredConversation
from bot.store.counts import Cell, CountSink, TurnCounts

log = structlog.get_logger(__name__)

ENGINE_DOWN = _(
    "Sorry, I can't answer right now. Please write again in a minute. "
    "If you are in danger, call your local emergency number."
)
NOTHING_TO_SAY = _("Sorry, I don't have an answer for that. Please try other words or write 'menu'.")
# After a language button, the person sees what the bot can do, in the language they just chose.
AFTER_LANGUAGE_CHOICE = "/bot_capabilities"
# After a country picked from the country list alone (not under a question), the same.
AFTER_COUNTRY_CHOICE = "bot_capabilities"
ASK_COUNTRY_AGAIN = "/change_country"
PRIVACY_DOWN = _("Sorry, something went wrong on our side. Please try again in a moment.")
HANDOFF_DOWN = _(
    "Sorry, your message could not be passed on to the counsellor right now. Please send it again in a "
    "minute. If you are in danger, call your local emergency number."
)


class ConversationCore:
    """Chooses the person's language, routes their message, returns the replies.

    The order is the safety order: the privacy controls first (an erase or the safe word must work even
    in a counsellor's chat), then a block (a neutral message and the emergency numbers), then an open
    handoff (the counsellor, never the engine), then the engine; a message that may mean danger gets the
    emergency number before the block's, the handoff's or the engine's replies.
    """

    def __init__(
        self,
        engine: Engine,
        conversations: ConversationLog,
        catalog_dir: Path,
        detector: LanguageDetector | None = None,
        locales: Sequence[str] = SUPPORTED_LOCALES,
        handoff: HandoffTurns | None = None,
        privacy: PrivacyTurns | None = None,
        danger: DangerFirst | None = None,
        without_engine: ContentOnlyAnswers | None = None,
        metrics: Metrics | None = None,
        places: Gazetteer | None = None,
        resume: ResumeTurns | None = None,
        blocked: BlockedDesk | None = None,
        follow_ups: FollowUps | None = None,
        counts: CountSink | None = None,
    ) -> None:
        self._engine = engine
        self._counts = TurnCounts(counts)  # the reports' daily counters: danger replies given first
        self._blocked = blocked
        self._metrics = metrics or Metrics()
        self._without_engine = without_engine
        self._danger, self._handoff, self._privacy, self._resume = danger, handoff, privacy, resume
        self._conversations = conversations
        self._catalog_dir = catalog_dir
        self._detector = detector
        self._locales = tuple(locales)
        # The reviewed gazetteer beside the catalogs (content/places.yml), unless one is given.
        self._places = places or Gazetteer.load(catalog_dir.parent / PLACES_FILE)
        self._follow_ups = follow_ups or FollowUps.load(catalog_dir.parent / FOLLOW_UPS_FILE)  # "and how?"
        self._needs = TwoNeeds.load(engine, catalog_dir.parent)  # two needs in one message
        self._recordings: set[asyncio.Task[None]] = set()

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        """Answer one message. Problems become a kind reply in the person's language, never a crash.

        The person's country comes from a country button, or from any message that names it (a country,
        a city, "the Spanish police"): a topic is then answered for it at once, the question pending
        under "which country are you in?" too, and a message that only names a country ("and in
        Romania?") answers the last topic again for it (bot/conversation/country_turn.py); so does a
        short follow-up asking something of it ("and if I have no papers?", "and my friend?", "how?").
        """
        started = time.perf_counter()
        stored = await self._stored(message.pseudonym, message.channel)
        before = _locale_choice(stored, self._locales)
        choice = choose(before, message.locale, message.text, self._detector, self._locales)
        understood = self._understood(message.text, stored)
        country = understood.country
        replies = await self._privacy_turn(message, choice.locale, country)
        if replies is None:
            resumed = await self._resume_turn(message, choice.locale, country)
            if resumed is not None:  # the words of a code say nothing of the person's language or country
                replies, restored = resumed.replies, resumed.restored
                choice = _locale_choice(restored, self._locales) or choose(
                    before, message.locale, "", None, self._locales
                )
                country = restored.country if restored else stored.country if stored else None
        if replies is None:
            replies = await self._safety_turn(message, understood, choice.locale)
        if any(reply.erased for reply in replies):  # nothing about this person may be written again
            log.info("turn", pseudonym=message.pseudonym[:12], channel=message.channel.value, erased=True)
            return [dataclasses.replace(reply, locale=choice.locale) for reply in replies]
        after = StoredConversation(
            choice.locale, choice.source.name.lower(), country, _pending_intent(replies)
        )
        # Counting the message must not delay the answer: it runs beside the turn. A new locale, country
        # or question must be stored before the reply goes out, so the person's next message finds it.
        recording = self._in_background(self._record(message, after))
        if stored != after:
            await recording
        if choice != before:
            log.info(
                "locale_chosen",
                pseudonym=message.pseudonym[:12],
                locale=choice.locale,
                source=choice.source.name.lower(),
            )
        if stored is None or stored.country != country:
            log.info("country_chosen", pseudonym=message.pseudonym[:12], country=country)
        seconds = time.perf_counter() - started
        self._metrics.turn(message.channel.value, seconds)
        log.info(
            "turn",
            pseudonym=message.pseudonym[:12],
            channel=message.channel.value,
            locale=choice.locale,
            replies=len(replies),
            ms=round(seconds * 1000, 1),
        )
        return [dataclasses.replace(reply, locale=choice.locale) for reply in replies]

    async def _safety_turn(
        self, message: IncomingMessage, understood: Understanding, locale: str
    ) -> list[Reply]:
        """An open handoff's turn, else the engine's; a message that may mean danger gets the emergency
        number first in either (a counsellor's chat too: the number must not wait for a reply)."""
        text, country = understood.text, understood.country
        signal = self._assess_danger(message)
        if self._blocked is not None and await self._blocked.is_blocked(message.pseudonym):
            # Neither the engine nor a counsellor: a neutral message and the emergency numbers, never silence.
            log.info("blocked_turn", pseudonym=message.pseudonym[:12], danger=signal is not None)
            self._metrics.reply("blocked")
            return self._blocked.replies(locale, country, danger=signal is not None)
        replies = await self._handoff_turn(message, text, locale, country)
        if replies is None:
            asked = ASK_AGAIN if offered_token(text) is not None else text
            asked, notes = await asked_of_engine(asked, understood, self._engine, message.pseudonym)
            texts = await self._needs.texts(asked, locale, message.pseudonym)  # two needs: two commands
            replies = together([await self._answer(message, text, locale, country, notes) for text in texts])
        if signal is None or self._danger is None:
            return replies
        log.info("danger_net", pseudonym=message.pseudonym[:12], cue=signal.cue, lexicon=signal.locale)
        self._metrics.reply("danger_first")
        cell = Cell("danger_reply", "net", message.channel.value, locale, country or "")
        self._in_background(self._counts.add(cell))  # the number must not wait for a counter
        return put_first(self._danger.emergency_reply(locale, country), replies)

    def _assess_danger(self, message: IncomingMessage) -> DangerSignal | None:
        if self._danger is None:
            return None
        try:
            return self._danger.assess(message.text)
        except Exception as error:  # never let the net cost the person their answer
            log.error("danger_net_failed", pseudonym=message.pseudonym[:12], error=type(error).__name__)
            return None

    async def _handoff_turn(
        self, message: IncomingMessage, text: str, locale: str, country: str | None
    ) -> list[Reply] | None:
        """While a counsellor has the chat (or the person waits for one), what they write goes there.

        Returns the replies of a handoff turn, or None when the turn is the bot's.
        """
        if self._handoff is None:
            return None
        desk, open_ticket = self._handoff, None
        try:
            open_ticket = await desk.open_ticket(message)
            if open_ticket is not None and text == CANCEL_PAYLOAD:
                return await desk.leave(message, locale)
            if open_ticket is not None:
                key = message.message_key or f"s-{uuid.uuid4().hex}"
                await desk.forward(open_ticket, message, key)  # as written: no button or country reading
                return []
            token = offered_token(text)
            if token is not None:
                return await desk.join(message, token, locale, country)
            if text == CANCEL_PAYLOAD:  # an old "stop waiting" button: nothing to stop
                return await desk.leave(message, locale)
        except Exception as error:  # Redis or the store is down: say so, never drop the message silently
            log.error("handoff_unavailable", pseudonym=message.pseudonym[:12], error=type(error).__name__)
            if open_ticket is not None or offered_token(text) is not None:
                return [Reply(text=Translator(self._catalog_dir, locale).gettext(HANDOFF_DOWN))]
        return None

    async def _privacy_turn(
        self, message: IncomingMessage, locale: str, country: str | None
    ) -> list[Reply] | None:
        """Erase, vanishing mode and the safe word, before anything else (a counsellor's chat included)."""
        if self._privacy is None:
            return None
        try:
            if self._privacy.is_erase(message.text):
                await self.drain()  # a count still being written must not outlive the erase
            return await self._privacy.turn(message, locale, country)
        except Exception as error:  # Redis down: say so, never pretend it worked
            log.error("privacy_unavailable", pseudonym=message.pseudonym[:12], error=type(error).__name__)
            return [Reply(text=Translator(self._catalog_dir, locale).gettext(PRIVACY_DOWN))]

    async def _resume_turn(
        self, message: IncomingMessage, locale: str, country: str | None
    ) -> Resumed | None:
        """A request for a resume code, or a typed one (never for the engine's tracker); danger first."""
        if self._resume is None or not self._resume.wants(message.text):
            return None
        if self._assess_danger(message) is not None:
            return None
        try:
            return await self._resume.turn(message, locale, country)
        except Exception as error:  # Redis down: say so, never pretend it worked
            log.error("resume_unavailable", pseudonym=message.pseudonym[:12], error=type(error).__name__)
            return Resumed([Reply(text=Translator(self._catalog_dir, locale).gettext(PRIVACY_DOWN))])

    def _understood(self, text: str, stored: StoredConversation | None) -> Understanding:
        """What to send the engine, and the country: buttons, and countries named in what was written."""
        country = stored.country if stored else None
        if locale_from_payload(text, self._locales):
            return Understanding(AFTER_LANGUAGE_CHOICE, country)
        if text.startswith("/country_"):
            picked = country_from_payload(text)
            if picked is None:  # a forged or outdated button: ask again
                return Understanding(ASK_COUNTRY_AGAIN, country)
            code, then_intent = picked
            return Understanding(f"/{then_intent or AFTER_COUNTRY_CHOICE}", code)
        if text.startswith("/"):  # another button or command: it names no place
            return Understanding(text, country)
        return read_country(text, stored, self._places, self._locales, self._follow_ups)

    async def locale_for(self, pseudonym: str, channel: Channel, hint: str) -> str:
        """The locale this person is answered in: their stored choice, else the channel's hint."""
        choice = _locale_choice(await self._stored(pseudonym, channel), self._locales)
        return choice.locale if choice and choice.source > LocaleSource.CLIENT else hint

    def _in_background(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run a write beside the turn; `drain` waits for it (before an erase, at shutdown)."""
        self._recordings.add(task := asyncio.create_task(work))
        task.add_done_callback(self._recordings.discard)
        return task

    async def drain(self) -> None:
        """Wait for conversation counters still being written (at shutdown)."""
        if self._recordings:
            await asyncio.gather(*self._recordings, return_exceptions=True)

    async def _answer(
        self,
        message: IncomingMessage,
        text: str,
        locale: str,
        country: str | None,
        follow_up: Sequence[str] = (),
    ) -> list[Reply]:
        translate = Translator(self._catalog_dir, locale).gettext
        metadata: dict[str, object] = {"locale": locale, "channel": message.channel.value}
        if country:
            metadata["country"] = country
        if follow_up:  # the answer says what the follow-up asks first (bot/actions/nlg.py)
            metadata["follow_up"] = list(follow_up)
        try:
            replies = await self._engine.send(message.pseudonym, text, metadata)
        except EngineUnavailable as error:
            log.error("engine_unavailable", pseudonym=message.pseudonym[:12], error=str(error))
            self._metrics.engine_error(str(error))
            if self._without_engine is not None:
                try:
                    replies = self._without_engine.replies(text, locale, country, message.channel.value)
                    self._metrics.reply("degraded")
                    return replies
                except Exception as failure:  # the apology below is still better than nothing
                    log.error("content_only_failed", error=type(failure).__name__)
            self._metrics.reply("apology")
            return [Reply(text=translate(ENGINE_DOWN))]
        if not replies:
            log.warning("engine_said_nothing", pseudonym=message.pseudonym[:12])
            self._metrics.reply("empty")
            return [Reply(text=translate(NOTHING_TO_SAY))]
        self._metrics.reply("answer")
        return replies

    async def _stored(self, pseudonym: str, channel: Channel) -> StoredConversation | None:
        try:
            return await asyncio.to_thread(self._conversations.state_of, pseudonym, channel.value)
        except Exception as error:  # without the store, the channel's hint still gives a language
            log.warning("conversation_not_read", error=type(error).__name__)
            return None

    async def _record(self, message: IncomingMessage, state: StoredConversation) -> None:
        try:
            await asyncio.to_thread(
                self._conversations.record_message,
                message.pseudonym,
                message.channel.value,
                state.locale,
                state.locale_source,
                state.country,
                state.pending_intent,
            )
        except Exception as error:  # the answer matters more than the counter
            log.warning("conversation_not_recorded", error=type(error).__name__)


def _locale_choice(stored: StoredConversation | None, locales: Sequence[str]) -> LocaleChoice | None:
    """The stored locale as a choice of known strength; None when there is none or it is unsupported."""
    if stored is None or stored.locale not in locales:
        return None
    return LocaleChoice(
        stored.locale, LocaleSource.__members__.get(stored.locale_source.upper(), LocaleSource.CLIENT)
    )


def _pending_intent(replies: Sequence[Reply]) -> str | None:
    """The question a reply asks the country for: the intent its country buttons answer, if any."""
    for reply in replies:
        for button in reply.buttons:
            picked = country_from_payload(button.payload)
            if picked:
                return picked[1] or AFTER_COUNTRY_CHOICE
    return None
