"""The conversation core's safety order, with fakes: privacy first, then an open handoff, then the engine.

A safe word or an erase is answered by the privacy desk even while a counsellor has the chat; while a
ticket is open, what the person writes goes to the counsellor and the engine (Rasa) is never asked; only a
plain message with no handoff reaches the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.content import ContentLibrary
from bot.content.danger import DangerSignal
from bot.conversation.core import ConversationCore
from bot.conversation.danger_first import DangerFirst
from bot.engine.base import EngineUnavailable
from bot.handoff.queue import Ticket
from bot.messages import Channel, IncomingMessage, Reply
from bot.store.conversations import StoredConversation

CONTENT = Path(__file__).resolve().parents[2] / "content"
CATALOGS = CONTENT / "locale"
MARIA = "a" * 64
LIBRARY = ContentLibrary.load(CONTENT)
DANGER_REPLY = LIBRARY.reply_for_intent("immediate_danger", "en").text


@dataclass
class FakeEngine:
    asked: list[str] = field(default_factory=list)
    answer: str = "the engine's answer"
    down: bool = False

    async def send(self, pseudonym: str, text: str, metadata: dict[str, object]) -> list[Reply]:
        self.asked.append(text)
        if self.down:
            raise EngineUnavailable("ConnectError")
        return [Reply(text=self.answer)]


class FakeNet:
    """Sees danger in any message that says "locked"."""

    def assess(self, text: str) -> DangerSignal | None:
        return DangerSignal("en", "locked_in") if "locked" in text else None


@dataclass
class FakeConversationLog:
    states: dict[tuple[str, str], StoredConversation] = field(default_factory=dict)

    def state_of(self, pseudonym: str, channel: str) -> StoredConversation | None:
        return self.states.get((pseudonym, channel))

    def record_message(
        self,
        pseudonym: str,
        channel: str,
        locale: str,
        locale_source: str,
        country: str | None = None,
        pending_intent: str | None = None,
    ) -> None:
        self.states[(pseudonym, channel)] = StoredConversation(locale, locale_source, country, pending_intent)


@dataclass
class FakePrivacy:
    """Knows the safe word "sunflower" and the erase confirmation."""

    answered: list[str] = field(default_factory=list)

    def is_erase(self, text: str) -> bool:
        return text == "/erase_confirm"

    async def turn(self, message: IncomingMessage, locale: str, country: str | None) -> list[Reply] | None:
        if message.text == "sunflower":
            self.answered.append("safe_word")
            return [Reply(text="Tip of the day: drink water.", clear_chat=True)]
        if self.is_erase(message.text):
            self.answered.append("erase")
            return [Reply(text="Done.", erased=True)]
        return None


@dataclass
class FakeHandoff:
    """A handoff desk where some people have an open ticket."""

    open_for: set[str] = field(default_factory=set)
    forwarded: list[str] = field(default_factory=list)
    joined: list[str] = field(default_factory=list)
    offered: set[str] = field(default_factory=set)  # tokens that queue the person

    async def open_ticket(self, message: IncomingMessage) -> Ticket | None:
        if message.pseudonym not in self.open_for:
            return None
        return Ticket(
            "t1",
            message.pseudonym,
            "webchat",
            "en",
            None,
            "normal",
            None,
            "Visitor 1001",
            0,
            "claimed",
            "7",
            1,
            False,
        )

    async def join(
        self, message: IncomingMessage, token: str, locale: str, country: str | None
    ) -> list[Reply] | None:
        if token not in self.offered:
            return None
        self.joined.append(token)
        return [Reply(text="You are in the queue.")]

    async def forward(self, ticket: Ticket, message: IncomingMessage, key: str) -> None:
        self.forwarded.append(message.text)

    async def leave(self, message: IncomingMessage, locale: str) -> list[Reply]:
        self.open_for.discard(message.pseudonym)
        return [Reply(text="You have left the queue.")]


@dataclass
class World:
    engine: FakeEngine
    privacy: FakePrivacy
    handoff: FakeHandoff
    core: ConversationCore


def world() -> World:
    engine, privacy, handoff = FakeEngine(), FakePrivacy(), FakeHandoff()
    danger = DangerFirst(FakeNet(), LIBRARY)
    core = ConversationCore(
        engine, FakeConversationLog(), CATALOGS, handoff=handoff, privacy=privacy, danger=danger
    )
    return World(engine, privacy, handoff, core)


def says(text: str) -> IncomingMessage:
    return IncomingMessage(MARIA, Channel.WEBCHAT, text, "en")


async def test_a_plain_question_goes_to_the_engine() -> None:
    w = world()
    replies = await w.core.handle(says("where can I sleep tonight"))
    assert [reply.text for reply in replies] == ["the engine's answer"]
    assert w.engine.asked == ["where can I sleep tonight"]
    assert w.privacy.answered == [] and w.handoff.forwarded == []


async def test_the_safe_word_is_answered_by_the_privacy_desk_and_never_reaches_the_engine() -> None:
    w = world()
    replies = await w.core.handle(says("sunflower"))
    assert [reply.text for reply in replies] == ["Tip of the day: drink water."]
    assert w.privacy.answered == ["safe_word"] and w.engine.asked == []


async def test_the_safe_word_during_a_counsellor_chat_is_not_relayed_to_the_counsellor() -> None:
    w = world()
    w.handoff.open_for.add(MARIA)
    await w.core.handle(says("sunflower"))
    assert w.privacy.answered == ["safe_word"]
    assert w.handoff.forwarded == [] and w.engine.asked == []


async def test_an_erase_is_answered_by_the_privacy_desk_even_during_a_counsellor_chat() -> None:
    w = world()
    w.handoff.open_for.add(MARIA)
    replies = await w.core.handle(says("/erase_confirm"))
    assert [reply.erased for reply in replies] == [True]
    assert w.privacy.answered == ["erase"]
    assert w.handoff.forwarded == [] and w.engine.asked == []


async def test_during_an_open_handoff_the_counsellor_gets_the_message_and_the_engine_is_never_asked() -> None:
    w = world()
    w.handoff.open_for.add(MARIA)
    for text in ("hello?", "/ask_shelter", "I am in Spain", "where can I sleep tonight"):
        assert await w.core.handle(says(text)) == []
    assert w.handoff.forwarded == ["hello?", "/ask_shelter", "I am in Spain", "where can I sleep tonight"]
    assert w.engine.asked == []


async def test_a_consent_button_joins_the_queue_instead_of_asking_the_engine() -> None:
    w = world()
    w.handoff.offered.add("3f9a0c5e7b2d4e6f8a1c3b5d")
    replies = await w.core.handle(says("/handoff_accept_3f9a0c5e7b2d4e6f8a1c3b5d"))
    assert [reply.text for reply in replies] == ["You are in the queue."]
    assert w.handoff.joined == ["3f9a0c5e7b2d4e6f8a1c3b5d"]
    assert w.engine.asked == []


async def test_a_consent_button_that_queues_nobody_is_a_request_for_a_person_again() -> None:
    w = world()
    replies = await w.core.handle(says("/handoff_accept_urgent_ask_shelter"))  # forged: no such offer
    assert [reply.text for reply in replies] == ["the engine's answer"]
    assert w.handoff.joined == []
    assert w.engine.asked == ["/request_human"]  # the action server offers afresh or gives the helplines


async def test_after_leaving_the_queue_the_engine_answers_again() -> None:
    w = world()
    w.handoff.open_for.add(MARIA)
    await w.core.handle(says("/handoff_cancel"))
    await w.core.handle(says("what are my rights"))
    assert w.engine.asked == ["what are my rights"]


async def test_a_message_that_may_mean_danger_gets_the_emergency_number_before_the_answer() -> None:
    w = world()
    replies = await w.core.handle(says("they locked me in and i want to know my rights"))
    assert [reply.text for reply in replies] == [DANGER_REPLY, "the engine's answer"]


async def test_the_emergency_number_is_not_given_twice_when_the_engine_already_gave_it() -> None:
    w = world()
    w.engine.answer = DANGER_REPLY
    replies = await w.core.handle(says("they locked me in"))
    assert [reply.text for reply in replies] == [DANGER_REPLY]


async def test_danger_while_the_engine_is_down_still_gets_the_emergency_number_first() -> None:
    w = world()
    w.engine.down = True
    replies = await w.core.handle(says("they locked me in"))
    assert replies[0].text == DANGER_REPLY
    assert len(replies) == 2 and replies[1].text != DANGER_REPLY  # then "try again in a minute"


async def test_danger_in_a_counsellors_chat_reaches_the_counsellor_and_the_person_gets_the_number() -> None:
    w = world()
    w.handoff.open_for.add(MARIA)
    replies = await w.core.handle(says("he locked the door again"))
    assert [reply.text for reply in replies] == [DANGER_REPLY]
    assert w.handoff.forwarded == ["he locked the door again"] and w.engine.asked == []


async def test_a_button_is_never_taken_for_danger() -> None:
    w = world()
    replies = await w.core.handle(says("/locked_button"))
    assert [reply.text for reply in replies] == ["the engine's answer"]
