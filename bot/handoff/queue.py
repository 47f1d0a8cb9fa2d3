"""The queue of tickets waiting for a counsellor, in Redis; a change of several keys is one Lua script.

Keys under the prefix (default "helpline:handoff:"): `ticket:{id}` hash, `waiting` sorted set (priority, then
first come first served), `counsellor:{cid}:active` set, `person:{channel}:{pseudonym}` → open ticket id, and
the `events` stream the console follows. The scripts build key names from the prefix because the claim of the
next eligible ticket cannot name its keys in advance: this queue needs a single Redis (not Cluster).
"""

from __future__ import annotations

import json
import re
import secrets
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, cast, get_args

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from bot.conversation.messages import Channel

Priority = Literal["urgent", "normal"]
RefusalReason = Literal["taken", "gone", "at_capacity", "language"]
# Sorted-set score = rank * RANK_SPAN + created_ms: urgent (rank 0) before normal (rank 1), then oldest first
# (the scripts' `score` uses the same 1e13).
RANK_SPAN = 10**13
OPEN = ("waiting", "claimed")
PSEUDONYM = re.compile(r"[0-9a-f]{64}")

# Shared by every script. ARGV[1..3] are always prefix, now_ms, ended_ttl_s; a script's own arguments follow.
_PRELUDE = """
local prefix = ARGV[1]
local now = tonumber(ARGV[2])
local ended_ttl = tonumber(ARGV[3])
local waiting = prefix .. 'waiting'
local function ticket_key(id) return prefix .. 'ticket:' .. id end
local function active_key(cid) return prefix .. 'counsellor:' .. cid .. ':active' end
local function person_key(channel, pseudonym) return prefix .. 'person:' .. channel .. ':' .. pseudonym end
local function score(priority, created_ms)
  local rank = 1
  if priority == 'urgent' then rank = 0 end
  return string.format('%.0f', rank * 1e13 + tonumber(created_ms))
end
-- The console's live view follows this stream; about the last 10,000 changes are plenty to catch up.
local function event(kind, id)
  redis.call('XADD', prefix .. 'events', 'MAXLEN', '~', 10000, '*',
    'type', kind, 'ticket', id, 'at_ms', ARGV[2])
end
-- The ticket as one JSON string: far cheaper for the client to read than a 26-item array.
local function answer(id)
  local flat, ticket = redis.call('HGETALL', ticket_key(id)), {}
  for i = 1, #flat, 2 do ticket[flat[i]] = flat[i + 1] end
  return {'ok', cjson.encode(ticket)}
end
local function refuse(reason) return {'refused', reason} end
-- Ends an open ticket: out of the waiting order and the counsellor's hands, and the person may ask again.
local function finish(id, status)
  local key = ticket_key(id)
  local t = redis.call('HMGET', key, 'channel', 'pseudonym', 'counsellor')
  redis.call('ZREM', waiting, id)
  if t[3] and t[3] ~= '' then redis.call('SREM', active_key(t[3]), id) end
  local pkey = person_key(t[1], t[2])
  if redis.call('GET', pkey) == id then redis.call('DEL', pkey) end
  redis.call('HSET', key, 'status', status)
  redis.call('EXPIRE', key, ended_ttl)
  event(status, id)
end
"""

# ARGV[4..11]: id, pseudonym, channel, locale, country, priority, topic, nickname.
_ENQUEUE = """
local pkey = person_key(ARGV[6], ARGV[5])
local open = redis.call('GET', pkey)
if open then
  local status = redis.call('HGET', ticket_key(open), 'status')
  if status == 'waiting' or status == 'claimed' then return answer(open) end
end
local id = ARGV[4]
redis.call('HSET', ticket_key(id), 'id', id, 'pseudonym', ARGV[5], 'channel', ARGV[6], 'locale', ARGV[7],
  'country', ARGV[8], 'priority', ARGV[9], 'topic', ARGV[10], 'nickname', ARGV[11], 'created_ms', ARGV[2],
  'status', 'waiting', 'counsellor', '', 'claimed_ms', '', 'mismatch', '0')
redis.call('ZADD', waiting, score(ARGV[9], ARGV[2]), id)
redis.call('SET', pkey, id)
event('queued', id)
return answer(id)
"""

# ARGV[4..]: counsellor id, capacity, mismatch_after_ms, wanted ticket id ('' = the next eligible), languages.
_CLAIM = """
local cid, capacity, patience, wanted = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
local active = active_key(cid)
local speaks = {}
for i = 8, #ARGV do speaks[ARGV[i]] = true end
-- The mismatch flag if this counsellor may take the ticket now, nil if it must wait for a speaker.
local function fit(id)
  local t = redis.call('HMGET', ticket_key(id), 'locale', 'created_ms')
  if speaks[t[1]] then return '0' end
  if now - tonumber(t[2]) >= patience then return '1' end
  return nil
end
local function take(id, mismatch)
  local key = ticket_key(id)
  redis.call('ZREM', waiting, id)
  redis.call('HSET', key, 'status', 'claimed', 'counsellor', cid, 'claimed_ms', ARGV[2], 'mismatch', mismatch)
  redis.call('SADD', active, id)
  local t = redis.call('HMGET', key, 'channel', 'pseudonym')
  redis.call('SET', person_key(t[1], t[2]), id)
  event('claimed', id)
  return answer(id)
end
if wanted ~= '' then
  local status = redis.call('HGET', ticket_key(wanted), 'status')
  if status == 'claimed' then return refuse('taken') end
  if status ~= 'waiting' then return refuse('gone') end
  local mismatch = fit(wanted)
  if not mismatch then return refuse('language') end
  if redis.call('SCARD', active) >= capacity then return refuse('at_capacity') end
  return take(wanted, mismatch)
end
if redis.call('SCARD', active) >= capacity then return refuse('at_capacity') end
-- In small batches: usually the first waiting ticket fits, so reading the whole order would be waste.
local start, batch = 0, 20
while true do
  local ids = redis.call('ZRANGE', waiting, start, start + batch - 1)
  if #ids == 0 then return {'none'} end
  for _, id in ipairs(ids) do
    local mismatch = fit(id)
    if mismatch then return take(id, mismatch) end
  end
  start = start + batch
end
"""

# ARGV[4..]: ticket id, from counsellor, to counsellor, to capacity, to languages.
_TRANSFER = """
local id, from, to = ARGV[4], ARGV[5], ARGV[6]
local key = ticket_key(id)
local t = redis.call('HMGET', key, 'status', 'counsellor', 'locale')
if t[1] ~= 'claimed' or t[2] ~= from then return {'not_holding', t[1] or ''} end
local to_active = active_key(to)
if redis.call('SCARD', to_active) >= tonumber(ARGV[7]) then return refuse('at_capacity') end
local mismatch = '1'
for i = 8, #ARGV do if ARGV[i] == t[3] then mismatch = '0' end end
redis.call('SREM', active_key(from), id)
redis.call('SADD', to_active, id)
redis.call('HSET', key, 'counsellor', to, 'claimed_ms', ARGV[2], 'mismatch', mismatch)
event('transferred', id)
return answer(id)
"""

# ARGV[4..5]: ticket id, counsellor id.
_REQUEUE = """
local id, cid = ARGV[4], ARGV[5]
local key = ticket_key(id)
local t = redis.call('HMGET', key, 'status', 'counsellor', 'priority', 'created_ms')
if t[1] ~= 'claimed' or t[2] ~= cid then return {'not_holding', t[1] or ''} end
redis.call('SREM', active_key(cid), id)
redis.call('HSET', key, 'status', 'waiting', 'counsellor', '', 'claimed_ms', '', 'mismatch', '0')
redis.call('ZADD', waiting, score(t[3], t[4]), id)
event('requeued', id)
return answer(id)
"""

# ARGV[4..5]: ticket id, counsellor id.
_RESOLVE = """
local id, cid = ARGV[4], ARGV[5]
local t = redis.call('HMGET', ticket_key(id), 'status', 'counsellor')
if t[1] ~= 'claimed' or t[2] ~= cid then return {'not_holding', t[1] or ''} end
finish(id, 'resolved')
return answer(id)
"""

# ARGV[4..5]: channel, pseudonym.
_CANCEL = """
local pkey = person_key(ARGV[4], ARGV[5])
local id = redis.call('GET', pkey)
if not id then return {'none'} end
local status = redis.call('HGET', ticket_key(id), 'status')
if status ~= 'waiting' and status ~= 'claimed' then
  redis.call('DEL', pkey)
  return {'none'}
end
finish(id, 'cancelled')
return answer(id)
"""

# ARGV[4..]: channel, pseudonym, ids of ended tickets that may be theirs (checked again here).
_ERASE = """
local channel, pseudonym = ARGV[4], ARGV[5]
local erased = {}
local open = redis.call('GET', person_key(channel, pseudonym))
if open then
  local status = redis.call('HGET', ticket_key(open), 'status')
  if status == 'waiting' or status == 'claimed' then
    finish(open, 'erased')
    -- The ticket goes at once; its counsellor's console still learns why the chat closed.
    redis.call('SET', prefix .. 'erased:' .. open, '1', 'EX', ended_ttl)
  end
end
local candidates = {}
if open then table.insert(candidates, open) end
for i = 6, #ARGV do table.insert(candidates, ARGV[i]) end
for _, id in ipairs(candidates) do
  local key = ticket_key(id)
  local t = redis.call('HMGET', key, 'channel', 'pseudonym')
  if t[1] == channel and t[2] == pseudonym then
    redis.call('ZREM', waiting, id)
    redis.call('DEL', key)
    table.insert(erased, id)
  end
end
redis.call('DEL', person_key(channel, pseudonym))
return erased
"""


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
        ended_ttl_s: int = 24 * 3600,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._mismatch_after_ms = round(mismatch_after_s * 1000)
        self._clock = clock
        # Ended tickets stay a day for the console, then expire: the store keeps the record, not Redis.
        self._ended_ttl_s = ended_ttl_s
        self._enqueue = redis.register_script(_PRELUDE + _ENQUEUE)
        self._claim = redis.register_script(_PRELUDE + _CLAIM)
        self._transfer = redis.register_script(_PRELUDE + _TRANSFER)
        self._requeue = redis.register_script(_PRELUDE + _REQUEUE)
        self._resolve = redis.register_script(_PRELUDE + _RESOLVE)
        self._cancel = redis.register_script(_PRELUDE + _CANCEL)
        self._erase = redis.register_script(_PRELUDE + _ERASE)

    async def enqueue(
        self,
        pseudonym: str,
        channel: str,
        locale: str,
        country: str | None,
        priority: Priority,
        topic: str | None,
    ) -> Ticket:
        """Queue a person for a counsellor; if they already have an open ticket, return that one."""
        if not PSEUDONYM.fullmatch(pseudonym):
            raise ValueError("a ticket is for a pseudonym (64 hex characters), never a raw id")
        if priority not in get_args(Priority):
            raise ValueError(f"unknown priority {priority!r}")
        # Random, not derived from the pseudonym: the nickname must not link two handoffs of one person.
        nickname = f"Visitor {1000 + secrets.randbelow(9000)}"
        fields = (uuid.uuid4().hex, pseudonym, Channel(channel).value, locale, country or "", priority)
        reply = await self._run(self._enqueue, *fields, topic or "", nickname)
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

    async def resolve(self, ticket_id: str, counsellor_id: str) -> Ticket:
        """End a claimed ticket as resolved; the person may ask for a counsellor again."""
        return self._held(ticket_id, await self._run(self._resolve, ticket_id, counsellor_id))

    async def cancel(self, channel: str, pseudonym: str) -> Ticket | None:
        """The survivor no longer wants a counsellor: end their open ticket, if any."""
        reply = await self._run(self._cancel, Channel(channel).value, pseudonym)
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
        waiting = self._key("waiting")
        now_ms = self._now_ms()
        longest_ms = 0
        for rank in (0, 1):
            low, high = rank * RANK_SPAN, f"({(rank + 1) * RANK_SPAN}"
            first = await self._redis.zrangebyscore(waiting, low, high, start=0, num=1, withscores=True)
            if first:
                longest_ms = max(longest_ms, now_ms - (int(first[0][1]) - rank * RANK_SPAN))
        active: dict[str, int] = {}
        head, tail = self._key("counsellor", ""), ":active"
        async for key in self._redis.scan_iter(match=glob_escape(head) + "*" + tail, count=500):
            name = decoded(key)
            active[name[len(head) : -len(tail)]] = int(await self._redis.scard(name))
        return QueueStats(int(await self._redis.zcard(waiting)), longest_ms / 1000, active)

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


def decoded(value: bytes | str) -> str:
    """Redis answers bytes unless the client decodes; the queue works with either."""
    return value.decode() if isinstance(value, bytes) else str(value)


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


def glob_escape(text: str) -> str:
    """The text as a literal in a SCAN MATCH pattern."""
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)
