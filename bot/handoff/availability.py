"""Whether a counsellor can take a chat now: within staffing hours, and someone has the console open."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from redis.asyncio import Redis

from bot.handoff.schedule import Staffing

# Counsellors with the console open, scored by when their presence expires (seconds since the epoch).
ONLINE_KEY = "helpline:console:online"


@dataclass(frozen=True)
class Availability:
    """Open hours and counsellors online, at one moment."""

    open: bool
    next_opening: datetime | None
    online: int

    @property
    def can_offer(self) -> bool:
        """A person is offered a counsellor only when one could really answer."""
        return self.open and self.online > 0


class CounsellorAvailability:
    """Reads the staffing schedule and the console's presence set."""

    def __init__(
        self,
        redis: Redis,
        staffing: Staffing,
        online_key: str = ONLINE_KEY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._staffing = staffing
        self._online_key = online_key
        self._clock = clock

    @property
    def timezone(self) -> str:
        """The schedule's time zone, in which opening times are told."""
        return str(self._staffing.time_zone.key)

    async def now(self) -> Availability:
        """Availability at this moment; Redis down counts as nobody online."""
        now = self._clock()
        at = datetime.fromtimestamp(now, timezone.utc)
        try:
            online = int(await self._redis.zcount(self._online_key, now, "+inf"))
        except Exception:  # no Redis: nobody can be reached through the console anyway
            online = 0
        is_open = self._staffing.is_open(at)
        return Availability(is_open, None if is_open else self._staffing.next_opening(at), online)
