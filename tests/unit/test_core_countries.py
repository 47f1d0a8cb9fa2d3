"""The core reads the country in what people write, with fakes: named in the question, the answer uses it at
once; a follow-up that only names a country answers the last topic for it; the stored country follows."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from bot.conversation.core import ConversationCore
from bot.messages import Channel, IncomingMessage, Reply
from bot.store.conversations import StoredConversation
from tests.unit.test_core_routing import FakeConversationLog

CATALOGS = Path(__file__).resolve().parents[2] / "content" / "locale"
MARIA = "c" * 64


@dataclass
class RememberingEngine:
    """Answers every turn; remembers the last intent it was asked as a command, like Rasa's tracker."""

    asked: list[tuple[str, object]] = field(default_factory=list)
    last: str | None = None

    async def send(self, pseudonym: str, text: str, metadata: dict[str, object]) -> list[Reply]:
        self.asked.append((text, metadata.get("country")))
        if text.startswith("/"):
            self.last = text[1:]
        return [Reply(text="answer")]

    async def last_topic(self, pseudonym: str, skipping: Collection[str]) -> str | None:
        return self.last if self.last not in skipping else None


def say(core: ConversationCore, text: str, locale: str = "en") -> None:
    asyncio.run(core.handle(IncomingMessage(MARIA, Channel.WEBCHAT, text, locale)))


def test_a_country_named_in_the_question_goes_to_the_engine_with_it_and_is_stored() -> None:
    engine, log = RememberingEngine(), FakeConversationLog()
    core = ConversationCore(engine, log, CATALOGS)
    say(core, "I am in Italy and I need a safe place to sleep tonight")
    assert engine.asked == [("I am in Italy and I need a safe place to sleep tonight", "IT")]
    assert log.states[(MARIA, "webchat")].country == "IT"


def test_a_city_in_a_long_message_sets_its_country() -> None:
    engine, log = RememberingEngine(), FakeConversationLog()
    core = ConversationCore(engine, log, CATALOGS)
    say(core, "my boss took my passport and I work 14 hours a day in a restaurant in Milan, what can I do?")
    assert engine.asked[-1][1] == "IT"


def test_a_country_only_follow_up_answers_the_last_topic_for_the_new_country() -> None:
    engine, log = RememberingEngine(last="ask_legal_aid"), FakeConversationLog()
    log.states[(MARIA, "webchat")] = StoredConversation("en", "client", "ES")
    core = ConversationCore(engine, log, CATALOGS)
    say(core, "and what about in Romania?")
    assert engine.asked == [("/ask_legal_aid", "RO")]
    assert log.states[(MARIA, "webchat")].country == "RO"


def test_follow_ups_in_every_language_answer_the_last_topic() -> None:
    for text, locale, country in [
        ("¿y en Portugal?", "es", "PT"),
        ("а в Польше?", "ru", "PL"),
        ("et en France ?", "fr", "FR"),
        ("e em Portugal?", "pt", "PT"),
        ("și în Italia?", "ro", "IT"),
        ("а в Польщі?", "uk", "PL"),
        ("وفي إيطاليا؟", "ar", "IT"),
    ]:
        engine = RememberingEngine(last="ask_shelter")
        core = ConversationCore(engine, FakeConversationLog(), CATALOGS)
        say(core, text, locale)
        assert engine.asked == [("/ask_shelter", country)], text


def test_a_follow_up_without_a_topic_before_goes_to_the_engine_as_written() -> None:
    engine = RememberingEngine(last="greet")
    core = ConversationCore(engine, FakeConversationLog(), CATALOGS)
    say(core, "and in Romania?")
    assert engine.asked == [("and in Romania?", "RO")]


def test_the_answer_to_the_country_question_answers_the_question_pending_under_it() -> None:
    engine, log = RememberingEngine(), FakeConversationLog()
    log.states[(MARIA, "webchat")] = StoredConversation("en", "client", None, "ask_shelter")
    core = ConversationCore(engine, log, CATALOGS)
    say(core, "I live in Portugal")
    assert engine.asked == [("/ask_shelter", "PT")]


def test_a_new_question_naming_a_country_under_the_country_question_is_answered_as_asked() -> None:
    engine, log = RememberingEngine(), FakeConversationLog()
    log.states[(MARIA, "webchat")] = StoredConversation("es", "client", None, "ask_shelter")
    core = ConversationCore(engine, log, CATALOGS)
    say(core, "estoy en España y necesito un abogado gratis", "es")
    assert engine.asked == [("estoy en España y necesito un abogado gratis", "ES")]


def test_a_message_without_a_place_keeps_the_stored_country() -> None:
    engine, log = RememberingEngine(), FakeConversationLog()
    log.states[(MARIA, "webchat")] = StoredConversation("en", "client", "GR")
    core = ConversationCore(engine, log, CATALOGS)
    say(core, "do you speak Spanish")
    assert engine.asked == [("do you speak Spanish", "GR")]
    assert log.states[(MARIA, "webchat")].country == "GR"


def test_an_engine_that_cannot_tell_the_last_topic_gets_the_follow_up_as_written() -> None:
    class Forgetful(RememberingEngine):
        async def last_topic(self, pseudonym: str, skipping: Collection[str]) -> str | None:
            raise RuntimeError("tracker unreadable")

    engine = Forgetful()
    core = ConversationCore(engine, FakeConversationLog(), CATALOGS)
    say(core, "and in Romania?")
    assert engine.asked == [("and in Romania?", "RO")]
