"""How the console names a ticket's details for staff: the local time of day as a range from the country
alone, the console's language (the counsellor's setting, else the browser's), topics, outcomes, waits."""

from __future__ import annotations

from datetime import datetime, time, timezone
from pathlib import Path

import pytest
from starlette.requests import Request

from bot.console.local_time import local_hours, local_time_range
from bot.console.render import console_locale
from bot.console.words import StaffWords
from bot.content.library import ContentLibrary
from bot.i18n import Translator
from bot.store.counsellors import console_language

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = ROOT / "content" / "locale"
# 12:37 UTC on a winter day: Bucharest 14:37, New York 07:37, Honolulu 02:37, Kolkata 18:07.
NOON = datetime(2026, 12, 3, 12, 37, tzinfo=timezone.utc)


def request(accept_language: str | None = None) -> Request:
    headers = [(b"accept-language", accept_language.encode())] if accept_language else []
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


def test_a_country_with_one_zone_gives_the_hour_it_is_in_there() -> None:
    assert local_hours("RO", NOON) == (time(14), time(15))
    assert local_hours("IN", NOON) == (time(18), time(19))  # UTC+5:30: 18:07


def test_a_country_with_several_zones_gives_the_range_across_them() -> None:
    # Hawaii (UTC-10) to the east coast (UTC-5): 02:37 to 07:37.
    assert local_hours("US", NOON) == (time(2), time(8))
    # Kaliningrad (UTC+2) to Kamchatka (UTC+12): 14:37 to 00:37, past midnight.
    assert local_hours("RU", NOON) == (time(14), time(1))


def test_summer_time_moves_the_range() -> None:
    july = datetime(2026, 7, 1, 12, 37, tzinfo=timezone.utc)
    assert local_hours("RO", july) == (time(15), time(16))


@pytest.mark.parametrize("country", [None, "", "ZZ", "EU", "xx", "Narnia"])
def test_no_known_country_shows_nothing(country: str | None) -> None:
    assert local_hours(country, NOON) is None
    assert StaffWords("en").local_time(country, NOON) is None


def test_the_range_is_written_as_the_staff_language_writes_times() -> None:
    assert local_time_range("RO", "en", NOON) == "2:00\u202fPM–3:00\u202fPM"
    assert local_time_range("RO", "es", NOON) == "14:00–15:00"
    spanish = StaffWords("es", Translator(CATALOGS, "es").gettext)
    assert spanish.local_time("RO", NOON) == "allí: aprox. 14:00–15:00"


def test_the_counsellors_setting_beats_the_browser() -> None:
    assert console_locale(request("fr-CA,fr;q=0.9"), "es") == "es"


def test_without_a_setting_the_browser_chooses_else_english() -> None:
    assert console_locale(request("pt-BR,pt;q=0.9,en;q=0.8"), None) == "pt"
    assert console_locale(request("ar-EG"), None) == "ar"
    assert console_locale(request("de-DE,de;q=0.9"), None) == "en"
    assert console_locale(request(), None) == "en"


def test_an_unsupported_setting_falls_back_to_the_browser() -> None:
    assert console_locale(request("uk"), "tlh") == "uk"


def test_a_console_language_setting_is_a_supported_locale_or_none() -> None:
    assert console_language(" ES ") == "es"
    assert console_language("") is None and console_language(None) is None
    with pytest.raises(ValueError):
        console_language("de")


def test_topics_are_named_with_the_contents_words_in_the_staff_language() -> None:
    labels = ContentLibrary.load(ROOT / "content").topic_labels()
    assert StaffWords("es", topic_labels=labels).topic("ask_shelter") == "Un lugar seguro donde quedarte"
    assert StaffWords("en", topic_labels=labels).topic("ask_shelter") == "A safe place to stay"
    assert StaffWords("es", topic_labels=labels).topic("some_new_intent") == "some new intent"
    assert StaffWords("es", topic_labels=labels).topic(None) == "—"


def test_outcomes_countries_languages_and_waits_are_words() -> None:
    ukrainian = StaffWords("uk", Translator(CATALOGS, "uk").gettext)
    assert ukrainian.outcome("referred_to_police") == "Скеровано до поліції"
    assert ukrainian.country("ES") == "Іспанія"
    assert ukrainian.language("es") == "Іспанська"
    assert ukrainian.waited(0, 125_000) == "2 хв"
    assert ukrainian.waited(0, 3_900_000) == "1 год 5 хв"
    assert ukrainian.nickname("Visitor 4821") == "Відвідувач 4821"
    assert ukrainian.nickname("Someone else") == "Someone else"
