"""Redis's append-only file forgets what was erased: it is rewritten from what Redis holds now.

Redis logs every write to its AOF (that is what keeps queued messages through a crash of the private Redis);
a deleted key stays in that log, its name in clear and its value as a token the key opens, until the file
is rewritten from the live data (BGREWRITEAOF; Redis 6 renames the new file over the old one, Redis 7 deletes
the old base and increment files). A rewrite reads the whole dataset, so each erase (or purge, or rekey)
only asks for one, in a sorted set in Redis with the time it is due; at most one is started every
`min_interval_s`, whatever the number of erasures and processes, so a flood of erases cannot thrash the
disk, and the web process's periodic task starts the one that had to wait. A request is forgotten only once
a rewrite started after it was due: a rewrite already running may have copied the erased data.

A Redis without an AOF needs none; one that refuses INFO or BGREWRITEAOF (a managed Redis) is logged
(`aof_rewrite_refused`) and never fails the erase: the threat model says what remains then.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from typing import Any

import structlog
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot.periodic import every

log = structlog.get_logger(__name__)

DEFAULT_PREFIX = "helpline:privacy:aof:"
MIN_INTERVAL_S = 60.0  # at most one rewrite started per minute, across every process
CHECK_EVERY_S = 10.0  # how often the periodic task looks for a rewrite that had to wait


class AofRewriter:
    """Asks Redis to rewrite its append-only file after data was deleted, coalescing the requests."""

    def __init__(
        self,
        redis: Redis,
        prefix: str = DEFAULT_PREFIX,
        min_interval_s: float = MIN_INTERVAL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._wanted = prefix + "wanted"  # sorted set: one member per request, scored by when it is due
        self._started = prefix + "started"  # exists for min_interval_s after a rewrite was started
        self._min_interval_ms = max(1, round(min_interval_s * 1000))
        self._clock = clock

    async def request(self, after_s: float = 0.0) -> bool:
        """Ask for a rewrite once `after_s` have passed (now: start it if none started lately).

        True if a rewrite started now. Never raises: the data is already deleted, this only cleans the file.
        """
        try:
            await self._redis.zadd(self._wanted, {secrets.token_hex(8): self._clock() + after_s})
            return await self.rewrite_if_due() if after_s <= 0 else False
        except Exception as error:  # Redis restarting: the next erase or purge asks again
            log.warning("aof_rewrite_failed", error=type(error).__name__)
            return False

    async def rewrite_if_due(self) -> bool:
        """Start the rewrite that is due, unless one started within the interval; True if it started."""
        due: Any = await self._redis.zrangebyscore(self._wanted, "-inf", self._clock())
        if not due:
            return False
        if not await self._redis.set(self._started, 1, nx=True, px=self._min_interval_ms):
            return False  # one started lately: this one waits for the periodic task
        try:
            persistence: Any = await self._redis.info("persistence")
        except ResponseError as error:  # INFO refused: nothing can be known, nothing done
            return await self._refused(due, error)
        if not int(persistence.get("aof_enabled", 0)):
            await self._redis.zrem(self._wanted, *due)  # no AOF: nothing of it is on disk to rewrite
            return False
        if int(persistence.get("aof_rewrite_in_progress", 0)):
            return False  # it may have copied the deleted data: ours starts after it, in a later round
        try:
            await self._redis.bgrewriteaof()
        except ResponseError as error:
            if "in progress" in str(error):
                return False
            return await self._refused(due, error)
        await self._redis.zrem(self._wanted, *due)
        log.info("aof_rewrite_started", requests=len(due))
        return True

    async def run(self, stop: asyncio.Event, every_s: float = CHECK_EVERY_S) -> None:
        """Until `stop`: start the rewrites that had to wait (the web process runs this)."""
        await every(every_s, stop, self.rewrite_if_due, "aof_rewrite")

    async def pending(self) -> int:
        """How many requests wait for a rewrite (due or not)."""
        return int(await self._redis.zcard(self._wanted))

    async def _refused(self, due: list[Any], error: ResponseError) -> bool:
        # A managed Redis (CONFIG, BGREWRITEAOF or INFO renamed or denied): asking again changes nothing.
        await self._redis.zrem(self._wanted, *due)
        log.warning("aof_rewrite_refused", error=type(error).__name__)
        return False
