"""Which days a report covers, and the report of the stored counters for them."""

from __future__ import annotations

from datetime import date, timedelta

from bot.reports.figures import Report, build_report, check_period
from bot.store.counts import DailyCounts

DEFAULT_DAYS = 30  # the page opens on the last thirty days, today included


def default_period(today: date) -> tuple[date, date]:
    """The last DEFAULT_DAYS days, today included."""
    return today - timedelta(days=DEFAULT_DAYS - 1), today


def parse_period(first: str | None, last: str | None, today: date) -> tuple[date, date]:
    """The period of two YYYY-MM-DD dates (either missing: the default's); ValueError if not a period."""
    default_first, default_last = default_period(today)
    start = date.fromisoformat(first) if first else default_first
    end = date.fromisoformat(last) if last else default_last
    check_period(start, end)
    return start, end


def report_for(counts: DailyCounts, first: date, last: date) -> Report:
    """The report of the stored counters from `first` to `last` (UTC days, both included)."""
    check_period(first, last)
    return build_report(counts.rows(first, last), first, last)
