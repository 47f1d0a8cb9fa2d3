"""Issue 15: no dead window. A message that arrives while Rasa starts or restarts waits (at most 20 s)
instead of failing; past that, and while the engine stays down, buttons, commands and the danger net are
answered from content/ in the person's language, and free text gets the emergency number and the menu."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.content import ContentLibrary
from bot.conversation.core import ConversationCore
from bot.conversation.danger_first import DangerFirst
from bot.conversation.degraded import DEGRADED_NOTE, ContentOnlyAnswers
from bot.engine.base import EngineUnavailable
from bot.engine.waiting import WaitingEngine
from bot.i18n import Translator
from bot.messages import Channel, IncomingMessage, Reply
from tests.unit.test_core_routing import FakeConversationLog, FakeNet

CONTENT = Path(__file__).resolve().parents[2] / "content"
LIBRARY = ContentLibrary.load(CONTENT)
MARIA = "b" * 64


@dataclass
class StartingEngine:
    """Refuses connections (`not_reached`) for its first `down_for` calls, then answers."""

    down_for: int
    reached: bool = False  # True: it fails after reading the message (a 500), not before
    calls: int = 0
    answered: list[str] = field(default_factory=list)

    async def send(self, pseudonym: str, text: str, metadata: dict[str, object]) -> list[Reply]:
        self.calls += 1
        if self.calls <= self.down_for:
            raise EngineUnavailable("ConnectError", not_reached=not self.reached)
        self.answered.append(text)
        return [Reply("understood")]


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def waiting(engine: StartingEngine, clock: FakeClock) -> WaitingEngine:
    return WaitingEngine(engine, wait_s=20, retry_every_s=0.5, sleep=clock.sleep, clock=clock)


async def test_a_message_sent_while_rasa_starts_waits_and_is_answered_once() -> None:
    clock, engine = FakeClock(), StartingEngine(down_for=10)
    replies = await waiting(engine, clock).send(MARIA, "i need a lawyer", {})
    assert replies == [Reply("understood")]
    assert engine.answered == ["i need a lawyer"]
    assert clock.now == pytest.approx(5.0)


async def test_the_wait_is_bounded_and_later_messages_do_not_wait_again_until_rasa_is_back() -> None:
    clock, engine = FakeClock(), StartingEngine(down_for=1000)
    patient = waiting(engine, clock)
    with pytest.raises(EngineUnavailable):
        await patient.send(MARIA, "hello", {})
    assert 19.5 <= clock.now <= 20.0 and patient.down
    before = clock.now
    with pytest.raises(EngineUnavailable):
        await patient.send(MARIA, "hello again", {})
    assert clock.now == before  # no second 20-second wait while it is known to be down
    engine.down_for = engine.calls  # it is back
    assert await patient.send(MARIA, "now?", {}) == [Reply("understood")]
    assert not patient.down


async def test_a_message_rasa_received_is_never_sent_twice() -> None:
    clock, engine = FakeClock(), StartingEngine(down_for=1, reached=True)
    with pytest.raises(EngineUnavailable):
        await waiting(engine, clock).send(MARIA, "hello", {})
    assert engine.calls == 1 and clock.now == 0


def core_without_engine() -> ConversationCore:
    down = StartingEngine(down_for=10**9)
    return ConversationCore(
        WaitingEngine(down, wait_s=0),
        FakeConversationLog(),
        CONTENT / "locale",
        danger=DangerFirst(FakeNet(), LIBRARY),
        without_engine=ContentOnlyAnswers(LIBRARY),
    )


def said(core_replies: list[Reply]) -> list[str]:
    return [reply.text for reply in core_replies]


@pytest.mark.parametrize("locale", ["es", "ar", "uk"])
async def test_a_menu_button_gets_its_entry_in_the_persons_language_without_rasa(locale: str) -> None:
    replies = await core_without_engine().handle(
        IncomingMessage(MARIA, Channel.WEBCHAT, "/ask_shelter", locale=locale)
    )
    assert said(replies) == [LIBRARY.reply_for_intent("ask_shelter", locale).text]


async def test_a_country_button_answers_the_question_for_that_country_without_rasa() -> None:
    core = core_without_engine()
    asked = await core.handle(IncomingMessage(MARIA, Channel.WEBCHAT, "/ask_legal_aid", locale="ro"))
    country_button = next(b for b in asked[0].buttons if b.payload.startswith("/country_ro"))
    replies = await core.handle(IncomingMessage(MARIA, Channel.WEBCHAT, country_button.payload, locale="ro"))
    assert said(replies) == [LIBRARY.reply_for_intent("ask_legal_aid", "ro", "RO").text]


async def test_free_text_without_rasa_gets_the_emergency_number_and_the_menu_in_their_language() -> None:
    replies = await core_without_engine().handle(
        IncomingMessage(MARIA, Channel.WEBCHAT, "tengo una pregunta sobre mi contrato", locale="es")
    )
    assert said(replies) == [
        LIBRARY.reply_for_intent("immediate_danger", "es").text,
        Translator(CONTENT / "locale", "es").gettext(DEGRADED_NOTE),
    ]
    assert replies[1].buttons[0].payload == f"/{LIBRARY.menu('es')[0].payload.lstrip('/')}"
    assert len(replies[1].buttons) == len(LIBRARY.menu("es"))


async def test_danger_without_rasa_gets_the_emergency_number_first_and_only_once() -> None:
    replies = await core_without_engine().handle(
        IncomingMessage(MARIA, Channel.WEBCHAT, "they locked me in", locale="en")
    )
    danger = LIBRARY.reply_for_intent("immediate_danger", "en").text
    assert said(replies)[0] == danger and said(replies).count(danger) == 1


async def test_the_danger_button_without_rasa_gets_the_emergency_number_and_the_next_steps() -> None:
    replies = await core_without_engine().handle(
        IncomingMessage(MARIA, Channel.WEBCHAT, "/immediate_danger", locale="fr")
    )
    assert said(replies) == [
        LIBRARY.reply_for_intent("immediate_danger", "fr").text,
        LIBRARY.reply("danger_next", "fr").text,
    ]
