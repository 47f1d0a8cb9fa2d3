"""The relay on a real Redis: a counsellor's messages reach the survivor in order, once, even when the
delivering process dies and restarts or the channel fails for a while; texts are stored only encrypted."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator

import pytest
from cryptography.fernet import Fernet
from redis.asyncio import Redis

from bot.handoff.delivery import OutboundDelivery
from bot.handoff.relay import OutboundMessage, Relay
from bot.handoff.routes import RouteStore
from bot.privacy.crypto import TranscriptCipher
from bot.redis_client import open_redis

pytestmark = pytest.mark.integration
CHANNEL = "telegram"


@pytest.fixture
def cipher() -> TranscriptCipher:
    return TranscriptCipher(Fernet.generate_key().decode())


@pytest.fixture
def relay(client: Redis, prefix: str, cipher: TranscriptCipher) -> Relay:
    return Relay(client, cipher, prefix=prefix)


class Phone:
    """The survivor's app: records what arrives; can refuse for a while (network down)."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.refusing = False

    async def deliver(self, message: OutboundMessage) -> bool:
        if self.refusing:
            return False
        self.received.append(message.text)
        return True


class Gateway:
    """A channel process running the delivery loop; `kill` stops it without any goodbye.

    Like a process, it has its own Redis connections: a loop cancelled in the middle of a blocking read
    must not leave a half-read connection for the next gateway (a real process dies with its sockets)."""

    def __init__(self, client: Redis, cipher: TranscriptCipher, prefix: str, phone: Phone) -> None:
        self.stop = asyncio.Event()
        pool = client.connection_pool
        self.redis = Redis(
            connection_pool=type(pool)(connection_class=pool.connection_class, **pool.connection_kwargs)
        )
        delivery = OutboundDelivery(
            self.redis, cipher, CHANNEL, "telegram-1", phone.deliver, prefix=prefix, retry_s=0.05
        )
        self.task = asyncio.create_task(delivery.run(self.stop))

    async def kill(self) -> None:
        self.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(self.task, timeout=30)
        await self.redis.connection_pool.disconnect()

    async def stopped(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, timeout=30)
        await self.redis.aclose()


async def counsellor_writes(relay: Relay, ticket: str, pseudonym: str, texts: list[str]) -> None:
    for text in texts:
        await relay.to_survivor(ticket, CHANNEL, pseudonym, text, key=f"c-{secrets.token_hex(8)}")


async def until(condition: object, timeout_s: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


@pytest.fixture
async def phone() -> AsyncIterator[Phone]:
    yield Phone()


async def test_messages_reach_the_survivor_in_order_and_once_across_a_restart(
    client: Redis, prefix: str, cipher: TranscriptCipher, relay: Relay, phone: Phone
) -> None:
    ticket, pseudonym = secrets.token_hex(16), secrets.token_hex(32)
    first = [f"message {n}" for n in range(10)]
    later = [f"message {n}" for n in range(10, 20)]
    gateway = Gateway(client, cipher, prefix, phone)
    await counsellor_writes(relay, ticket, pseudonym, first)
    await until(lambda: len(phone.received) == 10)
    await gateway.kill()
    await counsellor_writes(relay, ticket, pseudonym, later)  # written while no gateway runs
    restarted = Gateway(client, cipher, prefix, phone)
    await until(lambda: len(phone.received) == 20)
    await asyncio.sleep(0.3)  # time for any duplicate to show up
    await restarted.stopped()
    assert phone.received == first + later


async def test_a_message_taken_but_not_delivered_before_a_crash_is_delivered_once_after(
    client: Redis, prefix: str, cipher: TranscriptCipher, relay: Relay, phone: Phone
) -> None:
    ticket, pseudonym = secrets.token_hex(16), secrets.token_hex(32)
    phone.refusing = True  # the gateway reads the entries but cannot deliver them
    gateway = Gateway(client, cipher, prefix, phone)
    await counsellor_writes(relay, ticket, pseudonym, ["are you safe?", "write when you can"])
    await asyncio.sleep(0.3)
    await gateway.kill()
    phone.refusing = False
    restarted = Gateway(client, cipher, prefix, phone)
    await until(lambda: len(phone.received) == 2)
    await asyncio.sleep(0.3)
    await restarted.stopped()
    assert phone.received == ["are you safe?", "write when you can"]


async def test_texts_are_kept_in_redis_only_encrypted(
    client: Redis, prefix: str, relay: Relay, cipher: TranscriptCipher
) -> None:
    ticket, pseudonym = secrets.token_hex(16), secrets.token_hex(32)
    await relay.from_survivor(ticket, "my boss is called Distinctive Name", key="s-1")
    await counsellor_writes(relay, ticket, pseudonym, ["Distinctive reply"])
    routes = RouteStore(client, cipher, prefix=prefix)
    await routes.remember(CHANNEL, pseudonym, "123456789")
    dumped = b""
    async for key in client.scan_iter(match=prefix + "*"):
        kind = await client.type(key)
        if kind == b"stream":
            dumped += repr(await client.xrange(key)).encode()
        elif kind == b"string":
            dumped += await client.get(key) or b""
    assert b"Distinctive" not in dumped and b"123456789" not in dumped
    assert [message.text for message in await relay.chat(ticket)] == [
        "my boss is called Distinctive Name",
        "Distinctive reply",
    ]
    assert await routes.get(CHANNEL, pseudonym) == "123456789"


async def test_a_live_chat_may_wait_longer_than_five_seconds(redis_url: str, prefix: str) -> None:
    """The console's live chat waits up to 20 s for a message; the helpline's client must let it."""
    client = open_redis(redis_url)
    relay = Relay(client, TranscriptCipher(Fernet.generate_key().decode()), prefix=prefix)
    started = time.monotonic()
    assert await relay.follow("quiet-ticket", "$", block_ms=6000) == []
    assert time.monotonic() - started >= 5.5
    await client.aclose()
