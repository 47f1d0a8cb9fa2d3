"""The survivor's side of a handoff: joining the queue after consenting, writing to the counsellor, leaving.

A person joins only with the one-time token of an offer the action server made them (bot.handoff.offers),
and only while a counsellor can still answer; the priority and topic are the server's, never the button's.

The conversation core asks the desk first on every message: while a person has an open ticket, what they
write goes to their counsellor (through the relay), not to Rasa, whose tracker is paused meanwhile.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

import structlog

from bot.handoff.availability import CounsellorAvailability
from bot.handoff.offers import OfferBook
from bot.handoff.queue import HandoffQueue, SourceFull, Ticket
from bot.handoff.relay import Relay
from bot.handoff.routes import RouteStore
from bot.handoff.schedule import HANDLE_WINDOW, wait_estimate
from bot.i18n import Translator, _
from bot.messages import Button, IncomingMessage, Reply
from bot.store.handoffs import HandoffStore

log = structlog.get_logger(__name__)

QUEUED = _("You are in the queue for a counsellor. Your place: {position}.")
ESTIMATE = _("It may take about {minutes} minutes.")
WRITE_NOW = _("You can already write here: the counsellor will read it when they join.")
CANCEL = _("Stop waiting")
LEFT = _("You have left the queue. You are talking with the helpline bot again.")
SOURCE_FULL = _(
    "Sorry, several requests for a counsellor are already open from your network, so I cannot add this one "
    "now. Please try again later. If you are in danger, call your local emergency number."
)
# Open tickets one source (a web chat address) may hold unless the settings say otherwise.
TICKETS_PER_SOURCE = 3
CANCEL_PAYLOAD = "/handoff_cancel"
HANDLE_REFRESH_S = 300.0  # how often the measured handling times are read again for wait estimates
# For the counsellor's eyes only (the console is in English): the survivor never reads it.
SAFE_WORD_NOTE = (
    "The person typed the safe word: someone may be watching their screen. The bot answered with harmless "
    "text and deleted the recent messages from their chat. Do not write until they write again."
)
MOVED_NOTE = (
    "The person continued this chat on {channel} with their resume code. Earlier messages were not shown "
    "to them there; your next message reaches them on {channel}."
)


class EnginePause(Protocol):
    """The dialogue engine's tracker, paused while a person talks with a counsellor."""

    async def pause(self, pseudonym: str) -> None:
        """No bot replies until resumed."""
        ...

    async def resume(self, pseudonym: str) -> None:
        """The bot answers again."""
        ...


class HandoffDesk:
    """Queue a consenting person, relay what they write while their ticket is open, let them leave."""

    def __init__(
        self,
        queue: HandoffQueue,
        relay: Relay,
        routes: RouteStore,
        store: HandoffStore,
        engine: EnginePause,
        offers: OfferBook,
        availability: CounsellorAvailability,
        catalog_dir: Path,
        recent_handle_s: tuple[float, ...] | None = None,
        tickets_per_source: int = TICKETS_PER_SOURCE,
        handle_refresh_s: float = HANDLE_REFRESH_S,
    ) -> None:
        self._queue = queue
        self._offers = offers
        self._availability = availability
        self._relay = relay
        self._routes = routes
        self._store = store
        self._engine = engine
        self._catalog_dir = catalog_dir
        # Given (tests): fixed. Else read from the store's recent chats, again every `handle_refresh_s`.
        self._fixed_handle_s = list(recent_handle_s) if recent_handle_s is not None else None
        self._handle_s: list[float] = []
        self._handle_read_at = -math.inf
        self._handle_refresh_s = handle_refresh_s
        self._tickets_per_source = tickets_per_source

    async def open_ticket(self, message: IncomingMessage) -> Ticket | None:
        """The person's waiting or claimed ticket, if any."""
        return await self._queue.open_ticket(message.channel.value, message.pseudonym)

    async def open_ticket_of(self, channel: str, pseudonym: str) -> Ticket | None:
        """The open ticket of a person on a channel (whose resume code was typed elsewhere)."""
        return await self._queue.open_ticket(channel, pseudonym)

    async def join(
        self, message: IncomingMessage, token: str, locale: str, country: str | None
    ) -> list[Reply] | None:
        """Queue the person (they consented), keep the route to reply, pause the bot, say where they stand.

        None, and no ticket, when the token is not an offer made to this person (forged, replayed,
        expired, someone else's) or nobody can answer now: the bot then answers the request for a person.
        No ticket either, and a kind answer, when the message's source already holds its share of tickets.
        """
        offer = await self._offers.redeem(token, message.pseudonym)
        if offer is None:
            log.warning("handoff_offer_unknown", pseudonym=message.pseudonym[:12])
            return None
        if not (await self._availability.now()).can_offer:
            log.info("handoff_offer_lapsed", pseudonym=message.pseudonym[:12])
            return None
        channel = message.channel.value
        try:
            ticket = await self._queue.enqueue(
                message.pseudonym,
                channel,
                locale,
                country,
                offer.priority,
                offer.topic,
                source=message.source,
                per_source=self._tickets_per_source,
            )
        except SourceFull:
            log.warning("handoff_source_full", pseudonym=message.pseudonym[:12])
            return [Reply(text=Translator(self._catalog_dir, locale).gettext(SOURCE_FULL))]
        if message.reply_route:  # kept, encrypted, while the handoff is open
            await self._routes.remember(channel, message.pseudonym, message.reply_route, ttl_s=None)
        await asyncio.to_thread(
            self._store.record_queued,
            ticket.id,
            ticket.pseudonym,
            channel,
            locale,
            country,
            ticket.priority,
            ticket.topic,
            ticket.nickname,
        )
        await self._tell_engine(self._engine.pause, message.pseudonym)
        log.info(
            "handoff_queued", pseudonym=message.pseudonym[:12], ticket=ticket.id[:8], priority=ticket.priority
        )
        return [await self._queued_reply(ticket, locale)]

    async def forward(self, ticket: Ticket, message: IncomingMessage, key: str) -> None:
        """Pass what the person wrote to their counsellor, and keep it (encrypted) in the transcript."""
        await self._relay.from_survivor(ticket.id, message.text, key)
        await asyncio.to_thread(self._store.add_message, ticket.id, "survivor", message.text, key)
        if message.reply_route:  # each message keeps the way back alive while the handoff is open
            await self._routes.remember(ticket.channel, message.pseudonym, message.reply_route, ttl_s=None)
        log.info("handoff_relayed", pseudonym=message.pseudonym[:12], ticket=ticket.id[:8], sender="survivor")

    async def leave(self, message: IncomingMessage, locale: str) -> list[Reply]:
        """The person stops waiting (or ends the chat): the ticket is cancelled and the bot answers again."""
        ticket = await self._queue.cancel(message.channel.value, message.pseudonym)
        if ticket is not None:
            await asyncio.to_thread(self._store.record_cancelled, ticket.id)
            # The chat goes from Redis with its ended ticket; the database keeps the transcript.
            await self._relay.expire(ticket.id, self._queue.ended_ttl_s)
            await self._routes.forget(ticket.channel, message.pseudonym)
        await self._tell_engine(self._engine.resume, message.pseudonym)
        log.info("handoff_cancelled", pseudonym=message.pseudonym[:12])
        return [Reply(text=Translator(self._catalog_dir, locale).gettext(LEFT))]

    async def move(self, ticket: Ticket, message: IncomingMessage) -> Ticket | None:
        """The person typed their resume code here: their open ticket continues on this channel, with the
        same counsellor (or the same place in the queue); None when it could not move (no longer open, or
        the person already has an open ticket here)."""
        old = (ticket.channel, ticket.pseudonym)
        new = (message.channel.value, message.pseudonym)
        moved = await self._queue.move(ticket.id, old, new)
        if moved is None:
            log.info("handoff_not_moved", pseudonym=message.pseudonym[:12], ticket=ticket.id[:8])
            return None
        await asyncio.to_thread(self._store.record_moved, ticket.id, message.pseudonym, new[0])
        if message.reply_route:  # the way back is this channel's now, kept while the handoff is open
            await self._routes.remember(new[0], message.pseudonym, message.reply_route, ttl_s=None)
        await self._routes.release(*old)  # the old channel's route expires as after any handoff
        await self._tell_engine(self._engine.resume, old[1])
        await self._tell_engine(self._engine.pause, message.pseudonym)
        key = message.message_key or f"m-{uuid.uuid4().hex}"
        await self._relay.note(ticket.id, MOVED_NOTE.format(channel=new[0]), f"moved-{key}")
        log.info("handoff_moved", pseudonym=message.pseudonym[:12], ticket=ticket.id[:8], channel=new[0])
        return moved

    async def note_safe_word(self, ticket: Ticket, key: str) -> None:
        """Tell the counsellor (only them) that the person typed the safe word."""
        await self._relay.note(ticket.id, SAFE_WORD_NOTE, key)
        log.info("handoff_safe_word", ticket=ticket.id[:8])

    async def _tell_engine(self, action: Callable[[str], Awaitable[None]], pseudonym: str) -> None:
        """Pause or resume the bot; if Rasa is down the relay still works (messages bypass it anyway)."""
        try:
            await action(pseudonym)
        except Exception as error:
            log.warning("engine_not_told", pseudonym=pseudonym[:12], error=type(error).__name__)

    async def _recent_handle_s(self) -> list[float]:
        """Handling times of the chats ended in the last two weeks (read at most every few minutes)."""
        if self._fixed_handle_s is not None:
            return self._fixed_handle_s
        if time.monotonic() - self._handle_read_at >= self._handle_refresh_s:
            since = now_utc() - HANDLE_WINDOW
            try:
                self._handle_s = await asyncio.to_thread(self._store.handle_times_since, since)
            except Exception as error:  # the estimate then stays as it was (or the assumed time)
                log.warning("handle_times_not_read", error=type(error).__name__)
            self._handle_read_at = time.monotonic()
        return self._handle_s

    async def _queued_reply(self, ticket: Ticket, locale: str) -> Reply:
        translate = Translator(self._catalog_dir, locale).gettext
        position = await self._queue.position(ticket.id) or 1
        stats = await self._queue.stats()
        minutes = wait_estimate(position, max(1, len(stats.active)), await self._recent_handle_s())
        lines = [
            translate(QUEUED).format(position=position),
            translate(ESTIMATE).format(minutes=minutes),
            translate(WRITE_NOW),
        ]
        return Reply(text="\n\n".join(lines), buttons=(Button(translate(CANCEL), CANCEL_PAYLOAD),))


def now_utc() -> datetime:
    """The current time, aware (for schedules)."""
    return datetime.now(timezone.utc)
