"""The relay: messages between survivor and counsellor, through Redis Streams, never lost, never twice.

Each handoff has a chat stream (`ticket:{id}`) that the console reads; messages for survivors also go to an
outbound stream per channel (`outbound:telegram`, `outbound:webchat`), read by that channel's process in a
consumer group. An entry is acknowledged only after the person's app accepted it, so a gateway that crashes
or restarts picks up where it stopped; an idempotency key per message, set after delivery, makes sure a
redelivered entry never reaches the person twice. Texts are stored only encrypted (Fernet), in Redis too.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, cast

from redis.asyncio import Redis

from bot.cipher import Cipher
from bot.redis_client import decoded as _text
from bot.redis_client import glob_escape
from bot.redis_client import stream_fields as _fields

Sender = Literal["survivor", "counsellor", "system"]
DEFAULT_PREFIX = "helpline:relay:"
CHAT_MAXLEN = 5000  # a chat longer than this is truncated in Redis; the database keeps the transcript


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
        await self.outbound(channel, pseudonym, text, key, ticket_id, sender, buttons)
        return message

    async def outbound(
        self,
        channel: str,
        pseudonym: str,
        text: str,
        key: str,
        ticket_id: str = "",
        sender: Sender = "system",
        buttons: tuple[tuple[str, str], ...] = (),
    ) -> None:
        """Queue a message for the survivor's channel only (a bot reply on SMS, sent once the webhook has
        answered: no ticket, nothing in a chat)."""
        fields = {
            "ticket": ticket_id,
            "pseudonym": pseudonym,
            "sender": sender,
            "text": self._cipher.encrypt(text),
            "key": key,
            "buttons": json.dumps(buttons),
        }
        await self._redis.xadd(self.outbound_key(channel), fields)  # type: ignore[arg-type]

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
        """Drop a handoff's chat from Redis now (at erasure, or once its ticket is gone; the database keeps
        the transcript)."""
        await self._redis.delete(self.chat_key(ticket_id))

    async def expire(self, ticket_id: str, ttl_s: int) -> None:
        """The chat leaves Redis `ttl_s` from now: its handoff ended (lines added later keep this expiry)."""
        await self._redis.expire(self.chat_key(ticket_id), ttl_s)

    async def chats_without_expiry(self) -> list[str]:
        """The ids of the chats Redis keeps with no expiry: open handoffs, and any whose ending was missed."""
        head = self.chat_key("")
        found: list[str] = []
        async for key in self._redis.scan_iter(match=glob_escape(head) + "*", count=500):
            if await self._redis.ttl(key) == -1:
                found.append(_text(key)[len(head) :])
        return found

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
