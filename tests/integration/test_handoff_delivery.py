"""Delivery on a real Redis under pressure: a reply still reaches a person behind hundreds of closed pages,
two retries at once deliver a message once, and what can never be delivered (too old, or under a dropped
key) is dropped with a log event instead of piling up or blocking the messages after it."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Callable

import pytest
import structlog
from cryptography.fernet import Fernet
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot.handoff.delivery import OutboundDelivery
from bot.handoff.relay import OutboundMessage, Relay
from bot.privacy.crypto import TranscriptCipher

pytestmark = pytest.mark.integration
CHANNEL = "webchat"


class Pages:
    """The web chat: a message arrives only while its person has a page open; delivering takes a moment."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.open: set[str] = set()
        self.received: list[tuple[str, str]] = []
        self.delay_s = delay_s

    async def deliver(self, message: OutboundMessage) -> bool:
        if message.pseudonym not in self.open:
            return False
        await asyncio.sleep(self.delay_s)
        self.received.append((message.pseudonym, message.text))
        return True


@pytest.fixture
def cipher() -> TranscriptCipher:
    return TranscriptCipher(Fernet.generate_key().decode())


def delivery_for(
    client: Redis,
    cipher: TranscriptCipher,
    prefix: str,
    pages: Pages,
    clock: Callable[[], float] = time.time,
) -> OutboundDelivery:
    return OutboundDelivery(
        client, cipher, CHANNEL, "webchat-1", pages.deliver, prefix=prefix, retry_s=0.05, clock=clock
    )


async def write(relay: Relay, pseudonym: str, text: str) -> None:
    await relay.to_survivor(secrets.token_hex(16), CHANNEL, pseudonym, text, key=f"c-{secrets.token_hex(8)}")


# Generous deadlines: they bound a hang, they do not time anything (a loaded CI machine is slow).
async def until(condition: Callable[[], object], timeout_s: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def pending(client: Redis, prefix: str) -> int:
    """How many entries the delivery took but has not acknowledged (0 before its group exists)."""
    try:
        summary = await client.xpending(f"{prefix}outbound:{CHANNEL}", f"{CHANNEL}-delivery")
    except ResponseError:
        return 0
    return int(summary["pending"])


async def until_pending(client: Redis, prefix: str, count: int) -> None:
    deadline = time.monotonic() + 60
    while await pending(client, prefix) < count:
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


@pytest.fixture
async def running(
    client: Redis, prefix: str, cipher: TranscriptCipher
) -> AsyncIterator[Callable[[OutboundDelivery], None]]:
    stop, tasks = asyncio.Event(), []

    def start(delivery: OutboundDelivery) -> None:
        tasks.append(asyncio.create_task(delivery.run(stop)))

    yield start
    stop.set()
    await asyncio.gather(*tasks)


async def test_a_reply_reaches_a_person_who_reconnects_behind_300_messages_for_closed_pages(
    client: Redis, prefix: str, cipher: TranscriptCipher, running: Callable[[OutboundDelivery], None]
) -> None:
    relay, pages = Relay(client, cipher, prefix=prefix), Pages()
    for number in range(300):  # closed tabs, wait apologies of abandoned tickets
        await write(relay, secrets.token_hex(32), f"for a closed page {number}")
    delivery = delivery_for(client, cipher, prefix, pages)
    running(delivery)
    survivor = secrets.token_hex(32)
    await write(relay, survivor, "are you safe?")
    await until_pending(client, prefix, 301)  # all taken, none deliverable
    pages.open.add(survivor)  # the person opens the chat again
    await delivery.deliver_pending_now()
    await until(lambda: pages.received)
    assert pages.received == [(survivor, "are you safe?")]


async def test_two_retries_at_once_deliver_a_message_once(
    client: Redis, prefix: str, cipher: TranscriptCipher
) -> None:
    relay, pages = Relay(client, cipher, prefix=prefix), Pages(delay_s=0.2)
    survivor = secrets.token_hex(32)
    delivery = delivery_for(client, cipher, prefix, pages)
    stop = asyncio.Event()
    loop = asyncio.create_task(delivery.run(stop))
    await write(relay, survivor, "I am here")
    await until_pending(client, prefix, 1)  # taken while the page was closed
    stop.set()
    await loop
    pages.open.add(survivor)
    await asyncio.gather(delivery.deliver_pending_now(), delivery.deliver_pending_now())  # two hellos
    await delivery.deliver_pending_now()
    assert pages.received == [(survivor, "I am here")]
    assert await pending(client, prefix) == 0


async def test_a_message_older_than_the_route_lifetime_is_dropped_with_a_log_event(
    client: Redis, prefix: str, cipher: TranscriptCipher, running: Callable[[OutboundDelivery], None]
) -> None:
    relay, pages = Relay(client, cipher, prefix=prefix), Pages()
    survivor = secrets.token_hex(32)
    pages.open.add(survivor)
    await write(relay, survivor, "Distinctive old reply")
    two_days_later = time.time() + 2 * 24 * 3600  # the route's lifetime is a day by default
    with structlog.testing.capture_logs() as logs:
        running(delivery_for(client, cipher, prefix, pages, clock=lambda: two_days_later))
        await until(lambda: any(entry["event"] == "outbound_expired" for entry in logs))
    assert pages.received == []
    assert await client.xlen(f"{prefix}outbound:{CHANNEL}") == 0
    assert await pending(client, prefix) == 0
    assert "Distinctive" not in repr(logs)


async def test_a_message_under_a_dropped_key_does_not_block_the_next(
    client: Redis, prefix: str, cipher: TranscriptCipher, running: Callable[[OutboundDelivery], None]
) -> None:
    dropped = TranscriptCipher(Fernet.generate_key().decode())
    pages, survivor = Pages(), secrets.token_hex(32)
    pages.open.add(survivor)
    await write(Relay(client, dropped, prefix=prefix), survivor, "under the old key")
    await write(Relay(client, cipher, prefix=prefix), survivor, "under the current key")
    with structlog.testing.capture_logs() as logs:
        running(delivery_for(client, cipher, prefix, pages))
        await until(lambda: pages.received)
    assert pages.received == [(survivor, "under the current key")]
    [unreadable] = [entry for entry in logs if entry["event"] == "outbound_unreadable"]
    assert unreadable["error"] == "UnreadableTranscript" and unreadable["entry"]
    assert await client.xlen(f"{prefix}outbound:{CHANNEL}") == 0
