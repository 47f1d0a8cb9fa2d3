"""A report as CSV (one figure a line) and JSON: the figures the page shows, suppressed the same way."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from bot.reports.figures import Report
from bot.reports.labels import Labels
from bot.reports.suppress import ROUND_TOTALS_TO, SUPPRESSED, THRESHOLD

CSV_HEADER = ("section", "key", "label", "column", "value")
TOTAL = "total"


def report_lines(report: Report, labels: Labels) -> list[tuple[str, str, str, str, int | str]]:
    """Every figure of the report as (section, key, label, column, value); value is a number or "< 5"."""
    lines: list[tuple[str, str, str, str, int | str]] = []
    for day in report.days:
        iso = day.day.isoformat()
        for channel, figure in zip(report.channels, day.by_channel, strict=True):
            lines.append(("contacts_per_day", iso, iso, channel, figure.exported))
        lines.append(("contacts_per_day", iso, iso, TOTAL, day.total.exported))
    for channel, figure in zip(report.channels, report.channel_totals, strict=True):
        lines.append(("contacts_per_day", TOTAL, TOTAL, channel, figure.exported))
    lines.append(("contacts_per_day", TOTAL, TOTAL, TOTAL, report.contacts.exported))
    for table in report.tables:
        for line in table.lines:
            label = labels.name(table.kind, line.key)
            lines.append((table.id, line.key, label, "count", line.figure.exported))
        if table.total is not None:
            lines.append((table.id, TOTAL, TOTAL, "count", table.total.exported))
    for times in report.times:
        lines.append((times.id, "chats", "chats", "count", times.chats.exported))
        for column, minutes in (("median_minutes", times.median_min), ("p90_minutes", times.p90_min)):
            value = minutes if minutes is not None else SUPPRESSED
            lines.append((times.id, column, column, "minutes", value))
    return lines


def to_csv(report: Report, labels: Labels) -> str:
    """The report as CSV: a header, then one figure a line ("< 5" for a suppressed count)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(report_lines(report, labels))
    return out.getvalue()


def to_json(report: Report, labels: Labels) -> str:
    """The report as JSON: the period, how counts are suppressed, and every figure."""
    return json.dumps(as_mapping(report, labels), ensure_ascii=False, indent=2)


def as_mapping(report: Report, labels: Labels) -> dict[str, Any]:
    """The report as plain data (JSON's shape)."""
    return {
        "from": report.first.isoformat(),
        "to": report.last.isoformat(),
        "suppression": {
            "threshold": THRESHOLD,
            "shown_as": SUPPRESSED,
            "totals_rounded_to": ROUND_TOTALS_TO,
        },
        "contacts_per_day": {
            "channels": list(report.channels),
            "days": [
                {
                    "day": day.day.isoformat(),
                    "by_channel": {
                        channel: figure.exported
                        for channel, figure in zip(report.channels, day.by_channel, strict=True)
                    },
                    TOTAL: day.total.exported,
                }
                for day in report.days
            ],
            "channel_totals": {
                channel: figure.exported
                for channel, figure in zip(report.channels, report.channel_totals, strict=True)
            },
            TOTAL: report.contacts.exported,
        },
        "tables": {
            table.id: {
                "rows": [
                    {
                        "key": line.key,
                        "label": labels.name(table.kind, line.key),
                        "count": line.figure.exported,
                    }
                    for line in table.lines
                ],
                TOTAL: table.total.exported if table.total is not None else None,
            }
            for table in report.tables
        },
        "times": {
            times.id: {
                "chats": times.chats.exported,
                "median_minutes": times.median_min if times.median_min is not None else SUPPRESSED,
                "p90_minutes": times.p90_min if times.p90_min is not None else SUPPRESSED,
            }
            for times in report.times
        },
    }
