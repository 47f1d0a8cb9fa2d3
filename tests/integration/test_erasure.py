"""Erase on real Redis and real databases: everything about one person goes, a bystander keeps everything.

Also the encrypted route to a person: kept without expiry while their handoff is open, given its expiry back
when the handoff ends (or when the scheduled retention finds its ticket gone).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from cryptography.fernet import Fernet
from redis.asyncio import Redis
from sqlalchemy import Engine, select

from bot.engine.base import EngineUnavailable
from bot.handoff.queue import CounsellorSeat, HandoffQueue
from bot.handoff.relay import Relay
from bot.handoff.routes import RouteStore
from bot.privacy.crypto import TranscriptCipher
from bot.privacy.erasure import Eraser
from bot.privacy.ledger import ChatLedger
from bot.privacy.retention import RetentionSchedule
from bot.store.conversations import ConversationStore
from bot.store.database import create_database_engine, upgrade_database
from bot.store.handoffs import HandoffStore
from bot.store.models import AuditEvent, Conversation, Handoff, TranscriptMessage

pytestmark = pytest.mark.integration
CIPHER = TranscriptCipher(Fernet.generate_key().decode())
SEAT = CounsellorSeat("7", frozenset({"en"}), capacity=3)


class FakeEngine:
    """Rasa's tracker API as the eraser sees it: records erasures, or is down."""

    def __init__(self, down: bool = False) -> None:
        self.erased: list[str] = []
        self.down = down

    async def erase(self, pseudonym: str) -> None:
        if self.down:
            raise EngineUnavailable("ConnectError")
        self.erased.append(pseudonym)


@dataclass
class World:
    queue: HandoffQueue
    relay: Relay
    routes: RouteStore
    ledger: ChatLedger
    handoffs: HandoffStore
    conversations: ConversationStore
    database: Engine
    client: Redis
    prefix: str

    def eraser(self, engine: FakeEngine) -> Eraser:
        return Eraser(
            self.client,
            self.queue,
            self.relay,
            self.routes,
            self.handoffs,
            self.ledger,
            engine,
            self.prefix + "stats:",
        )

    async def person_in_a_handoff(self, text: str) -> tuple[str, str]:
        """Someone who wrote to the bot and chats with a counsellor now: (pseudonym, ticket id)."""
        pseudonym = secrets.token_hex(32)
        self.conversations.record_message(pseudonym, "telegram", "en", "client", "GB")
        ticket = await self.queue.enqueue(pseudonym, "telegram", "en", "GB", "normal", "ask_shelter")
        self.handoffs.record_queued(ticket.id, pseudonym, "telegram", "en", "GB", "normal", None, "Visitor 1")
        await self.queue.claim(SEAT, ticket.id)
        await self.routes.remember("telegram", pseudonym, "731942615", ttl_s=None)
        await self.relay.from_survivor(ticket.id, text, f"k-{secrets.token_hex(4)}")
        self.handoffs.add_message(ticket.id, "survivor", text, f"k-{secrets.token_hex(4)}")
        await self.relay.to_survivor(ticket.id, "telegram", pseudonym, "Are you safe?", "c-1")
        await self.ledger.set_vanishing("telegram", pseudonym, 5)
        await self.ledger.record("telegram", pseudonym, [10, 11])
        return pseudonym, ticket.id

    async def redis_dump(self) -> bytes:
        parts = []
        async for key in self.client.scan_iter(match=self.prefix + "*"):
            kind = await self.client.type(key)
            if kind == b"stream":
                value: object = await self.client.xrange(key)
            elif kind == b"hash":
                value = await self.client.hgetall(key)
            elif kind == b"zset":
                value = await self.client.zrange(key, 0, -1)
            elif kind == b"set":
                value = await self.client.smembers(key)
            else:
                value = await self.client.get(key)
            parts.append(key + b" " + repr(value).encode())
        return b"\n".join(parts)

    def rows_of(self, pseudonym: str) -> list[object]:
        with self.database.connect() as connection:
            return [
                *connection.execute(select(Conversation.id).where(Conversation.pseudonym == pseudonym)),
                *connection.execute(select(Handoff.id).where(Handoff.pseudonym == pseudonym)),
            ]


@pytest.fixture
def database(database_url: str) -> Iterator[Engine]:
    upgrade_database(database_url)
    engine = create_database_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def world(client: Redis, prefix: str, database: Engine) -> World:
    return World(
        HandoffQueue(client, prefix=prefix + "handoff:"),
        Relay(client, CIPHER, prefix=prefix + "relay:"),
        RouteStore(client, CIPHER, prefix=prefix + "relay:"),
        ChatLedger(client, CIPHER, prefix=prefix + "privacy:"),
        HandoffStore(database, CIPHER),
        ConversationStore(database),
        database,
        client,
        prefix,
    )


async def test_erase_deletes_every_key_row_and_stream_of_the_person_and_nothing_of_anyone_else(
    world: World,
) -> None:
    maria, her_ticket = await world.person_in_a_handoff("my boss has my passport")
    bystander, their_ticket = await world.person_in_a_handoff("I need a lawyer")
    engine = FakeEngine()

    erasure = await world.eraser(engine).erase("telegram", maria)
    await world.ledger.take("telegram", maria)  # what the Telegram gateway does next, with the message ids

    assert (erasure.handoffs, erasure.complete) == (1, True)
    assert engine.erased == [maria]
    left = await world.redis_dump()
    # What may still name the ticket id (a random id, now linked to nobody) is what tells the console:
    # the erased marker, and the queue's change events.
    anonymous = (f"{world.prefix}handoff:erased:", f"{world.prefix}handoff:events ")
    traces = [line for line in left.splitlines() if maria.encode() in line or her_ticket.encode() in line]
    assert [line for line in traces if not line.decode().startswith(anonymous)] == []
    assert maria.encode() not in left
    assert bystander.encode() in left and their_ticket.encode() in left
    assert world.rows_of(maria) == [] and world.rows_of(bystander) != []
    with world.database.connect() as connection:
        transcripts = connection.execute(select(TranscriptMessage.handoff_id)).scalars().all()
        audit = connection.execute(select(AuditEvent.action, AuditEvent.handoff_id)).all()
    assert her_ticket not in transcripts and their_ticket in transcripts
    assert ("erased", her_ticket) in audit  # staff can see why the chat went; no pseudonym is kept
    assert await world.queue.was_erased(her_ticket)
    assert int(await world.client.get(next(iter(await _keys(world, "stats:*")))) or 0) == 1


async def test_with_the_engine_down_the_rest_is_still_erased_and_the_erase_says_it_is_incomplete(
    world: World,
) -> None:
    maria, _ticket = await world.person_in_a_handoff("my boss has my passport")
    erasure = await world.eraser(FakeEngine(down=True)).erase("telegram", maria)
    assert erasure.complete is False
    assert world.rows_of(maria) == []
    assert await world.queue.open_ticket("telegram", maria) is None
    assert await world.routes.get("telegram", maria) is None


async def test_an_open_handoff_holds_the_route_and_its_end_gives_the_expiry_back(world: World) -> None:
    maria, ticket = await world.person_in_a_handoff("hello")
    route_key = f"{world.prefix}relay:route:telegram:{maria}"
    assert await world.client.ttl(route_key) == -1  # no expiry while the chat is open
    await world.routes.remember("telegram", maria, "731942615", ttl_s=3600)  # vanishing mode
    assert await world.client.ttl(route_key) == -1  # still held
    assert b"731942615" not in await world.client.get(route_key)  # only encrypted

    await world.queue.resolve(ticket, SEAT.id)
    await world.routes.release("telegram", maria, 3600)
    assert 0 < await world.client.ttl(route_key) <= 3600


async def test_retention_gives_back_its_expiry_to_a_route_whose_handoff_was_lost(world: World) -> None:
    open_one, _ = await world.person_in_a_handoff("still talking")
    lost_one, _ = await world.person_in_a_handoff("my ticket vanished")
    await world.client.delete(f"{world.prefix}handoff:person:telegram:{lost_one}")  # as a crash would
    schedule = RetentionSchedule(world.handoffs, 30, 3600, routes=(world.queue, world.routes, 600))
    assert await schedule.release_orphaned_routes() >= 1
    assert await world.client.ttl(f"{world.prefix}relay:route:telegram:{open_one}") == -1
    assert 0 < await world.client.ttl(f"{world.prefix}relay:route:telegram:{lost_one}") <= 600


async def _keys(world: World, pattern: str) -> list[bytes]:
    return [key async for key in world.client.scan_iter(match=world.prefix + pattern)]
