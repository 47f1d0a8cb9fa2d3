"""Nobody has taken the chat yet: after a while, say sorry, give the country's hotlines, let them choose.

Runs in the web app. Each waiting ticket gets this message once (a Redis marker), through the relay, so it
reaches the person on whichever channel they wrote from.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

import structlog
from redis.asyncio import Redis

from bot.content import ContentLibrary
from bot.handoff.desk import CANCEL, CANCEL_PAYLOAD
from bot.handoff.queue import HandoffQueue, Ticket
from bot.handoff.relay import Relay
from bot.i18n import Translator, _
from bot.periodic import every

log = structlog.get_logger(__name__)

STILL_WAITING = _(
    "Sorry: no counsellor is free yet. You can keep waiting here, or reach a helpline now. "
    "Your place in the queue is kept."
)


class WaitWatcher:
    """Tells people who waited longer than `timeout_s` that nobody is free yet, once per ticket."""

    def __init__(
        self,
        queue: HandoffQueue,
        relay: Relay,
        content: ContentLibrary,
        redis: Redis,
        timeout_s: float,
        interval_s: float = 10.0,
        prefix: str = "helpline:handoff:told_waiting:",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._queue = queue
        self._relay = relay
        self._content = content
        self._redis = redis
        self._timeout_ms = round(timeout_s * 1000)
        self._interval_s = interval_s
        self._prefix = prefix
        self._clock = clock

    async def run(self, stop: asyncio.Event) -> None:
        """Check every `interval_s` until `stop` is set; errors are logged, never fatal."""
        await every(self._interval_s, stop, self.check_once, "wait_watcher")

    async def check_once(self) -> int:
        """Tell everyone waiting too long (and not told yet); how many were told."""
        now_ms = int(self._clock() * 1000)
        told = 0
        for ticket in await self._queue.waiting():
            if now_ms - ticket.created_ms < self._timeout_ms:
                continue
            if not await self._redis.set(self._prefix + ticket.id, 1, nx=True, ex=7 * 24 * 3600):
                continue
            await self._tell(ticket)
            told += 1
        return told

    async def _tell(self, ticket: Ticket) -> None:
        translate = Translator(self._content.catalog_dir, ticket.locale).gettext
        hotlines = self._content.services_text(ticket.country, ["hotline"], ticket.locale)
        text = f"{translate(STILL_WAITING)}\n\n{hotlines}"
        buttons = ((translate(CANCEL), CANCEL_PAYLOAD),)
        key = f"w-{uuid.uuid4().hex}"
        await self._relay.to_survivor(
            ticket.id, ticket.channel, ticket.pseudonym, text, key, sender="system", buttons=buttons
        )
        log.info("handoff_wait_apology", ticket=ticket.id[:8])
