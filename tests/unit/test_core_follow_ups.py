"""The core reads short follow-ups against the last topic, with fakes: "and if I have no papers?" asks the
engine the last topic again with what the follow-up asks, for the person's country; "my sister is 15" is
the child-protection topic; after no information topic, the words go to the engine as written."""

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
MARIA = "d" * 64


@dataclass
class RememberingEngine:
    """Answers every turn and keeps what it was asked, with the country and the follow-up's notes."""

    last: str | None = None
    asked: list[tuple[str, object, object]] = field(default_factory=list)

    async def send(self, pseudonym: str, text: str, metadata: dict[str, object]) -> list[Reply]:
        self.asked.append((text, metadata.get("country"), metadata.get("follow_up")))
        if text.startswith("/"):
            self.last = text[1:]
        return [Reply(text="answer")]

    async def last_topic(self, pseudonym: str, skipping: Collection[str]) -> str | None:
        return self.last if self.last not in skipping else None


def core_after(topic: str | None, country: str | None = "IT") -> tuple[ConversationCore, RememberingEngine]:
    engine, log = RememberingEngine(last=topic), FakeConversationLog()
    log.states[(MARIA, "webchat")] = StoredConversation("en", "client", country)
    return ConversationCore(engine, log, CATALOGS), engine


def say(core: ConversationCore, text: str, locale: str = "en") -> None:
    asyncio.run(core.handle(IncomingMessage(MARIA, Channel.WEBCHAT, text, locale)))


def test_no_papers_after_a_topic_answers_that_topic_for_someone_without_papers_in_the_same_country() -> None:
    core, engine = core_after("ask_shelter", "IT")
    say(core, "and if I have no papers?")
    assert engine.asked == [("/ask_shelter", "IT", ["no_papers"])]


def test_follow_ups_in_every_language_answer_the_last_topic_with_what_they_ask() -> None:
    for text, locale, kind in [
        ("¿y si no tengo papeles?", "es", "no_papers"),
        ("а если у меня нет документов?", "ru", "no_papers"),
        ("وإذا ما عندي أوراق؟", "ar", "no_papers"),
        ("what about for my sister?", "en", "someone_else"),
        ("et pour ma soeur ?", "fr", "someone_else"),
        ("那我妹妹呢？", "zh", "someone_else"),
        ("¿cómo?", "es", "how"),
        ("як це зробити?", "uk", "how"),
        ("ทำยังไง", "th", "how"),
    ]:
        core, engine = core_after("ask_legal_aid", "ES")
        say(core, text, locale)
        assert engine.asked == [("/ask_legal_aid", "ES", [kind])], text


def test_a_sister_who_is_15_gets_the_child_protection_answer_whatever_the_topic_before() -> None:
    core, engine = core_after("ask_legal_aid", "RO")
    say(core, "and my sister is 15?")
    assert engine.asked == [("/ask_child_protection", "RO", None)]


def test_a_follow_up_that_also_names_a_country_answers_for_that_country() -> None:
    core, engine = core_after("ask_shelter", "IT")
    say(core, "and in Spain if I have no papers?")
    assert engine.asked == [("/ask_shelter", "ES", ["no_papers"])]


def test_after_no_information_topic_the_follow_up_goes_to_the_engine_as_written() -> None:
    for before in (None, "greet", "describe_situation", "request_human"):
        core, engine = core_after(before)
        say(core, "how?")
        assert engine.asked == [("how?", "IT", None)], before


def test_a_question_of_its_own_is_never_read_as_a_follow_up() -> None:
    core, engine = core_after("ask_shelter")
    say(core, "can I see a doctor without papers")
    assert engine.asked == [("can I see a doctor without papers", "IT", None)]


def test_a_follow_up_under_the_country_question_answers_the_pending_topic_and_still_asks_the_country() -> (
    None
):
    engine, log = RememberingEngine(last="ask_shelter"), FakeConversationLog()
    log.states[(MARIA, "webchat")] = StoredConversation("en", "client", None, "ask_shelter")
    core = ConversationCore(engine, log, CATALOGS)
    say(core, "and my friend?")
    assert engine.asked == [("/ask_shelter", None, ["someone_else"])]
