"""Whether a counsellor can take a chat now: within staffing hours, and someone has the console open."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from bot.handoff.presence import Presence
from bot.handoff.schedule import Staffing


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
    """Reads the staffing schedule and who is online (bot.handoff.presence)."""

    def __init__(
        self,
        presence: Presence,
        staffing: Staffing,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._presence = presence
        self._staffing = staffing
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
            online = await self._presence.count_online()
        except Exception:  # no Redis: nobody can be reached through the console anyway
            online = 0
        is_open = self._staffing.is_open(at)
        return Availability(is_open, None if is_open else self._staffing.next_opening(at), online)
