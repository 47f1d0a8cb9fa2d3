"""Reports' pure parts: suppression of small counts, rounded totals, percentiles, the figures of a period
built from counters, and the SVG charts (titled, described, no bar for a hidden count)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.actions.counting import nlg_cells
from bot.actions.server import create_action_server
from bot.content import ContentLibrary
from bot.conversation.core import ConversationCore
from bot.conversation.danger_first import DangerFirst
from bot.messages import Channel, IncomingMessage
from bot.reports.figures import build_report, check_period, percentile
from bot.reports.labels import Labels
from bot.reports.suppress import Figure, cell, total
from bot.reports.svg import bar_chart
from bot.store.counts import Cell, CountRow
from tests.unit.test_core_routing import (
    CATALOGS,
    DANGER_REPLY,
    LIBRARY,
    FakeConversationLog,
    FakeEngine,
    FakeNet,
)

DAY = date(2026, 11, 2)
ROOT = Path(__file__).resolve().parents[2]


def counter(metric: str, key: str = "", count: int = 1, **dims: str) -> CountRow:
    """A stored counter of the first day (web chat, Spanish, Spain unless said otherwise)."""
    return CountRow(
        DAY,
        dims.get("channel", "webchat"),
        dims.get("locale", "es"),
        dims.get("country", "ES"),
        metric,
        key,
        count,
    )


def test_counts_from_one_to_four_are_suppressed_zero_and_five_are_not() -> None:
    assert [cell(n).text for n in (0, 1, 4, 5, 12)] == ["0", "< 5", "< 5", "5", "12"]
    assert cell(3).exported == "< 5" and cell(7).exported == 7


def test_totals_are_rounded_to_the_nearest_five_and_suppressed_under_five() -> None:
    assert [total(n).text for n in (0, 3, 5, 7, 8, 12, 13, 19)] == [
        "0",
        "< 5",
        "5",
        "5",
        "10",
        "10",
        "15",
        "20",
    ]


def test_a_hidden_count_cannot_be_read_back_from_a_total() -> None:
    # Spanish 15 and one Romanian (hidden): the total is 15 or 20 whatever the hidden count (1 to 4) was.
    report = build_report(
        [counter("contacts", count=15), counter("contacts", locale="ro", country="RO", count=1)], DAY, DAY
    )
    languages = report.table("languages")
    assert [(line.key, line.figure.text) for line in languages.lines] == [("es", "15"), ("ro", "< 5")]
    assert languages.total == Figure(15, rounded=True)
    for hidden in (1, 2):
        rows = [counter("contacts", count=15), counter("contacts", locale="ro", count=hidden)]
        assert build_report(rows, DAY, DAY).contacts.value == 15


def test_suppressed_lines_come_last_in_key_order_so_their_order_tells_nothing() -> None:
    rows = [
        counter("topic", "ask_rights", 4),
        counter("topic", "ask_asylum", 1),
        counter("topic", "ask_shelter", 9),
    ]
    topics = build_report(rows, DAY, DAY).table("topics")
    assert [line.key for line in topics.lines] == ["ask_shelter", "ask_asylum", "ask_rights"]


def test_waiting_times_have_a_median_and_p90_only_from_five_chats() -> None:
    four = [counter("wait_minutes", str(minutes)) for minutes in (1, 2, 3, 4)]
    assert build_report(four, DAY, DAY).times[0].median_min is None
    five = [*four, counter("wait_minutes", "30")]
    waiting = build_report(five, DAY, DAY).times[0]
    assert (waiting.chats.text, waiting.median_min, waiting.p90_min) == ("5", 3, 30)


def test_the_nearest_rank_percentile_of_a_histogram() -> None:
    assert percentile({1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 10: 1}, 0.5) == 3
    assert percentile({1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 10: 1}, 0.9) == 10
    assert percentile({7: 100}, 0.9) == 7
    with pytest.raises(ValueError):
        percentile({}, 0.5)


def test_every_day_of_the_period_has_a_line_even_without_contacts() -> None:
    report = build_report([counter("contacts", count=6)], DAY, date(2026, 11, 4))
    assert [(day.day.isoformat(), day.total.text) for day in report.days] == [
        ("2026-11-02", "5"),
        ("2026-11-03", "0"),
        ("2026-11-04", "0"),
    ]


def test_a_period_runs_forwards_and_covers_at_most_a_year() -> None:
    check_period(date(2026, 1, 1), date(2026, 12, 31))
    with pytest.raises(ValueError):
        check_period(date(2026, 11, 3), date(2026, 11, 2))
    with pytest.raises(ValueError):
        check_period(date(2025, 1, 1), date(2026, 1, 2))


def test_a_chart_is_titled_described_and_draws_no_bar_for_a_hidden_count() -> None:
    svg = str(
        bar_chart(
            "langs", "Languages", "Contacts by language", [("Spanish", cell(15)), ("<Romanian>", cell(2))]
        )
    )
    assert svg.startswith('<svg class="chart" id="langs" role="img"')
    assert 'aria-labelledby="langs-title langs-desc"' in svg
    assert '<title id="langs-title">Languages</title>' in svg and "Contacts by language</desc>" in svg
    assert svg.count("<rect") == 1  # Spanish only
    assert "&lt;Romanian&gt;" in svg and 'class="chart-value suppressed"' in svg and "&lt; 5" in svg
    assert "style=" not in svg and "<script" not in svg and "http" not in svg.replace("http://www.w3.org", "")


def test_labels_name_keys_in_the_staff_language() -> None:
    spanish = Labels("es", topics={"ask_shelter": {"en": "A safe place", "es": "Un lugar seguro"}})
    assert spanish.name("language", "uk") == "Ucraniano"
    assert spanish.name("country", "RO") == "Rumanía"
    assert spanish.name("topic", "ask_shelter") == "Un lugar seguro"
    assert Labels("fr").name("topic", "ask_legal_aid") == "Legal aid"
    assert Labels("en").name("country", "") == "Not known"
    assert Labels("en").name("outcome", "referred_to_police") == "Referred to police"


def test_the_action_server_counts_topics_and_close_danger_never_who() -> None:
    def request(intent: str, danger: float = 0.0) -> dict[str, object]:
        message = {
            "intent": {"name": intent},
            "intent_ranking": [{"name": "immediate_danger", "confidence": danger}],
            "metadata": {"locale": "uk", "country": "ua", "channel": "telegram"},
        }
        return {"response": "utter_answer", "tracker": {"sender_id": "p" * 64, "latest_message": message}}

    assert nlg_cells(request("ask_shelter")) == [Cell("topic", "ask_shelter", "telegram", "uk", "UA")]
    assert nlg_cells(request("greet", danger=0.5)) == [Cell("danger_reply", "model", "telegram", "uk", "UA")]
    assert nlg_cells(request("greet")) == []
    assert nlg_cells({"response": "utter_welcome"}) == []


class RecordingSink:
    """Counts as the database would take them; `fail` makes every write fail (a database that is down)."""

    def __init__(self, fail: bool = False) -> None:
        self.cells: list[Cell] = []
        self.fail = fail

    def add(self, cell: Cell) -> None:
        if self.fail:
            raise ConnectionError("database down")
        self.cells.append(cell)


def test_the_action_server_counts_what_it_answers_and_answers_when_it_cannot_count() -> None:
    content = ContentLibrary.load(ROOT / "content")
    for sink in (RecordingSink(), RecordingSink(fail=True)):
        client = TestClient(create_action_server(content, ROOT / "content" / "locale", counts=sink))
        metadata = {"locale": "ro", "country": "RO", "channel": "whatsapp"}
        latest = {"intent": {"name": "ask_shelter"}, "metadata": metadata}
        nlg = {"response": "utter_answer", "tracker": {"sender_id": "p" * 64, "latest_message": latest}}
        assert client.post("/nlg", json=nlg).status_code == 200
        emergency = {
            "next_action": "action_emergency",
            "tracker": {
                "sender_id": "p" * 64,
                "latest_message": {**latest, "intent": {"name": "immediate_danger"}},
            },
            "domain": {},
        }
        assert len(client.post("/webhook", json=emergency).json()["responses"]) == 2
        if not sink.fail:
            assert sink.cells == [
                Cell("topic", "ask_shelter", "whatsapp", "ro", "RO"),
                Cell("danger_reply", "model", "whatsapp", "ro", "RO"),
            ]


async def test_the_core_counts_a_danger_reply_of_the_net_beside_the_turn() -> None:
    sink = RecordingSink()
    core = ConversationCore(
        FakeEngine(), FakeConversationLog(), CATALOGS, danger=DangerFirst(FakeNet(), LIBRARY), counts=sink
    )
    replies = await core.handle(IncomingMessage("p" * 64, Channel.TELEGRAM, "they locked me in", "en"))
    await core.drain()
    assert replies[0].text == DANGER_REPLY
    assert sink.cells == [Cell("danger_reply", "net", "telegram", "en", "")]
