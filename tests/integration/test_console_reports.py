"""The supervisors' reports on SQLite and PostgreSQL: a seeded fortnight's figures on the page, small counts
suppressed, the CSV, the JSON and `helpline report` with the same numbers; counsellors are refused; the
counters hold no pseudonym, and an erase leaves only a count of erasures."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.commands.report import write_report
from bot.content import ContentLibrary
from bot.settings import Settings
from bot.store.database import create_database_engine, upgrade_database
from bot.store.models import DailyCount
from tests.integration.console_world import World, console_world
from tests.report_seed import (
    EXPECTED_CONTACTS,
    EXPECTED_DAYS,
    EXPECTED_TABLES,
    EXPECTED_TIMES,
    FIRST,
    LAST,
    NEXT_DAY,
    PERIOD,
    seed_reports,
)

pytestmark = pytest.mark.integration

CELL = re.compile(r'<td class="num" data-key="([^"]*)">([^<]*)</td>')
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def labels() -> dict[str, dict[str, str]]:
    """The topics' labels from the reviewed content, as the web app gives them to the console."""
    return ContentLibrary.load(ROOT / "content").topic_labels()


@pytest.fixture
def world(
    tmp_path: Path, redis_url: str, database_url: str, labels: dict[str, dict[str, str]]
) -> Iterator[World]:
    """The console over the seeded database (SQLite, and PostgreSQL where one is reachable)."""
    upgrade_database(database_url)
    engine = create_database_engine(database_url)
    try:
        seed_reports(engine)
    finally:
        engine.dispose()
    with console_world(tmp_path, redis_url, database_url=database_url, topic_labels=labels) as found:
        yield found


def section(html: str, table_id: str) -> dict[str, str]:
    """The figures of one table on the page, by their key."""
    start = html.index(f'id="{table_id}-table"')
    cells = CELL.findall(html[start : html.index("</table>", start)])
    return {key: unescape(value) for key, value in cells}


def test_a_supervisor_sees_the_seeded_figures_with_small_counts_suppressed(world: World) -> None:
    supervisor = world.counsellor("sofia", "supervisor")
    page = supervisor.get(f"/console/reports?{PERIOD}")
    assert page.status_code == 200, page.text
    html = page.text

    assert f'id="contacts-total">{EXPECTED_CONTACTS}<' in html
    days = section(html, "days")
    assert {day: days[day] for day in EXPECTED_DAYS} == {
        day: total for day, (*_, total) in EXPECTED_DAYS.items()
    }
    assert days["total"] == EXPECTED_CONTACTS
    for table_id, expected in EXPECTED_TABLES.items():
        assert section(html, table_id) == expected, table_id
    times = section(html, "times")
    for times_id, (chats, median, p90) in EXPECTED_TIMES.items():
        assert times[f"{times_id}-chats"] == chats
        assert (times[f"{times_id}-1"], times[f"{times_id}-2"]) == (f"{median} min", f"{p90} min")

    # Words, not codes: languages, countries, topics (content labels), outcomes.
    for words in (
        "Spanish",
        "Ukrainian",
        "Spain",
        "Romania",
        "Not known",
        "A safe place to stay",
        "Information given",
    ):
        assert words in html, words
    # Charts drawn on the server, described for screen readers; no bar for a suppressed figure.
    assert html.count('<svg class="chart"') == 8
    assert '<title id="days-chart-title">Contacts per day</title>' in html
    assert 'class="chart-value suppressed"' in html
    assert "<script" not in html.split("</head>")[1]  # no chart library
    assert 'href="/console/reports"' in html  # the nav link


def test_the_csv_the_json_and_the_command_hold_the_page_figures(
    world: World, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    supervisor = world.counsellor("sofia", "supervisor")
    html = supervisor.get(f"/console/reports?{PERIOD}").text
    as_csv = supervisor.get(f"/console/reports.csv?{PERIOD}")
    as_json = supervisor.get(f"/console/reports.json?{PERIOD}")
    assert as_csv.status_code == as_json.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")

    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    data = json.loads(as_json.text)
    for table_id, expected in EXPECTED_TABLES.items():
        from_csv = {row["key"]: row["value"] for row in rows if row["section"] == table_id}
        from_json = {row["key"]: str(row["count"]) for row in data["tables"][table_id]["rows"]}
        if data["tables"][table_id]["total"] is not None:
            from_json["total"] = str(data["tables"][table_id]["total"])
        assert from_csv == from_json == section(html, table_id) == expected, table_id
    day_totals = {row["key"]: row["value"] for row in rows if row["section"] == "contacts_per_day"}
    day_totals = {key: value for key, value in day_totals.items() if key != "total"}
    per_day = {row["key"]: row["value"] for row in rows if row["section"] == "contacts_per_day"}
    assert per_day["total"] == str(data["contacts_per_day"]["total"]) == EXPECTED_CONTACTS
    for day, (telegram, webchat, total) in EXPECTED_DAYS.items():
        json_day = next(entry for entry in data["contacts_per_day"]["days"] if entry["day"] == day)
        assert [str(json_day["by_channel"]["telegram"]), str(json_day["by_channel"]["webchat"])] == [
            telegram,
            webchat,
        ]
        assert str(json_day["total"]) == total
    assert data["times"]["waiting"] == {"chats": 6, "median_minutes": 3, "p90_minutes": 10}
    assert data["suppression"] == {"threshold": 5, "shown_as": "< 5", "totals_rounded_to": 5}

    # `helpline report` reads the same database and writes the same CSV and JSON.
    monkeypatch.setenv("DATABASE_URL", database_url)
    for kind, served in (("csv", as_csv.text), ("json", as_json.text)):
        out = io.StringIO()
        assert write_report(Settings(), FIRST, LAST, kind, "en", out) == 0
        written = out.getvalue()
        assert _figures(written, kind) == _figures(served, kind), kind


def test_counsellors_are_refused_the_reports(world: World) -> None:
    counsellor = world.counsellor("ana")
    for path in ("/console/reports", "/console/reports.csv", "/console/reports.json"):
        assert counsellor.get(f"{path}?{PERIOD}").status_code == 403, path
    assert 'href="/console/reports"' not in counsellor.get("/console/").text


def test_a_period_that_is_not_one_shows_the_last_thirty_days(world: World) -> None:
    supervisor = world.counsellor("sofia", "supervisor")
    page = supervisor.get("/console/reports?from=2026-11-04&to=2026-11-02")
    assert page.status_code == 200
    assert 'role="alert"' in page.text
    assert supervisor.get("/console/reports.csv?from=yesterday").status_code == 400


def test_the_counters_hold_no_pseudonym_and_an_erase_only_adds_a_count(
    tmp_path: Path, database_url: str
) -> None:
    upgrade_database(database_url)
    engine = create_database_engine(database_url)
    try:
        people = seed_reports(engine)
        with Session(engine) as session:
            rows = session.scalars(select(DailyCount)).all()
    finally:
        engine.dispose()
    stored = " ".join(f"{row.channel} {row.locale} {row.country} {row.metric} {row.key}" for row in rows)
    assert not any(person[:8] in stored for person in people)
    assert not any(row.key.startswith("seed") for row in rows)  # no ticket id either
    erasures = [
        (row.day, row.channel, row.locale, row.country, row.key, row.count)
        for row in rows
        if row.metric == "erasure"
    ]
    assert erasures == [(NEXT_DAY.date(), "telegram", "", "", "", 1)]
    # The erased person's contact stays counted (an aggregate), in no cell of its own but the day's.
    arabic = [row.count for row in rows if row.metric == "contacts" and row.locale == "ar"]
    assert arabic == [1]


def _figures(text: str, kind: str) -> Any:
    """The figures of a CSV or JSON report, whatever its layout (the labels are the same language)."""
    return list(csv.reader(io.StringIO(text))) if kind == "csv" else json.loads(text)


def test_the_reports_speak_the_staff_members_language(world: World) -> None:
    supervisor = world.counsellor("sofia", "supervisor")
    headers = {**supervisor.headers, "accept-language": "es"}
    html = world.client.get(f"/console/reports?{PERIOD}", headers=headers).text
    for words in (
        "Informes",
        "Contactos por día y canal",
        "Español",
        "Ucraniano",
        "España",
        "Información dada",
    ):
        assert words in html, words
    assert section(html, "languages") == EXPECTED_TABLES["languages"]
    rows = list(
        csv.DictReader(io.StringIO(world.client.get(f"/console/reports.csv?{PERIOD}", headers=headers).text))
    )
    assert {row["label"] for row in rows if row["section"] == "countries"} >= {
        "España",
        "Rumanía",
        "Desconocido",
    }
