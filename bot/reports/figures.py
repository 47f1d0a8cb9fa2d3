"""A report's figures for a period, from the daily counters: pure, so that it is tested without a database.

Every figure is already suppressed (bot.reports.suppress) when it leaves this module: the page, the CSV
and the JSON only choose words for it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from bot.reports.suppress import THRESHOLD, Figure, cell, total
from bot.store.counts import CountRow
from bot.store.outcomes import OUTCOMES

HANDOFF_STAGES = ("requested", "offered", "queued", "answered", "abandoned")
DANGER_SOURCES = ("net", "model")
MAX_DAYS = 366  # a report covers at most a year


@dataclass(frozen=True)
class Line:
    """One row of a table: a category's key (a locale, a topic's intent, an outcome) and its figure."""

    key: str
    figure: Figure


@dataclass(frozen=True)
class Table:
    """A table of one kind of category (`kind` chooses the words for the keys), with its total if any."""

    id: str
    kind: str  # language | country | topic | danger | handoff | outcome | channel (erasures)
    lines: tuple[Line, ...]
    total: Figure | None


@dataclass(frozen=True)
class Day:
    """Contacts on one day: by channel (cells), and in all (a total, rounded)."""

    day: date
    by_channel: tuple[Figure, ...]  # in the order of Report.channels
    total: Figure


@dataclass(frozen=True)
class Times:
    """Waiting or handling times: how many chats, and the median and 90th percentile in whole minutes
    (None when fewer than THRESHOLD chats: a median of one chat is that chat)."""

    id: str
    chats: Figure
    median_min: int | None
    p90_min: int | None


@dataclass(frozen=True)
class Report:
    """Everything the reports page shows for a period (both days included)."""

    first: date
    last: date
    channels: tuple[str, ...]
    days: tuple[Day, ...]
    channel_totals: tuple[Figure, ...]
    contacts: Figure
    tables: tuple[Table, ...]
    times: tuple[Times, ...]

    def table(self, table_id: str) -> Table:
        """The table with this id."""
        return next(table for table in self.tables if table.id == table_id)


def check_period(first: date, last: date) -> None:
    """A period runs forwards and covers at most MAX_DAYS days; ValueError otherwise."""
    if last < first:
        raise ValueError("the period ends before it starts")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValueError(f"a report covers at most {MAX_DAYS} days")


def build_report(rows: Iterable[CountRow], first: date, last: date) -> Report:
    """The report of these counters for the days from `first` to `last`."""
    check_period(first, last)
    sums: dict[str, Counter[tuple[str, ...]]] = {}
    for row in rows:
        if first <= row.day <= last:
            sums.setdefault(row.metric, Counter())[_dims(row)] += row.count
    contacts = sums.get("contacts", Counter())
    channels = tuple(sorted({dims[1] for dims in contacts}))
    per_day: Counter[tuple[str, str]] = Counter()
    for dims, count in contacts.items():
        per_day[dims[0], dims[1]] += count
    days = tuple(_day_line(first + timedelta(days=n), channels, per_day) for n in _span(first, last))
    by_channel = [_by(contacts, 1)[channel] for channel in channels]
    tables = (
        _table("languages", "language", _by(contacts, 2)),
        _table("countries", "country", _by(contacts, 3)),
        _table("topics", "topic", _by(sums.get("topic", Counter()), 4)),
        _table("danger", "danger", _by(sums.get("danger_reply", Counter()), 4), DANGER_SOURCES),
        _table("handoffs", "handoff", _by(sums.get("handoff", Counter()), 4), HANDOFF_STAGES, totalled=False),
        _table("outcomes", "outcome", _by(sums.get("outcome", Counter()), 4), OUTCOMES),
        _table("erasures", "channel", _by(sums.get("erasure", Counter()), 1)),
    )
    times = (
        _times("waiting", _by(sums.get("wait_minutes", Counter()), 4)),
        _times("handling", _by(sums.get("handle_minutes", Counter()), 4)),
    )
    return Report(
        first,
        last,
        channels,
        days,
        tuple(total(n) for n in by_channel),
        total(sum(contacts.values())),
        tables,
        times,
    )


def percentile(histogram: Mapping[int, int], share: float) -> int:
    """The nearest-rank percentile of a histogram {value: how many}: the smallest value with at least
    `share` of the observations at or below it."""
    count = sum(histogram.values())
    if count <= 0:
        raise ValueError("an empty histogram has no percentile")
    rank = max(1, math.ceil(share * count))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    raise AssertionError("unreachable: the ranks add up to the count")


def _dims(row: CountRow) -> tuple[str, ...]:
    return (row.day.isoformat(), row.channel, row.locale, row.country, row.key)


def _span(first: date, last: date) -> range:
    return range((last - first).days + 1)


def _by(sums: Counter[tuple[str, ...]], dimension: int) -> Counter[str]:
    """The sums by one dimension (1 channel, 2 locale, 3 country, 4 key)."""
    result: Counter[str] = Counter()
    for dims, count in sums.items():
        result[dims[dimension]] += count
    return result


def _day_line(day: date, channels: tuple[str, ...], per_day: Counter[tuple[str, str]]) -> Day:
    counts = [per_day[day.isoformat(), channel] for channel in channels]
    return Day(day, tuple(cell(n) for n in counts), total(sum(counts)))


def _table(
    table_id: str,
    kind: str,
    counts: Counter[str],
    order: tuple[str, ...] = (),
    totalled: bool = True,
) -> Table:
    """A table's lines: in the fixed `order` if given (every key, zeros too), else the shown counts from
    the largest, then the suppressed ones by key (their order must not tell which is larger)."""
    if order:
        keys = [*order, *sorted(key for key in counts if key not in order and counts[key] > 0)]
        lines = tuple(Line(key, cell(counts.get(key, 0))) for key in keys)
    else:
        present = [(key, cell(n)) for key, n in counts.items() if n > 0]
        shown = sorted((p for p in present if not p[1].suppressed), key=lambda p: (-(p[1].value or 0), p[0]))
        hidden = sorted(p for p in present if p[1].suppressed)
        lines = tuple(Line(key, figure) for key, figure in [*shown, *hidden])
    return Table(table_id, kind, lines, total(sum(counts.values())) if totalled else None)


def _times(times_id: str, minutes: Counter[str]) -> Times:
    histogram: Counter[int] = Counter()
    for key, count in minutes.items():
        if key.isdigit() and count > 0:
            histogram[int(key)] += count
    chats = sum(histogram.values())
    if chats < THRESHOLD:
        return Times(times_id, cell(chats), None, None)
    return Times(times_id, cell(chats), percentile(histogram, 0.5), percentile(histogram, 0.9))
