"""When nobody takes a chat in time, the person is told once, with their country's hotlines, and may leave."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from redis.asyncio import Redis

from bot.content import ContentLibrary
from bot.handoff.delivery import OutboundDelivery
from bot.handoff.desk import CANCEL_PAYLOAD
from bot.handoff.queue import HandoffQueue
from bot.handoff.relay import OutboundMessage, Relay
from bot.handoff.watcher import WaitWatcher
from bot.privacy.crypto import TranscriptCipher

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


class Clock:
    def __init__(self) -> None:
        self.now = 1_795_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_a_person_waiting_too_long_is_told_once_with_the_hotlines(client: Redis, prefix: str) -> None:
    clock = Clock()
    cipher = TranscriptCipher(Fernet.generate_key().decode())
    queue = HandoffQueue(client, prefix=prefix, clock=clock)
    relay = Relay(client, cipher, prefix=prefix + "relay:")
    watcher = WaitWatcher(
        queue, relay, ContentLibrary.load(ROOT / "content"), client, 300, prefix=prefix + "told:", clock=clock
    )
    ticket = await queue.enqueue(secrets.token_hex(32), "telegram", "ro", "RO", "normal", "ask_shelter")
    clock.now += 299
    assert await watcher.check_once() == 0
    clock.now += 2
    assert await watcher.check_once() == 1
    assert await watcher.check_once() == 0  # told once
    received: list[OutboundMessage] = []

    arrived = asyncio.Event()

    async def phone(message: OutboundMessage) -> bool:
        received.append(message)
        arrived.set()
        return True

    stop = asyncio.Event()
    delivery = OutboundDelivery(client, cipher, "telegram", "telegram-1", phone, prefix=prefix + "relay:")
    running = asyncio.create_task(delivery.run(stop))
    await asyncio.wait_for(arrived.wait(), timeout=10)
    stop.set()
    await running
    [told] = received
    assert told.pseudonym == ticket.pseudonym and told.sender == "system"
    assert "0800 800 678" in told.text  # Romania's hotline, in Romanian words around it
    assert told.buttons[0][1] == CANCEL_PAYLOAD
