"""The queue of tickets waiting for a counsellor, in Redis; a change of several keys is one Lua script.

Keys under the prefix (default "helpline:handoff:"): `ticket:{id}` hash, `waiting` sorted set (priority, then
first come first served), `counsellor:{cid}:active` set, `person:{channel}:{pseudonym}` → open ticket id,
`source:{keyed hash}` set of a source's open tickets (expiring), and the `events` stream the console follows.
The scripts build key names from the prefix because the claim of the next eligible ticket cannot name its
keys in advance: this queue needs a single Redis (not Cluster).
"""

from __future__ import annotations

import json
import re
import secrets
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any, Literal, cast, get_args

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from bot.messages import Channel
from bot.redis_client import decoded, glob_escape

Priority = Literal["urgent", "normal"]
RefusalReason = Literal["taken", "gone", "at_capacity", "language"]
# Sorted-set score = rank * RANK_SPAN + created_ms: urgent (rank 0) before normal (rank 1), then oldest first
# (the scripts' `score` uses the same 1e13).
RANK_SPAN = 10**13
OPEN = ("waiting", "claimed")
PSEUDONYM = re.compile(r"[0-9a-f]{64}")
LUA_DIR = Path(__file__).resolve().parent / "lua"


@cache
def lua_script(name: str) -> str:
    """A queue script (`lua/<name>.lua`) behind the prelude every script shares; read from disk once."""
    return (LUA_DIR / "prelude.lua").read_text() + (LUA_DIR / f"{name}.lua").read_text()


# Ended tickets, and their chats, stay a day for the console, then expire: the store keeps the record.
ENDED_TTL_S = 24 * 3600


@dataclass(frozen=True)
class Ticket:
    """One person's request for a counsellor, as the console sees it."""

    id: str
    pseudonym: str
    channel: str
    locale: str
    country: str | None
    priority: Priority
    topic: str | None
    nickname: str
    created_ms: int
    status: str
    counsellor: str | None
    claimed_ms: int | None
    mismatch: bool


@dataclass(frozen=True)
class CounsellorSeat:
    """What the queue needs to know about a counsellor to offer tickets (languages are locale codes)."""

    id: str
    languages: frozenset[str]
    capacity: int


@dataclass(frozen=True)
class QueueStats:
    """How the queue stands: tickets waiting, the longest wait so far, tickets held per counsellor."""

    waiting: int
    longest_wait_s: float
    active: Mapping[str, int]


class ClaimRefused(Exception):
    """A counsellor may not take this ticket: taken by another, gone, at capacity, or not yet (language)."""

    def __init__(self, reason: RefusalReason) -> None:
        super().__init__(reason)
        self.reason: RefusalReason = reason


class SourceFull(Exception):
    """One source (a web chat address) already holds as many open tickets as it may: nobody was queued."""


class NotHolding(Exception):
    """The counsellor does not hold this ticket (any more), so cannot transfer, requeue or resolve it."""

    def __init__(self, ticket_id: str, status: str | None) -> None:
        super().__init__(f"ticket {ticket_id} is not held by this counsellor (status {status or 'gone'})")
        self.ticket_id = ticket_id
        self.status = status


def language_fit(ticket: Ticket, seat: CounsellorSeat, now_ms: int, mismatch_after_ms: int) -> bool | None:
    """The mismatch flag if the seat may take the ticket now; None while it waits for a speaker.

    False: the counsellor speaks the ticket's locale. True: they do not, but it has waited long enough.
    The same rule as the claim script's `fit`, for views that do not claim.
    """
    if ticket.locale in seat.languages:
        return False
    if now_ms - ticket.created_ms >= mismatch_after_ms:
        return True
    return None


class HandoffQueue:
    """Tickets waiting for a counsellor, claimed, transferred, requeued, resolved or cancelled, atomically."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = "helpline:handoff:",
        mismatch_after_s: float = 120.0,
        clock: Callable[[], float] = time.time,
        ended_ttl_s: int = ENDED_TTL_S,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._mismatch_after_ms = round(mismatch_after_s * 1000)
        self._clock = clock
        self._ended_ttl_s = ended_ttl_s
        self._enqueue = redis.register_script(lua_script("enqueue"))
        self._claim = redis.register_script(lua_script("claim"))
        self._transfer = redis.register_script(lua_script("transfer"))
        self._requeue = redis.register_script(lua_script("requeue"))
        self._resolve = redis.register_script(lua_script("resolve"))
        self._cancel = redis.register_script(lua_script("cancel"))
        self._erase = redis.register_script(lua_script("erase"))
        self._move = redis.register_script(lua_script("move"))

    async def enqueue(
        self,
        pseudonym: str,
        channel: str,
        locale: str,
        country: str | None,
        priority: Priority,
        topic: str | None,
        *,
        source: str | None = None,
        per_source: int = 1,
    ) -> Ticket:
        """Queue a person for a counsellor; if they already have an open ticket, return that one.

        With a `source` (a keyed hash of where the person writes from, 64 hex characters), raises
        SourceFull instead when that source already holds `per_source` open tickets.
        """
        if not PSEUDONYM.fullmatch(pseudonym):
            raise ValueError("a ticket is for a pseudonym (64 hex characters), never a raw id")
        if source is not None and not PSEUDONYM.fullmatch(source):
            raise ValueError("a ticket's source is a keyed hash (64 hex characters), never an address")
        if priority not in get_args(Priority):
            raise ValueError(f"unknown priority {priority!r}")
        # Random, not derived from the pseudonym: the nickname must not link two handoffs of one person.
        nickname = f"Visitor {1000 + secrets.randbelow(9000)}"
        fields = (uuid.uuid4().hex, pseudonym, Channel(channel).value, locale, country or "", priority)
        reply = await self._run(self._enqueue, *fields, topic or "", nickname, source or "", per_source)
        if decoded(reply[0]) == "refused":
            raise SourceFull()
        return _ticket(reply[1])

    async def open_ticket(self, channel: str, pseudonym: str) -> Ticket | None:
        """The person's waiting or claimed ticket, if any."""
        ticket_id = await self._redis.get(self._key("person", Channel(channel).value, pseudonym))
        ticket = await self.get(decoded(ticket_id)) if ticket_id else None
        return ticket if ticket is not None and ticket.status in OPEN else None

    async def position(self, ticket_id: str) -> int | None:
        """The ticket's 1-based place in the waiting order, None when it is not waiting."""
        rank = await self._redis.zrank(self._key("waiting"), ticket_id)
        return rank + 1 if isinstance(rank, int) else None

    async def waiting(self) -> list[Ticket]:
        """Every waiting ticket, in queue order (urgent first, then first come first served)."""
        ids = cast(list[bytes], await self._redis.zrange(self._key("waiting"), 0, -1))
        return await self._tickets([decoded(ticket_id) for ticket_id in ids])

    async def offered_to(self, seat: CounsellorSeat) -> list[Ticket]:
        """The waiting tickets this counsellor may claim now (none at capacity); mismatches flagged."""
        if await self._redis.scard(self._key("counsellor", seat.id, "active")) >= seat.capacity:
            return []
        now_ms = self._now_ms()
        offered = []
        for ticket in await self.waiting():
            mismatch = language_fit(ticket, seat, now_ms, self._mismatch_after_ms)
            if mismatch is not None:
                offered.append(replace(ticket, mismatch=mismatch))
        return offered

    async def claim_next(self, seat: CounsellorSeat) -> Ticket | None:
        """Claim the first ticket this counsellor may take, or None; ClaimRefused when at capacity."""
        return await self._claim_one(seat, "")

    async def claim(self, seat: CounsellorSeat, ticket_id: str) -> Ticket:
        """Claim one ticket; raises ClaimRefused. Two claimers can never get the same ticket."""
        ticket = await self._claim_one(seat, ticket_id)
        if ticket is None:  # the script answers 'none' only when asked for the next ticket
            raise ClaimRefused("gone")
        return ticket

    async def transfer(self, ticket_id: str, from_id: str, to: CounsellorSeat) -> Ticket:
        """Hand a claimed ticket to another counsellor within their capacity; mismatch flagged if need be."""
        if to.id == from_id:
            raise ValueError("a ticket is transferred to another counsellor")
        reply = await self._run(self._transfer, ticket_id, from_id, to.id, to.capacity, *sorted(to.languages))
        return self._held(ticket_id, reply)

    async def requeue(self, ticket_id: str, counsellor_id: str) -> Ticket:
        """Put a claimed ticket back in the waiting order, at its original place."""
        return self._held(ticket_id, await self._run(self._requeue, ticket_id, counsellor_id))

    @property
    def ended_ttl_s(self) -> int:
        """How long an ended ticket (and its chat) stays in Redis for the console."""
        return self._ended_ttl_s

    async def resolve(self, ticket_id: str, counsellor_id: str) -> Ticket:
        """End a claimed ticket as resolved; the person may ask for a counsellor again."""
        return self._held(ticket_id, await self._run(self._resolve, ticket_id, counsellor_id))

    async def cancel(self, channel: str, pseudonym: str) -> Ticket | None:
        """The survivor no longer wants a counsellor: end their open ticket, if any."""
        reply = await self._run(self._cancel, Channel(channel).value, pseudonym)
        return _ticket(reply[1]) if decoded(reply[0]) == "ok" else None

    async def move(self, ticket_id: str, from_: tuple[str, str], to: tuple[str, str]) -> Ticket | None:
        """The person continues their open ticket as (channel, pseudonym) `to` (a resume code): the same
        ticket, place and counsellor. None when it is no longer open or `to` already has an open ticket."""
        if not PSEUDONYM.fullmatch(to[1]):
            raise ValueError("a ticket is for a pseudonym (64 hex characters), never a raw id")
        channels = (Channel(from_[0]).value, Channel(to[0]).value)
        reply = await self._run(self._move, ticket_id, channels[0], from_[1], channels[1], to[1])
        return _ticket(reply[1]) if decoded(reply[0]) == "ok" else None

    async def active_of(self, counsellor_id: str) -> list[Ticket]:
        """The tickets a counsellor holds, oldest claim first."""
        ids = await self._redis.smembers(self._key("counsellor", counsellor_id, "active"))
        tickets = await self._tickets([decoded(ticket_id) for ticket_id in ids])
        return sorted(tickets, key=lambda ticket: (ticket.claimed_ms or 0, ticket.id))

    async def get(self, ticket_id: str) -> Ticket | None:
        """A ticket by id; ended tickets stay readable for `ended_ttl_s`."""
        fields = await self._redis.hgetall(self._key("ticket", ticket_id))
        return _ticket(fields) if fields else None

    async def stats(self) -> QueueStats:
        """Waiting count, the longest wait in seconds, and tickets held per counsellor."""
        count, longest_s = await self.waiting_figures()
        active: dict[str, int] = {}
        head, tail = self._key("counsellor", ""), ":active"
        async for key in self._redis.scan_iter(match=glob_escape(head) + "*" + tail, count=500):
            name = decoded(key)
            active[name[len(head) : -len(tail)]] = int(await self._redis.scard(name))
        return QueueStats(count, longest_s, active)

    async def waiting_figures(self) -> tuple[int, float]:
        """Tickets waiting and the longest wait in seconds: three cheap reads, no scan (for /metrics)."""
        waiting = self._key("waiting")
        now_ms = self._now_ms()
        longest_ms = 0
        for rank in (0, 1):
            low, high = rank * RANK_SPAN, f"({(rank + 1) * RANK_SPAN}"
            first = await self._redis.zrangebyscore(waiting, low, high, start=0, num=1, withscores=True)
            if first:
                longest_ms = max(longest_ms, now_ms - (int(first[0][1]) - rank * RANK_SPAN))
        return int(await self._redis.zcard(waiting)), longest_ms / 1000

    async def erase_person(self, channel: str, pseudonym: str) -> list[str]:
        """Remove every key of this person (open and ended tickets, person key); the erased ticket ids."""
        channel = Channel(channel).value
        # Ended tickets are no longer reachable from the person key; they expire, but erasure cannot wait.
        keys = [key async for key in self._redis.scan_iter(match=glob_escape(self._key("ticket", "")) + "*")]
        candidates = []
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hmget(key, "channel", "pseudonym")
            owners = await pipe.execute()
        for key, owner in zip(keys, owners, strict=True):
            if [decoded(value) if value else "" for value in owner] == [channel, pseudonym]:
                candidates.append(decoded(key)[len(self._key("ticket", "")) :])
        erased = await self._run(self._erase, channel, pseudonym, *candidates)
        return [decoded(ticket_id) for ticket_id in erased]

    async def was_erased(self, ticket_id: str) -> bool:
        """True if this ticket's person erased their data while it was open (for the counsellor's note)."""
        return bool(await self._redis.exists(self._key("erased", ticket_id)))

    async def _claim_one(self, seat: CounsellorSeat, wanted: str) -> Ticket | None:
        reply = await self._run(
            self._claim, seat.id, seat.capacity, self._mismatch_after_ms, wanted, *sorted(seat.languages)
        )
        kind = decoded(reply[0])
        if kind == "refused":
            raise ClaimRefused(_reason(decoded(reply[1])))
        return _ticket(reply[1]) if kind == "ok" else None

    def _held(self, ticket_id: str, reply: list[Any]) -> Ticket:
        """The ticket from a holder's script, or the refusal it answered."""
        kind = decoded(reply[0])
        if kind == "not_holding":
            raise NotHolding(ticket_id, decoded(reply[1]) or None)
        if kind == "refused":
            raise ClaimRefused(_reason(decoded(reply[1])))
        return _ticket(reply[1])

    async def _run(self, script: AsyncScript, *args: str | int) -> list[Any]:
        reply = await script(args=[self._prefix, self._now_ms(), self._ended_ttl_s, *args])
        return list(reply)

    async def _tickets(self, ids: Sequence[str]) -> list[Ticket]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for ticket_id in ids:
                pipe.hgetall(self._key("ticket", ticket_id))
            found = await pipe.execute()
        # A ticket can end between the two reads; it is simply left out.
        return [_ticket(fields) for fields in found if fields]

    def _key(self, *parts: str) -> str:
        return self._prefix + ":".join(parts)

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)


def _reason(reason: str) -> RefusalReason:
    if reason not in get_args(RefusalReason):
        raise RuntimeError(f"the claim script answered an unknown refusal {reason!r}")
    return reason  # type: ignore[return-value]


def _ticket(raw: Mapping[Any, Any] | bytes | str) -> Ticket:
    """A Ticket from HGETALL (a mapping) or from a script's answer (the same fields as JSON)."""
    fields = (
        {decoded(name): decoded(value) for name, value in raw.items()}
        if isinstance(raw, Mapping)
        else json.loads(raw)
    )
    priority = fields["priority"]
    return Ticket(
        id=fields["id"],
        pseudonym=fields["pseudonym"],
        channel=fields["channel"],
        locale=fields["locale"],
        country=fields["country"] or None,
        priority="urgent" if priority == "urgent" else "normal",
        topic=fields["topic"] or None,
        nickname=fields["nickname"],
        created_ms=int(fields["created_ms"]),
        status=fields["status"],
        counsellor=fields["counsellor"] or None,
        claimed_ms=int(fields["claimed_ms"]) if fields["claimed_ms"] else None,
        mismatch=fields["mismatch"] == "1",
    )
