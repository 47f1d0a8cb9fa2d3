"""SMS and WhatsApp say nothing of a person's language: the country of their number is the first guess,
the weakest one (what they write or pick wins), and never taken as the country they are in."""

from __future__ import annotations

import pytest

from bot.channels.phone_locale import locale_for_number, locale_for_region


@pytest.mark.parametrize(
    ("region", "locale"),
    [("RO", "ro"), ("MD", "ro"), ("UA", "uk"), ("MX", "es"), ("BR", "pt"), ("MA", "ar"), ("VN", "vi")],
)
def test_a_countrys_first_official_language_the_helpline_speaks(region: str, locale: str) -> None:
    assert locale_for_region(region) == locale


@pytest.mark.parametrize("region", ["IT", "DE", "XX", "", None, "1", "ROU"])
def test_english_when_the_helpline_does_not_speak_it_or_the_country_is_unknown(region: str | None) -> None:
    assert locale_for_region(region) == "en"


def test_whatsapp_numbers_come_without_a_plus() -> None:
    assert locale_for_number("40721234567") == "ro"
    assert locale_for_number("+380501234567") == "uk"
    assert locale_for_number("12025550123") == "en"
    assert locale_for_number("not a number") == "en"
