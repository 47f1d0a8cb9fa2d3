"""Attacks on the counsellors' queue from one place (issue 14), over the web chat socket, the real core and
desk, Redis and SQLite: one address with many sockets (each a new pseudonym) holds at most its share of open
tickets, everybody else still gets through, and one Telegram person never holds two."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from cryptography.fernet import Fernet
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.testclient import TestClient
from starlette.testclient import WebSocketTestSession as Socket
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from bot.channels.webchat import webchat_routes
from bot.channels.webchat_limits import source_tag
from bot.content import ContentLibrary
from bot.content.danger import DangerNet
from bot.conversation.core import ConversationCore
from bot.conversation.danger_first import DangerFirst
from bot.handoff.availability import CounsellorAvailability
from bot.handoff.desk import CANCEL_PAYLOAD, HandoffDesk
from bot.handoff.offers import OfferBook, accept_payload
from bot.handoff.presence import Presence
from bot.handoff.queue import CounsellorSeat, HandoffQueue, SourceFull, Ticket
from bot.handoff.relay import Relay
from bot.handoff.routes import RouteStore
from bot.handoff.schedule import WEEKDAYS, Staffing
from bot.messages import Channel, IncomingMessage, Reply
from bot.privacy.crypto import TranscriptCipher
from bot.privacy.pseudonym import pseudonym_for
from bot.settings import Settings
from bot.store.conversations import StoredConversation
from bot.store.database import create_database_engine, upgrade_database
from bot.store.handoffs import HandoffStore
from tests.integration.console_world import CATALOG_DIR, ROOT, RecordingEngine

pytestmark = pytest.mark.integration
SECRET = b"test-pseudonym-secret"
PER_SOURCE = 3
ATTACKER, NEIGHBOUR = "203.0.113.7", "198.51.100.9"
SOURCE_FULL = (
    "Sorry, several requests for a counsellor are already open from your network, so I cannot add this one "
    "now. Please try again later. If you are in danger, call your local emergency number."
)
ALWAYS_OPEN = Staffing.from_mapping({"time_zone": "UTC", "hours": {day: ["00:00-24:00"] for day in WEEKDAYS}})
ANA = CounsellorSeat("7", frozenset({"en"}), capacity=10)
T = TypeVar("T")


@dataclass
class BotEngine:
    """Rasa as the core sees it: a short answer to anything."""

    asked: list[str] = field(default_factory=list)

    async def send(self, pseudonym: str, text: str, metadata: dict[str, object]) -> list[Reply]:
        self.asked.append(text)
        return [Reply(text="the bot's answer")]


class NoLog:
    """A conversation log that keeps nothing."""

    def state_of(self, pseudonym: str, channel: str) -> StoredConversation | None:
        return None

    def record_message(self, *args: Any) -> None:
        return None


@dataclass
class Helpline:
    """The web chat in front of the real core and desk; a client that can speak from any address (as
    uvicorn reports a trusted proxy's X-Forwarded-For)."""

    client: TestClient
    core: ConversationCore
    queue: HandoffQueue
    offers: OfferBook
    danger: DangerFirst
    prefix: str

    def run(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run async work on the app's event loop (where the Redis connections live)."""
        portal = self.client.portal
        assert portal is not None
        return portal.call(work)

    def socket_from(self, address: str) -> Any:
        return self.client.websocket_connect("/chat/ws", headers={"x-forwarded-for": address})

    def offered_and_accepted(self, socket: Socket) -> list[dict[str, Any]]:
        """Say hello, get a counsellor offered (as the action server does), press its consent button."""
        socket.send_json({"type": "hello", "session": None, "languages": ["en"]})
        ready = socket.receive_json()
        pseudonym = pseudonym_for(Channel.WEBCHAT, ready["session"], SECRET)
        token = self.run(lambda: self.offers.issue(pseudonym, "urgent", "ask_shelter"))
        return self.say(socket, accept_payload(token))

    def say(self, socket: Socket, text: str) -> list[dict[str, Any]]:
        socket.send_json({"type": "message", "id": uuid.uuid4().hex, "text": text})
        frames = [socket.receive_json()]
        while frames[-1].get("type") not in ("ack", "error"):  # the page's words, replies, then the ack
            frames.append(socket.receive_json())
        return [frame for frame in frames if frame["type"] == "reply"]

    def tickets(self) -> list[Ticket]:
        return self.run(self.queue.waiting)


@pytest.fixture(scope="module")
def danger() -> DangerFirst:
    """The real danger net (a few seconds to load: once)."""
    return DangerFirst(DangerNet.load(ROOT / "content" / "danger"), ContentLibrary.load(ROOT / "content"))


@pytest.fixture
def helpline(tmp_path: Path, redis_url: str, danger: DangerFirst) -> Iterator[Helpline]:
    url = f"sqlite:///{tmp_path / 'helpline.db'}"
    upgrade_database(url)
    database = create_database_engine(url)
    cipher = TranscriptCipher(Fernet.generate_key().decode())
    prefix = f"test:per-source:{secrets.token_hex(6)}:"
    redis = Redis.from_url(redis_url)
    queue = HandoffQueue(redis, prefix=f"{prefix}handoff:")
    relay = Relay(redis, cipher, prefix=f"{prefix}relay:")
    offers = OfferBook(redis, prefix=f"{prefix}offer:")
    presence = Presence(redis, key=f"{prefix}online")
    desk = HandoffDesk(
        queue,
        relay,
        RouteStore(redis, cipher, prefix=f"{prefix}relay:"),
        HandoffStore(database, cipher),
        RecordingEngine(),
        offers,
        CounsellorAvailability(presence, ALWAYS_OPEN),
        CATALOG_DIR,
        tickets_per_source=PER_SOURCE,
    )
    core = ConversationCore(BotEngine(), NoLog(), CATALOG_DIR, handoff=desk, danger=danger)
    chat = Starlette(routes=webchat_routes(core, Settings(content_dir=ROOT / "content"), SECRET))
    with TestClient(ProxyHeadersMiddleware(chat, trusted_hosts="*")) as client:
        found = Helpline(client, core, queue, offers, danger, f"{prefix}handoff:")
        found.run(lambda: presence.mark_online(ANA.id))
        yield found

        async def clean() -> None:
            keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
            if keys:
                await redis.delete(*keys)
            await redis.aclose()

        found.run(clean)
    database.dispose()


def test_many_sockets_from_one_address_queue_at_most_three_and_another_address_gets_through(
    helpline: Helpline,
) -> None:
    with ExitStack() as open_sockets:
        answers = [
            helpline.offered_and_accepted(open_sockets.enter_context(helpline.socket_from(ATTACKER)))
            for _ in range(10)
        ]
        assert len(helpline.tickets()) == PER_SOURCE
        assert [[frame["text"] for frame in answer] for answer in answers[PER_SOURCE:]] == [[SOURCE_FULL]] * 7
        with helpline.socket_from(NEIGHBOUR) as neighbour:
            [queued] = helpline.offered_and_accepted(neighbour)
    assert queued["text"].startswith("You are in the queue for a counsellor")
    assert len(helpline.tickets()) == PER_SOURCE + 1


def test_over_the_cap_the_person_still_gets_the_emergency_number(helpline: Helpline) -> None:
    for _ in range(PER_SOURCE):
        with helpline.socket_from(ATTACKER) as socket:
            helpline.offered_and_accepted(socket)
    with helpline.socket_from(ATTACKER) as socket:
        assert [frame["text"] for frame in helpline.offered_and_accepted(socket)] == [SOURCE_FULL]
        emergency, *_rest = helpline.say(socket, "he is coming back and i am scared he will hurt me")
    assert emergency["text"] == helpline.danger.emergency_reply("en", None).text
    assert len(helpline.tickets()) == PER_SOURCE


def test_a_place_comes_back_when_a_ticket_is_cancelled_resolved_or_erased(helpline: Helpline) -> None:
    with ExitStack() as open_sockets:
        sockets = [open_sockets.enter_context(helpline.socket_from(ATTACKER)) for _ in range(PER_SOURCE)]
        for socket in sockets:
            helpline.offered_and_accepted(socket)
        tickets = helpline.tickets()
        helpline.say(sockets[0], CANCEL_PAYLOAD)  # the person stops waiting
        helpline.run(lambda: helpline.queue.claim(ANA, tickets[1].id))
        helpline.run(lambda: helpline.queue.resolve(tickets[1].id, ANA.id))
        helpline.run(lambda: helpline.queue.erase_person("webchat", tickets[2].pseudonym))
        later = [open_sockets.enter_context(helpline.socket_from(ATTACKER)) for _ in range(PER_SOURCE + 1)]
        answers = [helpline.offered_and_accepted(socket) for socket in later]
    assert len(helpline.tickets()) == PER_SOURCE
    assert [frame["text"] for frame in answers[-1]] == [SOURCE_FULL]


def test_the_queue_holds_a_keyed_hash_of_the_address_never_the_address(
    helpline: Helpline, redis_url: str
) -> None:
    with helpline.socket_from(ATTACKER) as socket:
        helpline.offered_and_accepted(socket)
    [ticket] = helpline.tickets()

    tag = source_tag(ATTACKER, SECRET)

    async def everything_stored() -> tuple[bytes, int]:
        redis, dump = Redis.from_url(redis_url), b""
        async for key in redis.scan_iter(match=f"{helpline.prefix}*"):
            kind = await redis.type(key)
            if kind == b"hash":
                dump += key + b"".join(b"".join(item) for item in (await redis.hgetall(key)).items())
            elif kind == b"set":
                dump += key + b"".join(await redis.smembers(key))
        ttl = await redis.ttl(f"{helpline.prefix}source:{tag}")
        await redis.aclose()
        return dump, int(ttl)

    stored, source_ttl = helpline.run(everything_stored)
    assert ATTACKER.encode() not in stored
    assert tag.encode() in stored and ticket.id.encode() in stored
    assert 0 < source_ttl <= helpline.queue.ended_ttl_s  # the count expires


def test_many_consents_at_once_from_one_source_queue_at_most_its_share(helpline: Helpline) -> None:
    tag = source_tag(ATTACKER, SECRET)

    async def burst() -> list[Ticket | None]:
        async def one() -> Ticket | None:
            try:
                return await helpline.queue.enqueue(
                    secrets.token_hex(32), "webchat", "en", None, "urgent", None, source=tag, per_source=3
                )
            except SourceFull:
                return None

        return await asyncio.gather(*(one() for _ in range(30)))

    queued = [ticket for ticket in helpline.run(burst) if ticket is not None]
    assert len(queued) == PER_SOURCE == len(helpline.tickets())


def test_a_source_is_a_keyed_hash_never_an_address(helpline: Helpline) -> None:
    with pytest.raises(ValueError):
        helpline.run(
            lambda: helpline.queue.enqueue(
                secrets.token_hex(32), "webchat", "en", None, "normal", None, source=ATTACKER
            )
        )


def test_one_telegram_person_never_holds_two_open_tickets(helpline: Helpline) -> None:
    """On Telegram one person is one pseudonym: offers accepted twice, even at once, make one ticket."""
    maria = secrets.token_hex(32)

    def consent(token: str) -> IncomingMessage:
        return IncomingMessage(maria, Channel.TELEGRAM, accept_payload(token), "en", reply_route="42")

    async def accept_two_at_once() -> None:
        first, second = [await helpline.offers.issue(maria, "normal", None) for _ in range(2)]
        await asyncio.gather(helpline.core.handle(consent(first)), helpline.core.handle(consent(second)))
        third = await helpline.offers.issue(maria, "urgent", None)
        await helpline.core.handle(consent(third))  # while a ticket is open: passed to the counsellor

    helpline.run(accept_two_at_once)
    [ticket] = helpline.tickets()
    assert (ticket.pseudonym, ticket.channel, ticket.priority) == (maria, "telegram", "normal")
