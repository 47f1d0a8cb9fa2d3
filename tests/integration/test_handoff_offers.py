"""Attacks on the consent button, over a real Redis and SQLite: only the one-time token of an offer the
action server made this person queues them, with the server's priority, and only while someone can answer."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.counsellor import ActionOfferCounsellor
from bot.content import ContentLibrary
from bot.conversation.core import ConversationCore
from bot.handoff.availability import CounsellorAvailability
from bot.handoff.desk import HandoffDesk
from bot.handoff.offers import ASK_AGAIN, OfferBook, accept_payload
from bot.handoff.queue import Ticket
from bot.handoff.routes import RouteStore
from bot.handoff.schedule import WEEKDAYS, Staffing
from bot.messages import Channel, IncomingMessage, Reply
from bot.store.conversations import StoredConversation
from bot.store.counts import Cell, TurnCounts
from tests.integration.console_world import CATALOG_DIR, World, console_world

pytestmark = pytest.mark.integration
CONTENT = ContentLibrary.load(CATALOG_DIR.parent)
ALWAYS_OPEN = Staffing.from_mapping({"time_zone": "UTC", "hours": {day: ["00:00-24:00"] for day in WEEKDAYS}})
HELPLINES = "the helplines (the action server's answer when nobody can chat)"


@dataclass
class BotEngine:
    """Rasa as the core sees it: remembers what it was asked; a request for a person gets the helplines."""

    asked: list[str] = field(default_factory=list)

    async def send(self, pseudonym: str, text: str, metadata: dict[str, object]) -> list[Reply]:
        self.asked.append(text)
        return [Reply(text=HELPLINES if text == "/request_human" else "the bot's answer")]


class NoLog:
    """A conversation log that keeps nothing."""

    def state_of(self, pseudonym: str, channel: str) -> StoredConversation | None:
        return None

    def record_message(self, *args: Any) -> None:
        return None


@dataclass
class Helpline:
    world: World
    core: ConversationCore
    engine: BotEngine
    offers_prefix: str
    action: ActionOfferCounsellor

    def says(self, pseudonym: str, text: str) -> list[Reply]:
        message = IncomingMessage(pseudonym, Channel.WEBCHAT, text, "en", reply_route="route-1")
        return self.world.run(lambda: self.core.handle(message))

    def offer(self, pseudonym: str, intents: tuple[str, ...] = ("ask_shelter",)) -> str:
        """The consent payload the action server gives this person after these intents."""
        events = [{"event": "user", "parse_data": {"intent": {"name": name}}} for name in intents]
        latest = {"intent": {"name": "request_human"}, "metadata": {"locale": "en"}}
        tracker = Tracker.from_dict({"sender_id": pseudonym, "latest_message": latest, "events": events})
        dispatcher = CollectingDispatcher()
        self.world.run(lambda: self.action.run(dispatcher, tracker, {}))
        buttons = dispatcher.messages[0]["buttons"]
        payload = str(buttons[0]["payload"])
        assert len(payload.encode()) <= 64  # a Telegram button's callback data
        return payload

    def tickets(self) -> list[Ticket]:
        return self.world.run(self.world.queue.waiting)


@pytest.fixture
def helpline(tmp_path: Path, redis_url: str) -> Iterator[Helpline]:
    """The core, the survivor's desk and the offer action over one Redis; a counsellor online."""
    with console_world(tmp_path, redis_url) as world:
        prefix = world.relay.chat_key("")[: -len("relay:ticket:")]
        routes = RouteStore(world.redis, world.cipher, prefix=prefix + "relay:")
        offers = OfferBook(world.redis, prefix=prefix + "offer:")
        availability = CounsellorAvailability(world.presence, ALWAYS_OPEN)
        desk = HandoffDesk(
            world.queue,
            world.relay,
            routes,
            world.handoffs,
            world.engine,
            offers,
            availability,
            CATALOG_DIR,
            handle_refresh_s=0,  # read the measured handling times on every estimate
        )
        engine = BotEngine()
        core = ConversationCore(engine, NoLog(), CATALOG_DIR, handoff=desk)
        action = ActionOfferCounsellor(CONTENT, availability, CATALOG_DIR, offers)
        world.run(lambda: world.presence.mark_online("7"))
        yield Helpline(world, core, engine, prefix + "offer:", action)


def person() -> str:
    return secrets.token_hex(32)


def test_a_forged_urgent_consent_makes_no_ticket(helpline: Helpline) -> None:
    replies = helpline.says(person(), "/handoff_accept_urgent_ask_shelter")
    assert helpline.tickets() == []
    assert [reply.text for reply in replies] == [HELPLINES]  # asked for a person: the bot answers that


def test_fifty_forged_consents_make_no_ticket(helpline: Helpline) -> None:
    maria = person()
    for n in range(50):
        helpline.says(maria, f"/handoff_accept_urgent_ask_shelter_{n}")
        helpline.says(person(), "/handoff_accept_urgent_ask_shelter")  # a new pseudonym each time
    assert helpline.tickets() == []


def test_a_real_offer_makes_one_ticket_with_the_servers_priority_and_topic(helpline: Helpline) -> None:
    maria = person()
    consent = helpline.offer(maria, ("ask_shelter", "immediate_danger"))
    assert "urgent" not in consent and "shelter" not in consent  # the button carries only a token
    helpline.says(maria, consent)
    [ticket] = helpline.tickets()
    assert (ticket.pseudonym, ticket.priority, ticket.topic) == (maria, "urgent", "ask_shelter")
    assert helpline.engine.asked == []


def test_an_offer_without_danger_is_normal_whatever_the_button_says(helpline: Helpline) -> None:
    maria = person()
    token = helpline.offer(maria).removeprefix("/handoff_accept_")
    helpline.says(maria, f"/handoff_accept_urgent_{token}")  # a priority put in front: not the token
    assert helpline.tickets() == []
    helpline.says(maria, f"/handoff_accept_{token}")
    assert [ticket.priority for ticket in helpline.tickets()] == ["normal"]


def test_a_token_replayed_makes_no_second_ticket(helpline: Helpline) -> None:
    maria = person()
    consent = helpline.offer(maria)
    helpline.says(maria, consent)
    helpline.says(maria, "/handoff_cancel")
    helpline.says(maria, consent)  # the same button again, after leaving the queue
    assert helpline.tickets() == []
    assert helpline.engine.asked == ["/request_human"]


def test_a_token_pressed_by_someone_else_makes_no_ticket_and_stays_the_persons(helpline: Helpline) -> None:
    maria, mallory = person(), person()
    consent = helpline.offer(maria)
    helpline.says(mallory, consent)
    assert helpline.tickets() == []
    helpline.says(maria, consent)
    assert [ticket.pseudonym for ticket in helpline.tickets()] == [maria]


def test_with_nobody_online_when_the_person_accepts_no_ticket_and_a_kind_reply(helpline: Helpline) -> None:
    maria = person()
    consent = helpline.offer(maria)
    helpline.world.run(lambda: helpline.world.presence.mark_offline("7"))  # the counsellor logged out
    replies = helpline.says(maria, consent)
    assert helpline.tickets() == []
    assert [reply.text for reply in replies] == [HELPLINES]
    assert helpline.engine.asked == ["/request_human"]  # the action server gives the helplines


def test_an_expired_offer_makes_no_ticket(helpline: Helpline) -> None:
    maria = person()
    brief = OfferBook(helpline.world.redis, prefix=helpline.offers_prefix, ttl_s=1)  # 15 minutes, shortened
    token = helpline.world.run(lambda: brief.issue(maria, "urgent", None))
    time.sleep(1.2)
    helpline.says(maria, accept_payload(token))
    assert helpline.tickets() == []


def test_the_wait_estimate_comes_from_the_handling_times_of_recent_chats(helpline: Helpline) -> None:
    ana = person()
    assert "about 15 minutes" in helpline.says(ana, helpline.offer(ana))[0].text  # nothing measured yet
    _chats_handled_in(helpline.world, minutes=3, chats=5)
    maria = person()
    # Second in line behind Ana, one counsellor: 2 × 3 minutes, rounded up to 10 (it was 2 × 15 = 30).
    reply = helpline.says(maria, helpline.offer(maria))[0].text
    assert "Your place: 2." in reply and "about 10 minutes" in reply


def _chats_handled_in(world: World, minutes: int, chats: int) -> None:
    """Chats a counsellor ended in the last days, each `minutes` long."""
    counsellor = world.counsellors.add("lea", "lantern orchard velvet 42", "counsellor", "en")
    ended = datetime.now(timezone.utc) - timedelta(days=2)
    for number in range(chats):
        ticket = f"measured{number:02d}{secrets.token_hex(8)}"
        claimed = ended - timedelta(minutes=minutes)
        world.handoffs.record_queued(
            ticket, person(), "webchat", "en", None, "normal", None, "Fox", at=claimed
        )
        world.handoffs.record_claimed(ticket, counsellor.id, at=claimed)
        world.handoffs.record_resolved(ticket, counsellor.id, "information_given", at=ended)


@dataclass
class CountedCells:
    """A report counter that remembers what it was given."""

    cells: list[Cell] = field(default_factory=list)

    def add(self, cell: Cell) -> None:
        self.cells.append(cell)


def requests_counted(text: str) -> int:
    """How many requests for a person the offer action counts for a message with this text."""
    counted = CountedCells()
    action = ActionOfferCounsellor(CONTENT, None, CATALOG_DIR, counts=TurnCounts(counted))
    latest = {"text": text, "intent": {"name": "request_human"}, "metadata": {"locale": "en"}}
    tracker = Tracker.from_dict({"sender_id": person(), "latest_message": latest, "events": []})
    asyncio.run(action.run(CollectingDispatcher(), tracker, {}))
    return sum(1 for cell in counted.cells if (cell.metric, cell.key) == ("handoff", "requested"))


def test_a_request_for_a_person_is_counted_once_for_the_reports() -> None:
    assert requests_counted("can I talk to a real person") == 1


def test_a_consent_that_queued_nobody_is_the_same_request_not_a_second_one() -> None:
    assert requests_counted(ASK_AGAIN) == 0
