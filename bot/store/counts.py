"""Daily counters for the supervisors' reports: what happened, on which day and where; never who.

A counter is incremented at the moment a thing happens (a contact, a topic asked, a handoff answered), in
the same transaction as the row it comes from when there is one. A counter holds a day, a channel, a
locale, a country, a metric and a category: no pseudonym, no ticket id, no text, no time of day. An erase
deletes the person's rows but not the counters they added to (aggregates), and adds one to `erasure`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Literal, Protocol, get_args

import structlog
from sqlalchemy import Connection, Engine, select

from bot.store.counsellors import utc
from bot.store.database import insert_for
from bot.store.models import DailyCount

log = structlog.get_logger(__name__)

Metric = Literal[
    "contacts",  # people who wrote that day (channel, locale, country: as at their last message that day)
    "topic",  # a topic answered (key: its intent)
    "danger_reply",  # the emergency number given first (key: net | model)
    "handoff",  # key: requested | offered | queued | answered | abandoned
    "wait_minutes",  # a handoff answered after so many whole minutes in the queue (key: the minutes)
    "handle_minutes",  # a chat with a counsellor ended after so many whole minutes (key: the minutes)
    "outcome",  # a handoff ended (key: its outcome)
    "erasure",  # a person had everything erased
]
METRICS: tuple[Metric, ...] = get_args(Metric)
MAX_MINUTES = 24 * 60  # longer waits and chats are counted as a day: the shape of the tail is enough
_CELL = ("day", "channel", "locale", "country", "metric", "key")


@dataclass(frozen=True)
class Cell:
    """Where a count goes: a metric, its category, and the channel, locale and country ("" when none)."""

    metric: Metric
    key: str = ""
    channel: str = ""
    locale: str = ""
    country: str = ""

    def values(self) -> dict[str, str]:
        """The cell's columns, cut to their sizes (a country only as two capital letters)."""
        country = self.country.upper() if len(self.country) == 2 and self.country.isalpha() else ""
        return {
            "metric": self.metric,
            "key": self.key[:64],
            "channel": self.channel[:16],
            "locale": self.locale[:16],
            "country": country,
        }


@dataclass(frozen=True)
class CountRow:
    """One stored counter."""

    day: date
    channel: str
    locale: str
    country: str
    metric: str
    key: str
    count: int


def minutes_between(start: datetime, end: datetime) -> str:
    """The whole minutes from `start` to `end` as a counter's key (0 to MAX_MINUTES)."""
    seconds = (utc(end) - utc(start)).total_seconds()
    return str(min(MAX_MINUTES, max(0, int(seconds // 60))))


def count_in(connection: Connection, cell: Cell, at: datetime, by: int = 1) -> None:
    """Add `by` to a cell on the UTC day of `at`, inside the caller's transaction."""
    if cell.metric not in METRICS:
        raise ValueError(f"unknown metric: {cell.metric}")
    insert = insert_for(connection.engine)
    statement = insert(DailyCount).values(day=utc(at).date(), count=by, **cell.values())
    statement = statement.on_conflict_do_update(
        index_elements=list(_CELL), set_={"count": DailyCount.count + by}
    )
    connection.execute(statement)


def count_contact(
    connection: Connection,
    before: Any,
    now: datetime,
    channel: str,
    locale: str,
    country: str | None,
) -> None:
    """Count a person's message as a contact of the day, inside the transaction that stores it.

    `before` is their conversation row as it was (locale, country, last_message_at), or None. The first
    message of a UTC day is a contact; a later one that changes the locale or country moves that contact
    to the new cell, so each day's contacts add up to the people who wrote, counted once, as they ended it.
    """
    new = Cell("contacts", channel=channel, locale=locale, country=country or "")
    if before is None or utc(before.last_message_at).date() != utc(now).date():
        count_in(connection, new, now)
    elif (before.locale, before.country or "") != (locale, country or ""):
        old = Cell("contacts", channel=channel, locale=before.locale, country=before.country or "")
        count_in(connection, old, now, -1)
        count_in(connection, new, now)


class DailyCounts:
    """Adds to the counters and reads them back for a range of days; every call is one transaction."""

    def __init__(
        self, engine: Engine, clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    ) -> None:
        self._engine = engine
        self._clock = clock

    def add(self, cell: Cell, at: datetime | None = None, by: int = 1) -> None:
        """Add to one cell, on the day of `at` (default: now)."""
        with self._engine.begin() as connection:
            count_in(connection, cell, at or self._clock(), by)

    def rows(self, first: date, last: date) -> list[CountRow]:
        """Every non-zero counter from `first` to `last` (both included)."""
        query = (
            select(
                DailyCount.day,
                DailyCount.channel,
                DailyCount.locale,
                DailyCount.country,
                DailyCount.metric,
                DailyCount.key,
                DailyCount.count,
            )
            .where(DailyCount.day >= first, DailyCount.day <= last, DailyCount.count != 0)
            .order_by(DailyCount.day, DailyCount.metric, DailyCount.key)
        )
        with self._engine.connect() as connection:
            return [CountRow(*row.tuple()) for row in connection.execute(query)]


class CountSink(Protocol):
    """Where counts go (bot.store.counts.DailyCounts)."""

    def add(self, cell: Cell) -> None:
        """Add one to a cell, today."""
        ...


class TurnCounts:
    """Adds to the report counters without ever delaying or failing an answer."""

    def __init__(self, sink: CountSink | None) -> None:
        self._sink = sink

    async def add(self, *cells: Cell) -> None:
        """Count these cells (in a thread: the database is blocking); a failure is only logged."""
        if self._sink is None:
            return
        for cell in cells:
            try:
                await asyncio.to_thread(self._sink.add, cell)
            except Exception as error:  # the answer matters more than the counter
                log.warning("report_count_not_written", metric=cell.metric, error=type(error).__name__)
