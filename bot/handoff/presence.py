"""Which counsellors are online: a sorted set of counsellor ids scored by when their presence runs out.

The console's live queue marks its counsellor every `REFRESH_S` while it is open; a closed tab (or a crash)
is simply not renewed and drops out within `ONLINE_FOR_S`. The bot offers a counsellor only while someone
is online. This module is the one home of that set: the console marks, the bot's offer reads.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from redis.asyncio import Redis

from bot.redis_client import decoded

CONSOLE_PREFIX = "helpline:console:"  # the console's keys (sessions, presence)


def online_key(console_prefix: str = CONSOLE_PREFIX) -> str:
    """The sorted set of online counsellors under a console prefix (tests isolate themselves by prefix)."""
    return f"{console_prefix}online"


ONLINE_KEY = online_key()
ONLINE_FOR_S = 60.0
REFRESH_S = 20.0


class Presence:
    """Counsellors with the console open, in Redis, so every process (bot and console) sees the same."""

    def __init__(
        self,
        redis: Redis,
        key: str = ONLINE_KEY,
        online_for_s: float = ONLINE_FOR_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._key = key
        self._online_for_s = online_for_s
        self._clock = clock

    async def mark_online(self, counsellor_id: str) -> None:
        """Keep the counsellor online for the next `online_for_s` seconds."""
        now = self._clock()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(self._key, {counsellor_id: now + self._online_for_s})
            # Expired members are dropped here, so the set stays as small as the team.
            pipe.zremrangebyscore(self._key, "-inf", now)
            await pipe.execute()

    async def mark_offline(self, counsellor_id: str) -> None:
        """The counsellor logged out: offline at once, not after `online_for_s`."""
        await self._redis.zrem(self._key, counsellor_id)

    async def online(self) -> list[str]:
        """Ids of the counsellors online now."""
        members = await self._redis.zrangebyscore(self._key, f"({self._clock()}", "+inf")
        return [decoded(member) for member in members]

    async def count_online(self) -> int:
        """How many counsellors are online now."""
        return int(await self._redis.zcount(self._key, f"({self._clock()}", "+inf"))

    async def anyone_online(self) -> bool:
        """True when at least one counsellor is online (the bot may offer a person)."""
        return await self.count_online() > 0
