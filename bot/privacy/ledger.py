"""What the helpline must remember to delete a person's chat from their app, and when.

Telegram lets a bot delete messages of a private chat for 48 hours (deleteMessages). To erase a chat, or to
make it vanish, the gateway keeps per pseudonym the ids of the messages it sent and received: each id only
as a Fernet token, in a sorted set by time that expires 48 hours after the last message. Vanishing mode
(minutes of silence after which the chat is deleted) is a per-person setting; while it is on, the time the
chat is due to vanish sits in one sorted set per channel that the gateway's sweeper reads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from redis.asyncio import Redis

from bot.redis_client import as_bytes, decoded, glob_escape

DEFAULT_PREFIX = "helpline:privacy:"
DELETABLE_S = 48 * 3600  # Telegram deletes a message for both sides only within 48 hours
VANISH_CHOICES_MIN = (5, 30, 60)
PREFERENCE_TTL_S = 30 * 24 * 3600


class Cipher(Protocol):
    """Encrypts at rest (bot.privacy.crypto.TranscriptCipher)."""

    def encrypt(self, text: str) -> bytes:
        """A token only the helpline's key opens."""
        ...

    def decrypt(self, token: bytes) -> str:
        """The text of a token."""
        ...


class ChatLedger:
    """Message ids per person (encrypted, 48 h), their vanishing setting, and when their chat is due to go."""

    def __init__(
        self,
        redis: Redis,
        cipher: Cipher,
        prefix: str = DEFAULT_PREFIX,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._cipher = cipher
        self._prefix = prefix
        self._clock = clock

    async def record(self, channel: str, pseudonym: str, message_ids: Sequence[int]) -> float | None:
        """Remember messages now in the person's chat; the time it is due to vanish, if vanishing is on.

        The ids and the new due time are written in one transaction: whoever sees the ids sees the due
        time they set (a sweep, or a schedule set after, never meets an id without its due time)."""
        now = self._clock()
        key = self._key("messages", channel, pseudonym)
        members = {self._cipher.encrypt(str(message_id)): now for message_id in message_ids}
        minutes: Any = await self._redis.get(self._key("vanish", channel, pseudonym))
        due = now + int(minutes) * 60 if minutes else None
        async with self._redis.pipeline(transaction=True) as pipe:
            if members:
                pipe.zadd(key, members)
            pipe.zremrangebyscore(key, "-inf", now - DELETABLE_S)
            pipe.expire(key, DELETABLE_S)
            if due is not None:
                pipe.zadd(self._key("due", channel), {pseudonym: due})
            await pipe.execute()
        return due

    async def take(self, channel: str, pseudonym: str) -> list[int]:
        """The ids of the person's messages that can still be deleted, oldest first; forgotten here."""
        key = self._key("messages", channel, pseudonym)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrangebyscore(key, self._clock() - DELETABLE_S, "+inf")
            pipe.delete(key)
            tokens, _deleted = await pipe.execute()
        ids = [int(self._cipher.decrypt(as_bytes(token))) for token in tokens]
        return sorted(set(ids))

    async def set_vanishing(self, channel: str, pseudonym: str, minutes: int | None) -> None:
        """Vanishing mode on (the chat goes `minutes` after the last message) or off (None)."""
        key = self._key("vanish", channel, pseudonym)
        if minutes is None:
            await self._redis.delete(key)
            await self._redis.zrem(self._key("due", channel), pseudonym)
        else:
            await self._redis.set(key, minutes, ex=PREFERENCE_TTL_S)

    async def vanishing(self, channel: str, pseudonym: str) -> int | None:
        """The person's vanishing delay in minutes, or None when it is off."""
        minutes: Any = await self._redis.get(self._key("vanish", channel, pseudonym))
        return int(minutes) if minutes else None

    async def vanish_at(self, channel: str, pseudonym: str, at: float) -> None:
        """Delete the person's chat at `at` (epoch seconds) whatever their setting (an erase's notice)."""
        await self._redis.zadd(self._key("due", channel), {pseudonym: at})

    async def due(self, channel: str) -> list[str]:
        """Pseudonyms whose chat is due to vanish now; each is handed out once (to one sweeper)."""
        due_key = self._key("due", channel)
        found: Any = await self._redis.zrangebyscore(due_key, "-inf", self._clock(), start=0, num=100)
        claimed = []
        for raw in found:
            pseudonym = decoded(raw)
            if await self._redis.zrem(due_key, pseudonym):
                claimed.append(pseudonym)
        return claimed

    async def forget(self, channel: str, pseudonym: str) -> None:
        """Drop the person's setting and schedule (erase); `take` drops the message ids."""
        await self.set_vanishing(channel, pseudonym, None)

    def messages_pattern(self) -> str:
        """The SCAN pattern of every person's message ids (`helpline rekey` re-encrypts them)."""
        return glob_escape(self._key("messages", "")) + "*"

    def _key(self, *parts: str) -> str:
        return self._prefix + ":".join(parts)
