"""Tickets as the console shows them: what a counsellor may see of a request, and never who it is.

A view holds the ticket id (for links), the per-handoff nickname and the request's details; never the
pseudonym, a channel id or anything else that names the survivor.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from babel import UnknownLocaleError

from bot.countries import country_name
from bot.handoff.queue import CounsellorSeat, HandoffQueue, Ticket
from bot.handoff.routes import RouteStore
from bot.i18n import babel_locale
from bot.store.counsellors import CounsellorAccount

STAFF_LOCALE = "en"  # console words are for staff, in English for now


def language_label(locale: str) -> str:
    """The language's name for staff ("Spanish", "Ukrainian"), or the code if Babel does not know it."""
    try:
        name = babel_locale(locale).get_display_name(STAFF_LOCALE)
    except (UnknownLocaleError, ValueError):
        return locale
    return (name or locale)[:1].upper() + (name or locale)[1:]


def topic_label(topic: str | None) -> str:
    """What the person asked about before ("ask shelter"), or a dash."""
    return topic.replace("_", " ") if topic else "—"


def waited(since_ms: int, now_ms: int) -> str:
    """A wait as staff read it: "45 s", "12 min", "2 h 5 min"."""
    seconds = max(0, (now_ms - since_ms) // 1000)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def ticket_view(ticket: Ticket, now_ms: int) -> dict[str, Any]:
    """What the console shows (and sends as JSON) of a ticket: no pseudonym, ever."""
    return {
        "id": ticket.id,
        "nickname": ticket.nickname,
        "language": language_label(ticket.locale),
        "locale": ticket.locale,
        "country": country_name(ticket.country, STAFF_LOCALE) if ticket.country else "—",
        "priority": ticket.priority,
        "urgent": ticket.priority == "urgent",
        "topic": topic_label(ticket.topic),
        "created_ms": ticket.created_ms,
        "waited": waited(ticket.created_ms, now_ms),
        "mismatch": ticket.mismatch,
        "status": ticket.status,
    }


async def reply_window(
    routes: RouteStore, windows_h: Mapping[str, int], ticket: Ticket
) -> dict[str, Any] | None:
    """For a channel that allows free replies only for a while after the person's last message (WhatsApp:
    24 hours, `windows_h`), whether that window is open and how long it has left; None for other channels."""
    hours = windows_h.get(ticket.channel)
    if hours is None:
        return None
    left_s = await routes.window_left_s(ticket.channel, ticket.pseudonym)
    return {
        "channel": CHANNEL_LABELS.get(ticket.channel, ticket.channel),
        "hours": hours,
        "open": left_s > 0,
        "left": waited(0, left_s * 1000),
    }


CHANNEL_LABELS = {"telegram": "Telegram", "webchat": "Web chat", "whatsapp": "WhatsApp", "sms": "SMS"}


def seat_of(account: CounsellorAccount) -> CounsellorSeat:
    """The counsellor as the queue sees them: id, languages, how many chats at once."""
    return CounsellorSeat(str(account.id), account.languages, account.capacity)


def now_ms() -> int:
    """The current time in milliseconds since the epoch (the queue's unit)."""
    return int(time.time() * 1000)


async def queue_snapshot(queue: HandoffQueue, account: CounsellorAccount) -> dict[str, Any]:
    """The counsellor's queue page as data: tickets offered to them (urgent first) and their open chats."""
    seat = seat_of(account)
    offered = await queue.offered_to(seat)
    mine = await queue.active_of(seat.id)
    moment = now_ms()
    return {
        "type": "queue",
        "now_ms": moment,
        "offered": [ticket_view(ticket, moment) for ticket in offered],
        "mine": [ticket_view(ticket, moment) for ticket in mine],
        "holding": len(mine),
        "capacity": account.capacity,
    }
