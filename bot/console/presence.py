"""Which counsellors are online: a sorted set of counsellor ids scored by when their presence runs out.

The console's live queue marks its counsellor every `REFRESH_S` while it is open; a closed tab (or a crash)
is simply not renewed and drops out within `ONLINE_FOR_S`. The bot offers a counsellor only while someone
is online.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from redis.asyncio import Redis

ONLINE_KEY = "helpline:console:online"
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
        return [member.decode() if isinstance(member, bytes) else str(member) for member in members]

    async def anyone_online(self) -> bool:
        """True when at least one counsellor is online (the bot may offer a person)."""
        return bool(await self._redis.zcount(self._key, f"({self._clock()}", "+inf"))
