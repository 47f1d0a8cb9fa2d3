"""The relay: messages between survivor and counsellor, through Redis Streams, never lost, never twice.

Each handoff has a chat stream (`ticket:{id}`) that the console reads; messages for survivors also go to an
outbound stream per channel (`outbound:telegram`, `outbound:webchat`), read by that channel's process in a
consumer group. An entry is acknowledged only after the person's app accepted it, so a gateway that crashes
or restarts picks up where it stopped; an idempotency key per message, set after delivery, makes sure a
redelivered entry never reaches the person twice. Texts are stored only encrypted (Fernet), in Redis too.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, cast

import structlog
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot.handoff.queue import decoded as _text
from bot.handoff.queue import glob_escape as _glob_escape

log = structlog.get_logger(__name__)

Sender = Literal["survivor", "counsellor", "system"]
DEFAULT_PREFIX = "helpline:relay:"
DELIVERED_TTL_S = 7 * 24 * 3600
CHAT_MAXLEN = 5000  # a chat longer than this is truncated in Redis; the database keeps the transcript
ROUTE_TTL_S = 24 * 3600


class Cipher(Protocol):
    """Encrypts texts at rest (bot.privacy.crypto.TranscriptCipher)."""

    def encrypt(self, text: str) -> bytes:
        """A token only the helpline's key opens."""
        ...

    def decrypt(self, token: bytes) -> str:
        """The text of a token."""
        ...


@dataclass(frozen=True)
class RelayedMessage:
    """One message of a handoff chat, as the console shows it."""

    entry_id: str
    ticket_id: str
    sender: Sender
    text: str
    at_ms: int
    key: str


@dataclass(frozen=True)
class OutboundMessage:
    """A message waiting to reach a survivor on one channel."""

    entry_id: str
    ticket_id: str
    pseudonym: str
    sender: Sender
    text: str
    key: str
    buttons: tuple[tuple[str, str], ...] = ()  # (title, payload), e.g. "Stop waiting"


Deliver = Callable[[OutboundMessage], Awaitable[bool]]


class Relay:
    """Writes and reads handoff chats; the console and the conversation core share it."""

    def __init__(self, redis: Redis, cipher: Cipher, prefix: str = DEFAULT_PREFIX) -> None:
        self._redis = redis
        self._cipher = cipher
        self._prefix = prefix

    def chat_key(self, ticket_id: str) -> str:
        """The stream of one handoff's chat."""
        return f"{self._prefix}ticket:{ticket_id}"

    def outbound_key(self, channel: str) -> str:
        """The stream of messages waiting for survivors on a channel."""
        return f"{self._prefix}outbound:{channel}"

    async def from_survivor(self, ticket_id: str, text: str, key: str) -> RelayedMessage:
        """Add what the survivor wrote to the chat the counsellor reads."""
        return await self._append(ticket_id, "survivor", text, key)

    async def to_survivor(
        self,
        ticket_id: str,
        channel: str,
        pseudonym: str,
        text: str,
        key: str,
        sender: Sender = "counsellor",
        buttons: tuple[tuple[str, str], ...] = (),
    ) -> RelayedMessage:
        """Send a counsellor's (or the helpline's) message to the survivor, and keep it in the chat."""
        message = await self._append(ticket_id, sender, text, key)
        fields = {
            "ticket": ticket_id,
            "pseudonym": pseudonym,
            "sender": sender,
            "text": self._cipher.encrypt(text),
            "key": key,
            "buttons": json.dumps(buttons),
        }
        await self._redis.xadd(self.outbound_key(channel), fields)  # type: ignore[arg-type]
        return message

    async def note(self, ticket_id: str, text: str, key: str) -> RelayedMessage:
        """A line from the helpline to the counsellor only (shown in the chat, never sent to the survivor)."""
        return await self._append(ticket_id, "system", text, key)

    async def drop_outbound(self, channel: str, pseudonym: str) -> int:
        """Delete every message still waiting to reach this person (they erased their data)."""
        stream, dropped = self.outbound_key(channel), 0
        entries: Any = await self._redis.xrange(stream)
        for entry_id, raw in entries:
            if _fields(raw).get("pseudonym") == pseudonym.encode():
                dropped += int(await self._redis.xdel(stream, entry_id))
        return dropped

    async def chat(self, ticket_id: str, after: str = "-") -> list[RelayedMessage]:
        """Every message of a handoff's chat after an entry id (all of it by default), in order."""
        start = "-" if after == "-" else f"({after}"
        entries: Any = await self._redis.xrange(self.chat_key(ticket_id), min=start)
        return [self._message(ticket_id, entry_id, fields) for entry_id, fields in entries]

    async def follow(self, ticket_id: str, after: str, block_ms: int = 15000) -> list[RelayedMessage]:
        """Wait for new messages after an entry id (the console's live chat)."""
        found: Any = await self._redis.xread({self.chat_key(ticket_id): after}, block=block_ms)
        return [
            self._message(ticket_id, entry_id, fields)
            for _stream, entries in found
            for entry_id, fields in entries
        ]

    async def forget(self, ticket_id: str) -> None:
        """Drop a handoff's chat from Redis (at resolve or erasure; the database keeps the transcript)."""
        await self._redis.delete(self.chat_key(ticket_id))

    async def remember_route(
        self, channel: str, pseudonym: str, route: str, ttl_s: int | None = ROUTE_TTL_S
    ) -> None:
        """Keep, encrypted, what a channel needs to reach a person (a Telegram chat id).

        `ttl_s=None` keeps it while a handoff is open (no expiry); otherwise it expires after `ttl_s` of
        inactivity, except that a route an open handoff holds keeps no expiry.
        """
        key, token = self._route_key(channel, pseudonym), self._cipher.encrypt(route)
        if ttl_s is None:
            await self._redis.set(key, token)
        elif await self._redis.ttl(key) == -1:  # held by an open handoff: keep it so
            await self._redis.set(key, token, keepttl=True)
        else:
            await self._redis.set(key, token, ex=ttl_s)

    async def release_route(self, channel: str, pseudonym: str, ttl_s: int = ROUTE_TTL_S) -> None:
        """A handoff ended: the route expires after `ttl_s` of inactivity from now on."""
        await self._redis.expire(self._route_key(channel, pseudonym), ttl_s)

    async def route(self, channel: str, pseudonym: str) -> str | None:
        """What a channel needs to reach the person, if still kept."""
        token: Any = await self._redis.get(self._route_key(channel, pseudonym))
        return self._cipher.decrypt(_bytes(token)) if token else None

    async def forget_route(self, channel: str, pseudonym: str) -> None:
        """Forget how to reach a person (the handoff ended, or they erased their data)."""
        await self._redis.delete(self._route_key(channel, pseudonym))

    async def forget_route_unless_held(self, channel: str, pseudonym: str) -> None:
        """Forget the route now, unless an open handoff holds it (a route without expiry)."""
        key = self._route_key(channel, pseudonym)
        if await self._redis.ttl(key) != -1:
            await self._redis.delete(key)

    async def held_routes(self) -> list[tuple[str, str]]:
        """(channel, pseudonym) of every route kept without expiry, i.e. held by a handoff."""
        head = f"{self._prefix}route:"
        held = []
        async for raw in self._redis.scan_iter(match=_glob_escape(head) + "*", count=500):
            key = _text(raw)
            if await self._redis.ttl(key) == -1:
                channel, _, pseudonym = key[len(head) :].partition(":")
                held.append((channel, pseudonym))
        return held

    def _route_key(self, channel: str, pseudonym: str) -> str:
        return f"{self._prefix}route:{channel}:{pseudonym}"

    async def _append(self, ticket_id: str, sender: Sender, text: str, key: str) -> RelayedMessage:
        at_ms = int(time.time() * 1000)
        fields = {"sender": sender, "text": self._cipher.encrypt(text), "at": at_ms, "key": key}
        entry_id: Any = await self._redis.xadd(
            self.chat_key(ticket_id),
            fields,  # type: ignore[arg-type]
            maxlen=CHAT_MAXLEN,
            approximate=True,
        )
        return RelayedMessage(_text(entry_id), ticket_id, sender, text, at_ms, key)

    def _message(self, ticket_id: str, entry_id: bytes | str, raw: Any) -> RelayedMessage:
        fields = _fields(raw)
        return RelayedMessage(
            entry_id=_text(entry_id),
            ticket_id=ticket_id,
            sender=cast(Sender, fields["sender"].decode()),
            text=self._cipher.decrypt(fields["text"]),
            at_ms=int(fields["at"]),
            key=fields["key"].decode(),
        )


class OutboundDelivery:
    """One channel process's loop: deliver outbound messages, acknowledge them, never twice.

    A fixed consumer name per process (`telegram-1`) means a restarted process first re-reads what it had
    taken but not acknowledged; entries another consumer left pending for longer than `claim_idle_ms` are
    claimed too. A message whose person cannot be reached now (web chat closed) stays pending and is tried
    again every `retry_s`.
    """

    def __init__(
        self,
        redis: Redis,
        cipher: Cipher,
        channel: str,
        consumer: str,
        deliver: Deliver,
        prefix: str = DEFAULT_PREFIX,
        retry_s: float = 2.0,
        claim_idle_ms: int = 30_000,
    ) -> None:
        self._redis = redis
        self._cipher = cipher
        self._stream = f"{prefix}outbound:{channel}"
        self._delivered_prefix = f"{prefix}delivered:"
        self._group = f"{channel}-delivery"
        self._consumer = consumer
        self._deliver = deliver
        self._retry_s = retry_s
        self._claim_idle_ms = claim_idle_ms

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set; errors are logged and retried, never fatal."""
        await self._ensure_group()
        last_retry = 0.0
        while not stop.is_set():
            try:
                if time.monotonic() - last_retry >= self._retry_s:
                    await self._retry_pending()
                    last_retry = time.monotonic()
                entries: Any = await self._redis.xreadgroup(
                    self._group, self._consumer, {self._stream: ">"}, count=50, block=500
                )
                for _stream, items in entries:
                    for entry_id, fields in items:
                        await self._handle(entry_id, fields)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Redis restarting, a bad entry: log, wait, go on
                log.error("outbound_delivery_failed", error=type(error).__name__)
                await asyncio.sleep(0.5)

    async def deliver_pending_now(self) -> None:
        """Try again at once what is pending (a survivor's web chat just reconnected)."""
        await self._retry_pending()

    async def _ensure_group(self) -> None:
        try:
            await self._redis.xgroup_create(self._stream, self._group, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    async def _retry_pending(self) -> None:
        own: Any = await self._redis.xreadgroup(self._group, self._consumer, {self._stream: "0"}, count=200)
        for _stream, items in own:
            for entry_id, fields in items:
                if fields:
                    await self._handle(entry_id, fields)
        claimed: Any = await self._redis.xautoclaim(
            self._stream, self._group, self._consumer, min_idle_time=self._claim_idle_ms, count=100
        )
        for entry_id, fields in claimed[1]:
            if fields:
                await self._handle(entry_id, fields)

    async def _handle(self, entry_id: bytes | str, raw: Any) -> None:
        fields = _fields(raw)
        key = fields["key"].decode()
        delivered = f"{self._delivered_prefix}{key}"
        if await self._redis.exists(delivered):
            await self._redis.xack(self._stream, self._group, entry_id)
            return
        message = OutboundMessage(
            entry_id=_text(entry_id),
            ticket_id=fields["ticket"].decode(),
            pseudonym=fields["pseudonym"].decode(),
            sender=cast(Sender, fields["sender"].decode()),
            text=self._cipher.decrypt(fields["text"]),
            key=key,
            buttons=tuple(
                (str(title), str(payload)) for title, payload in json.loads(fields.get("buttons", b"[]"))
            ),
        )
        if not await self._deliver(message):
            return  # stays pending: tried again later
        # Marked before the acknowledgement: a crash between the two re-reads the entry and skips it.
        await self._redis.set(delivered, 1, ex=DELIVERED_TTL_S)
        await self._redis.xack(self._stream, self._group, entry_id)
        await self._redis.xdel(self._stream, entry_id)  # nothing of it stays once delivered


def _bytes(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value


def _fields(raw: Any) -> dict[str, bytes]:
    """A stream entry's fields with text keys and byte values, whether or not the client decodes."""
    return {_text(name): _bytes(value) for name, value in dict(raw).items()}
