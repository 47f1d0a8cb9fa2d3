"""Retention: what is past its keeping period goes on a schedule, not only when someone runs a command.

The database is purged here (handoffs, transcripts, conversation rows, old audit lines); Rasa's trackers,
routes, message ids and ended chats expire by themselves in Redis (each key carries its own expiry). A
route held without expiry for a handoff whose ticket is gone (a crash lost it) gets its expiry back here,
and so does a chat stream left without one after its handoff ended (a line added after the ending, a crash).

What a purge deletes (and what expired in Redis meanwhile) then leaves the files: SQLite's write-ahead log
is truncated, PostgreSQL's tables are vacuumed (their dead rows' space freed for reuse), and Redis's
append-only file is rewritten (`AofRewriter`, whose waiting rewrites this schedule also starts).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Protocol

import structlog

from bot.handoff.queue import HandoffQueue
from bot.handoff.relay import Relay
from bot.handoff.routes import RouteStore
from bot.periodic import every
from bot.privacy.aof import AofRewriter
from bot.store.handoffs import HandoffStore, PurgeCounts

log = structlog.get_logger(__name__)


class ExpiringBlocks(Protocol):
    """Abuse flags and blocks (bot.store.blocks.BlockStore)."""

    def forget_old(self) -> tuple[int, int]:
        """Delete flags past their retention and ended blocks; (flags, blocks) deleted."""
        ...


class RetentionSchedule:
    """Runs the purge at start and then every `every_s`, in the web process."""

    def __init__(
        self,
        handoffs: HandoffStore,
        retention_days: int,
        every_s: float,
        routes: tuple[HandoffQueue, RouteStore, int] | None = None,
        chats: tuple[HandoffQueue, Relay] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        disk: AofRewriter | None = None,
        blocks: ExpiringBlocks | None = None,
    ) -> None:
        self._handoffs = handoffs
        self._blocks = blocks  # flags past their retention and ended blocks go too
        self._routes = routes  # the queue, the routes and their inactivity expiry
        self._chats = chats  # the queue, and the relay that keeps each handoff's chat
        self._retention = timedelta(days=retention_days)
        self._every_s = every_s
        self._clock = clock
        self._disk = disk

    async def run(self, stop: asyncio.Event) -> None:
        """Purge until `stop` is set (and start waiting AOF rewrites); a failure is tried again next time."""
        loops = [every(self._every_s, stop, self.purge_once, "retention_purge")]
        if self._disk is not None:
            loops.append(self._disk.run(stop))
        await asyncio.gather(*loops)

    async def purge_once(self) -> PurgeCounts:
        """Delete what is older than the retention period now."""
        started = time.perf_counter()
        cutoff = self._clock() - self._retention
        counts = await asyncio.to_thread(self._handoffs.purge, cutoff, False)
        released = await self.release_orphaned_routes()
        expired = await self.expire_ended_chats()
        flags, blocks = await asyncio.to_thread(self._blocks.forget_old) if self._blocks else (0, 0)
        if self._disk is not None:
            await self._disk.request()
        try:
            settled = await asyncio.to_thread(self._handoffs.settle_deletions, True)
        except Exception as error:  # the rows are deleted; the next erase or purge settles them
            log.warning("purge_not_settled", error=type(error).__name__)
            settled = False
        log.info(
            "retention_purged",
            routes_released=released,
            chats_expired=expired,
            handoffs=counts.handoffs,
            transcript_messages=counts.transcript_messages,
            conversations=counts.conversations,
            audit_events=counts.audit_events,
            abuse_flags=flags,
            ended_blocks=blocks,
            settled=settled,
            ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return counts

    async def release_orphaned_routes(self) -> int:
        """Routes kept for a handoff that is no longer open expire again after the usual inactivity."""
        if self._routes is None:
            return 0
        queue, routes, ttl_s = self._routes
        released = 0
        for channel, pseudonym in await routes.held():
            if await queue.open_ticket(channel, pseudonym) is None:
                await routes.release(channel, pseudonym, ttl_s)
                released += 1
        return released

    async def expire_ended_chats(self) -> int:
        """Chats kept without expiry whose handoff is no longer open go with their ended ticket."""
        if self._chats is None:
            return 0
        queue, relay = self._chats
        expired = 0
        for ticket_id in await relay.chats_without_expiry():
            ticket = await queue.get(ticket_id)
            if ticket is None or ticket.status not in ("waiting", "claimed"):
                await relay.expire(ticket_id, queue.ended_ttl_s)
                expired += 1
        return expired
