"""`helpline report --from YYYY-MM-DD --to YYYY-MM-DD --format csv|json`: the supervisors' report (the
console's /console/reports page) for a period, as CSV or JSON, with the same suppressed figures."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import TextIO

from bot.i18n import SUPPORTED_LOCALES
from bot.settings import Settings


def add_report_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `report` to the `helpline` command's subparsers."""
    report = subparsers.add_parser(
        "report",
        help="contacts, languages, countries, topics, handoffs, times, outcomes, erasures for a period "
        "(aggregates only; counts under 5 shown as '< 5')",
    )
    report.add_argument("--from", dest="first", required=True, type=_day, help="first day (YYYY-MM-DD, UTC)")
    report.add_argument("--to", dest="last", required=True, type=_day, help="last day, included")
    report.add_argument("--format", choices=("csv", "json"), default="csv", help="csv (default) or json")
    report.add_argument(
        "--lang", default="en", choices=SUPPORTED_LOCALES, help="language of the labels (default: en)"
    )
    report.set_defaults(func=run_report)


def run_report(args: argparse.Namespace) -> int:
    """Print the report of the settings' database; 1 if the period is not one."""
    return write_report(Settings(), args.first, args.last, args.format, args.lang, sys.stdout)


def write_report(settings: Settings, first: date, last: date, kind: str, locale: str, out: TextIO) -> int:
    """Write the report of `settings`' database for the period to `out`; 1 (and why) if not a period."""
    from bot.content import ContentLibrary
    from bot.i18n import Translator
    from bot.reports.export import to_csv, to_json
    from bot.reports.figures import check_period
    from bot.reports.labels import Labels
    from bot.reports.period import report_for
    from bot.store.counts import DailyCounts
    from bot.store.database import create_database_engine, upgrade_database

    try:
        check_period(first, last)
    except ValueError as error:
        print(f"helpline report: {error}", file=sys.stderr)
        return 1
    upgrade_database(settings.effective_database_url)
    engine = create_database_engine(settings.effective_database_url)
    try:
        report = report_for(DailyCounts(engine), first, last)
    finally:
        engine.dispose()
    topics = ContentLibrary.load(settings.content_dir).topic_labels()
    labels = Labels(locale, Translator(settings.catalog_dir, locale).gettext, topics)
    out.write(to_csv(report, labels) if kind == "csv" else to_json(report, labels) + "\n")
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None
