"""Erase: everything the helpline keeps about one person, deleted in one step at their request.

Rasa's tracker (through its API), the handoff queue's tickets and their chat streams, messages still waiting
to reach the person, the encrypted route to them, their vanishing setting, their resume code, and their rows
in the database (conversation, handoffs, transcripts). What stays is anonymous: a count of erasures per day,
and an audit line per erased handoff id (no pseudonym) so a counsellor sees why a chat closed. The channel
deletes the messages from the person's own app afterwards, where it can (it holds the chat's message ids, see
`ChatLedger.take`); on WhatsApp and SMS the phone keeps them (bot/channels/capabilities.py).

Deleted is not yet gone from the disk: the database's write-ahead log and Redis's append-only file still
hold what was deleted. So an erase ends by truncating SQLite's log (its deleted rows are zeroed, see
`secure_delete`) and by asking for a rewrite of Redis's AOF (`AofRewriter`): one now, and one once the
erase's own notice has left the chat (until then, Redis keeps the way back to delete it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol

import structlog
from redis.asyncio import Redis

from bot.handoff.queue import HandoffQueue
from bot.handoff.relay import Relay
from bot.handoff.routes import RouteStore
from bot.privacy.aof import AofRewriter
from bot.privacy.ledger import ChatLedger
from bot.privacy.resume_codes import ResumeCodes
from bot.store.handoffs import HandoffStore

log = structlog.get_logger(__name__)

COUNTER_PREFIX = "helpline:stats:erasures:"
COUNTER_TTL_S = 400 * 24 * 3600
NOTICE_CLEANUP_MARGIN_S = 30  # the notice's chat cleanup runs every 2 s; its keys are gone well before


class TrackerEraser(Protocol):
    """The dialogue engine's memory of a conversation (Rasa's tracker)."""

    async def erase(self, pseudonym: str) -> None:
        """Delete the tracker of this conversation."""
        ...


@dataclass(frozen=True)
class Erasure:
    """What one erase did: how many handoffs went, and whether every part could be reached."""

    handoffs: int
    complete: bool


class Eraser:
    """Deletes a person's data everywhere the server keeps it; a part that is down makes it incomplete."""

    def __init__(
        self,
        redis: Redis,
        queue: HandoffQueue,
        relay: Relay,
        routes: RouteStore,
        handoffs: HandoffStore,
        ledger: ChatLedger,
        engine: TrackerEraser,
        counter_prefix: str = COUNTER_PREFIX,
        disk: AofRewriter | None = None,
        notice_s: float = 0.0,
        codes: ResumeCodes | None = None,
    ) -> None:
        self._redis = redis
        self._queue = queue
        self._relay = relay
        self._routes = routes
        self._handoffs = handoffs
        self._ledger = ledger
        self._engine = engine
        self._counter_prefix = counter_prefix
        self._disk = disk
        self._codes = codes
        self._notice_s = notice_s  # how long the erase's notice stays in the chat (its cleanup needs Redis)

    async def erase(self, channel: str, pseudonym: str) -> Erasure:
        """Erase every trace of this person; each part is tried even when another fails."""
        erased_tickets: list[str] = []

        async def redis_side() -> None:
            erased_tickets.extend(await self._queue.erase_person(channel, pseudonym))
            for ticket_id in erased_tickets:
                await self._relay.forget(ticket_id)
            await self._relay.drop_outbound(channel, pseudonym)
            await self._routes.forget(channel, pseudonym)
            await self._ledger.forget(channel, pseudonym)
            if self._codes is not None:
                await self._codes.forget(channel, pseudonym)

        async def database_side() -> None:
            await asyncio.to_thread(self._handoffs.erase_person, pseudonym, channel)

        async def engine_side() -> None:
            await self._engine.erase(pseudonym)

        parts: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("redis", redis_side),
            ("database", database_side),
            ("engine", engine_side),
        ]
        failed = [name for name, part in parts if not await _tried(name, pseudonym, part)]
        await self._count()
        await self._off_the_disk(database_erased="database" not in failed)
        log.info(
            "erased", pseudonym=pseudonym[:12], handoffs=len(erased_tickets), failed=",".join(failed) or None
        )
        return Erasure(handoffs=len(erased_tickets), complete=not failed)

    async def _off_the_disk(self, database_erased: bool) -> None:
        """What was deleted leaves the files too: SQLite's log now, Redis's AOF by a rewrite (coalesced)."""
        if database_erased:
            try:
                await asyncio.to_thread(self._handoffs.settle_deletions)
            except Exception as error:  # the rows are deleted; the next erase or purge truncates the log
                log.warning("erase_not_settled", error=type(error).__name__)
        if self._disk is not None:
            await self._disk.request()
            await self._disk.request(after_s=self._notice_s + NOTICE_CLEANUP_MARGIN_S)

    async def _count(self) -> None:
        key = self._counter_prefix + datetime.now(timezone.utc).date().isoformat()
        try:
            await self._redis.incr(key)
            await self._redis.expire(key, COUNTER_TTL_S)
        except Exception as error:  # a counter is never worth failing an erase for
            log.warning("erasure_not_counted", error=type(error).__name__)


async def _tried(name: str, pseudonym: str, part: Callable[[], Awaitable[None]]) -> bool:
    try:
        await part()
    except Exception as error:
        log.error("erase_part_failed", part=name, pseudonym=pseudonym[:12], error=type(error).__name__)
        return False
    return True
