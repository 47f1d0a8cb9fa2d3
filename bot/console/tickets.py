"""Tickets as the console shows them: what a counsellor may see of a request, and never who it is.

A view holds the ticket id (for links), the per-handoff nickname and the request's details; never the
pseudonym, a channel id or anything else that names the survivor.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from bot.console.words import StaffWords
from bot.handoff.queue import CounsellorSeat, HandoffQueue, Ticket
from bot.handoff.routes import RouteStore
from bot.i18n import _
from bot.store.counsellors import CounsellorAccount


def ticket_view(ticket: Ticket, now_ms: int, words: StaffWords) -> dict[str, Any]:
    """What the console shows (and sends as JSON) of a ticket, in the staff member's words: no pseudonym,
    ever, and of where the person is only the country (and its time of day)."""
    return {
        "id": ticket.id,
        "nickname": words.nickname(ticket.nickname),
        "language": words.language(ticket.locale),
        "locale": ticket.locale,
        "country": words.country(ticket.country),
        "local_time": words.local_time(ticket.country),
        "priority": ticket.priority,
        "urgent": ticket.priority == "urgent",
        "topic": words.topic(ticket.topic),
        "created_ms": ticket.created_ms,
        "waited": words.waited(ticket.created_ms, now_ms),
        "mismatch": ticket.mismatch,
        "status": ticket.status,
    }


async def reply_window(
    routes: RouteStore, windows_h: Mapping[str, int], ticket: Ticket, words: StaffWords
) -> dict[str, Any] | None:
    """For a channel that allows free replies only for a while after the person's last message (WhatsApp:
    24 hours, `windows_h`), whether that window is open and how long it has left; None for other channels."""
    hours = windows_h.get(ticket.channel)
    if hours is None:
        return None
    left_s = await routes.window_left_s(ticket.channel, ticket.pseudonym)
    return {
        "channel": words.gettext(CHANNEL_LABELS.get(ticket.channel, ticket.channel)),
        "hours": hours,
        "open": left_s > 0,
        "left": words.waited(0, left_s * 1000),
    }


CHANNEL_LABELS = {"telegram": "Telegram", "webchat": _("Web chat"), "whatsapp": "WhatsApp", "sms": "SMS"}


def seat_of(account: CounsellorAccount) -> CounsellorSeat:
    """The counsellor as the queue sees them: id, languages, how many chats at once."""
    return CounsellorSeat(str(account.id), account.languages, account.capacity)


def now_ms() -> int:
    """The current time in milliseconds since the epoch (the queue's unit)."""
    return int(time.time() * 1000)


async def queue_snapshot(
    queue: HandoffQueue, account: CounsellorAccount, words: StaffWords
) -> dict[str, Any]:
    """The counsellor's queue page as data: tickets offered to them (urgent first) and their open chats."""
    seat = seat_of(account)
    offered = await queue.offered_to(seat)
    mine = await queue.active_of(seat.id)
    moment = now_ms()
    return {
        "type": "queue",
        "now_ms": moment,
        "offered": [ticket_view(ticket, moment, words) for ticket in offered],
        "mine": [ticket_view(ticket, moment, words) for ticket in mine],
        "holding": len(mine),
        "capacity": account.capacity,
    }
