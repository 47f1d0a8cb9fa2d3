"""The supervisors' reports page (GET /reports) and its figures as CSV and JSON: aggregates only, with
small counts suppressed (bot.reports), charts drawn on the server as SVG."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import date, datetime, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bot.console.auth import StaffSession
from bot.console.deps import Console
from bot.console.render import console_locale
from bot.i18n import Translator
from bot.reports.export import to_csv, to_json
from bot.reports.figures import Report, Table
from bot.reports.labels import Labels, TopicLabels
from bot.reports.period import default_period, parse_period, report_for
from bot.reports.suppress import ROUND_TOTALS_TO, THRESHOLD, Figure
from bot.reports.svg import bar_chart
from bot.store.counts import DailyCounts

Bars = list[tuple[str, Figure]]


def table_bars(table: Table, labels: Labels) -> Bars:
    """A table's lines as a chart's bars, named in the labels' language."""
    return [(labels.name(table.kind, line.key), line.figure) for line in table.lines]


def day_bars(report: Report) -> Bars:
    """Contacts per day (all channels) as a chart's bars."""
    return [(day.day.isoformat(), day.total) for day in report.days]


class ReportPages:
    """GET /reports, /reports.csv and /reports.json (supervisors and admins)."""

    def __init__(self, console: Console, today: Callable[[], date] | None = None) -> None:
        self._console = console
        self._counts = DailyCounts(console.deps.database)
        self._topics: TopicLabels = console.deps.topic_labels
        self._today = today or (lambda: datetime.now(timezone.utc).date())

    async def page(self, request: Request, session: StaffSession, _form: dict[str, str]) -> Response:
        """The report of a period (?from=YYYY-MM-DD&to=YYYY-MM-DD; default: the last 30 days)."""
        period, invalid = self._period(request.query_params)
        report = await asyncio.to_thread(report_for, self._counts, *period)
        query = f"from={report.first.isoformat()}&to={report.last.isoformat()}"
        context = {
            "staff": session,
            "csrf": session.csrf,
            "report": report,
            "invalid_period": invalid,
            "query": query,
            "threshold": THRESHOLD,
            "round_to": ROUND_TOTALS_TO,
            "labels_for": lambda locale, gettext: Labels(locale, gettext, self._topics),
            "table_bars": table_bars,
            "day_bars": day_bars,
            "bar_chart": bar_chart,
        }
        return self._console.renderer.page(request, "reports.html", context)

    async def csv(self, request: Request, _session: StaffSession, _form: dict[str, str]) -> Response:
        """The same figures as CSV (a download)."""
        return await self._export(request, "csv")

    async def json(self, request: Request, _session: StaffSession, _form: dict[str, str]) -> Response:
        """The same figures as JSON."""
        return await self._export(request, "json")

    async def _export(self, request: Request, kind: str) -> Response:
        (first, last), invalid = self._period(request.query_params)
        if invalid:
            return Response("from and to must be dates (YYYY-MM-DD), at most a year apart\n", 400)
        report = await asyncio.to_thread(report_for, self._counts, first, last)
        locale = console_locale(request)
        labels = Labels(locale, Translator(self._console.deps.catalog_dir, locale).gettext, self._topics)
        name = f"helpline-report-{first.isoformat()}-{last.isoformat()}.{kind}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
        if kind == "csv":
            return Response(to_csv(report, labels), media_type="text/csv; charset=utf-8", headers=headers)
        return Response(to_json(report, labels), media_type="application/json", headers=headers)

    def _period(self, query: Mapping[str, Any]) -> tuple[tuple[date, date], bool]:
        """The asked period, or the default one and True when what was asked is not a period."""
        try:
            return parse_period(query.get("from"), query.get("to"), self._today()), False
        except ValueError:
            return default_period(self._today()), True
