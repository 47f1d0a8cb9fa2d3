"""Delivery of outbound messages to survivors: one loop per channel process, acknowledged, never twice.

A fixed consumer name per process means a restarted process first re-reads what it had taken but not
acknowledged; an idempotency key per message, set after delivery, makes sure a redelivered entry never
reaches the person twice.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, cast

import structlog
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot.cipher import Cipher
from bot.handoff.relay import DEFAULT_PREFIX, Deliver, OutboundMessage, Sender
from bot.redis_client import decoded as _text
from bot.redis_client import stream_fields as _fields

log = structlog.get_logger(__name__)

DELIVERED_TTL_S = 7 * 24 * 3600


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
