"""Delivery of outbound messages to survivors: one loop per channel process, acknowledged, never twice.

A fixed consumer name per process means a restarted process first re-reads what it had taken but not
acknowledged; an idempotency key per message, set after delivery, makes sure a redelivered entry never
reaches the person twice, and a short claim per message keeps two retries at once (one per web chat
hello) from both delivering it. A message older than `max_age_s` (the route's lifetime: the person can no
longer be reached, or has long left) and a message no key opens are dropped, each with a log event, so
neither piles up nor blocks the messages after it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any, cast

import structlog
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot.cipher import Cipher, UnreadableText
from bot.handoff.relay import DEFAULT_PREFIX, Deliver, OutboundMessage, Sender
from bot.handoff.routes import ROUTE_TTL_S
from bot.metrics import Metrics
from bot.redis_client import decoded as _text
from bot.redis_client import stream_fields as _fields

log = structlog.get_logger(__name__)

DELIVERED_TTL_S = 7 * 24 * 3600
CLAIM_TTL_MS = 30_000  # longer than any one delivery; a crashed deliverer's claim lapses by itself
PAGE = 200


class OutboundDelivery:
    """One channel process's loop: deliver outbound messages, acknowledge them, never twice.

    A fixed consumer name per process (`telegram-1`) means a restarted process first re-reads what it had
    taken but not acknowledged; entries another consumer left pending for longer than `claim_idle_ms` are
    claimed too. A message whose person cannot be reached now (web chat closed) stays pending and is tried
    again every `retry_s`, until it is older than `max_age_s`.
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
        max_age_s: float = ROUTE_TTL_S,
        clock: Callable[[], float] = time.time,
        metrics: Metrics | None = None,
    ) -> None:
        self._redis = redis
        self._channel = channel
        self._metrics = metrics or Metrics()
        self._cipher = cipher
        self._stream = f"{prefix}outbound:{channel}"
        self._delivered_prefix = f"{prefix}delivered:"
        self._delivering_prefix = f"{prefix}delivering:"
        self._group = f"{channel}-delivery"
        self._consumer = consumer
        self._deliver = deliver
        self._retry_s = retry_s
        self._claim_idle_ms = claim_idle_ms
        self._max_age_ms = int(max_age_s * 1000)
        self._clock = clock

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
            except Exception as error:  # Redis restarting: log, wait, go on
                log.error("outbound_delivery_failed", error=type(error).__name__)
                self._metrics.delivery_error(self._channel, type(error).__name__)
                await asyncio.sleep(0.5)

    async def pending(self) -> int:
        """How many outbound messages wait to be delivered (entries are deleted once delivered or dropped)."""
        return int(await self._redis.xlen(self._stream))

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
        """Every entry this consumer holds, page after page, then those others left idle too long."""
        after = "0"
        while True:
            own: Any = await self._redis.xreadgroup(
                self._group, self._consumer, {self._stream: after}, count=PAGE
            )
            items = [item for _stream, stream_items in own for item in stream_items]
            for entry_id, fields in items:
                await self._handle(entry_id, fields)
            if len(items) < PAGE:
                break
            after = _text(items[-1][0])
        cursor = "0-0"
        while True:
            claimed: Any = await self._redis.xautoclaim(
                self._stream,
                self._group,
                self._consumer,
                min_idle_time=self._claim_idle_ms,
                start_id=cursor,
                count=PAGE,
            )
            for entry_id, fields in claimed[1]:
                await self._handle(entry_id, fields)
            cursor = _text(claimed[0])
            if cursor == "0-0":
                break

    async def _handle(self, entry_id: bytes | str, raw: Any) -> None:
        if not raw:  # deleted while pending (the person erased their data): nothing left to deliver
            await self._redis.xack(self._stream, self._group, entry_id)
            return
        if self._expired(entry_id):
            await self._finish(entry_id)
            self._metrics.delivery_dropped(self._channel, "expired")
            log.info("outbound_expired", stream=self._stream, entry=_text(entry_id))
            return
        try:
            message = self._read(entry_id, raw)
        except (UnreadableText, KeyError, ValueError) as error:  # a dropped key, a damaged entry
            await self._finish(entry_id)
            self._metrics.delivery_dropped(self._channel, "unreadable")
            log.error(
                "outbound_unreadable", stream=self._stream, entry=_text(entry_id), error=type(error).__name__
            )
            return
        delivered = f"{self._delivered_prefix}{message.key}"
        claim = f"{self._delivering_prefix}{message.key}"
        if not await self._redis.set(claim, 1, nx=True, px=CLAIM_TTL_MS):
            return  # another retry is delivering it right now
        try:
            if await self._redis.exists(delivered):
                await self._finish(entry_id)
                return
            if not await self._deliver(message):
                self._metrics.delivery_retry(self._channel)
                return  # stays pending: tried again later
            # Marked before the acknowledgement: a crash between the two re-reads the entry and skips it.
            await self._redis.set(delivered, 1, ex=DELIVERED_TTL_S)
            await self._finish(entry_id)
            self._metrics.delivered(self._channel)
        finally:
            await self._redis.delete(claim)

    def _expired(self, entry_id: bytes | str) -> bool:
        written_ms = int(_text(entry_id).partition("-")[0])
        return self._clock() * 1000 - written_ms > self._max_age_ms

    def _read(self, entry_id: bytes | str, raw: Any) -> OutboundMessage:
        fields = _fields(raw)
        return OutboundMessage(
            entry_id=_text(entry_id),
            ticket_id=fields["ticket"].decode(),
            pseudonym=fields["pseudonym"].decode(),
            sender=cast(Sender, fields["sender"].decode()),
            text=self._cipher.decrypt(fields["text"]),
            key=fields["key"].decode(),
            buttons=tuple(
                (str(title), str(payload)) for title, payload in json.loads(fields.get("buttons", b"[]"))
            ),
        )

    async def _finish(self, entry_id: bytes | str) -> None:
        """Acknowledge and delete an entry (delivered, or never to be): the log says which, never what."""
        await self._redis.xack(self._stream, self._group, entry_id)
        await self._redis.xdel(self._stream, entry_id)  # nothing of it stays once delivered or dropped
