"""The chat ledger in a real Redis: message ids only encrypted, 48 hours, and vanishing on a schedule."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from cryptography.fernet import Fernet
from redis.asyncio import Redis

from bot.privacy.crypto import TranscriptCipher
from bot.privacy.ledger import DELETABLE_S, ChatLedger

CIPHER = TranscriptCipher(Fernet.generate_key().decode())


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def ledger(client: Redis, prefix: str) -> AsyncIterator[tuple[ChatLedger, Clock]]:
    clock = Clock()
    yield ChatLedger(client, CIPHER, prefix=prefix, clock=clock), clock


async def test_message_ids_are_kept_only_encrypted_and_taken_once(
    ledger: tuple[ChatLedger, Clock], client: Redis, prefix: str
) -> None:
    chat, _clock = ledger
    await chat.record("telegram", "p" * 64, [41, 42])
    stored = await client.zrange(f"{prefix}messages:telegram:{'p' * 64}", 0, -1)
    # Only Fernet tokens: the ids are readable with the helpline's key alone.
    assert sorted(CIPHER.decrypt(token) for token in stored) == ["41", "42"]
    assert all(token.startswith(b"gAAAAA") for token in stored)
    assert 0 < await client.ttl(f"{prefix}messages:telegram:{'p' * 64}") <= DELETABLE_S
    assert await chat.take("telegram", "p" * 64) == [41, 42]
    assert await chat.take("telegram", "p" * 64) == []


async def test_messages_older_than_telegram_lets_delete_are_not_offered(
    ledger: tuple[ChatLedger, Clock],
) -> None:
    chat, clock = ledger
    await chat.record("telegram", "q" * 64, [1])
    clock.now += DELETABLE_S + 1
    await chat.record("telegram", "q" * 64, [2])
    assert await chat.take("telegram", "q" * 64) == [2]


async def test_vanishing_schedules_the_chat_after_the_last_message_and_off_cancels_it(
    ledger: tuple[ChatLedger, Clock],
) -> None:
    chat, clock = ledger
    assert await chat.record("telegram", "r" * 64, [1]) is None  # off by default
    await chat.set_vanishing("telegram", "r" * 64, 5)
    assert await chat.record("telegram", "r" * 64, [2]) == clock.now + 300
    clock.now += 299
    assert await chat.due("telegram") == []
    clock.now += 2
    assert await chat.due("telegram") == ["r" * 64]
    assert await chat.due("telegram") == []  # handed out once
    await chat.record("telegram", "r" * 64, [3])
    await chat.set_vanishing("telegram", "r" * 64, None)
    clock.now += 400
    assert await chat.due("telegram") == []
    assert await chat.vanishing("telegram", "r" * 64) is None


async def test_a_message_id_and_the_due_time_it_sets_are_written_in_one_transaction(
    ledger: tuple[ChatLedger, Clock], client: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whoever sees the id also sees its due time: a due time set just after (a sweep's, a test's) is
    never overwritten by a late write of the record before it."""
    chat, clock = ledger
    await chat.set_vanishing("telegram", "t" * 64, 5)
    alone: list[tuple[object, ...]] = []  # commands sent outside a transaction
    send = client.execute_command

    async def spy(*args: object, **options: object) -> object:
        alone.append(args)
        return await send(*args, **options)

    monkeypatch.setattr(client, "execute_command", spy)
    due = await chat.record("telegram", "t" * 64, [7])
    assert [args[0] for args in alone] == ["GET"]  # the setting read; ids and due time in the MULTI
    assert due == clock.now + 5 * 60
    assert await client.zscore(f"{prefix}due:telegram", "t" * 64) == due
