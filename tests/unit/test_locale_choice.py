"""Choosing the person's language from what their app or browser says."""

from bot.i18n import choose_locale, parse_accept_language, text_direction


def test_a_supported_language_is_chosen() -> None:
    assert choose_locale(["en-GB"], supported=["en", "es"]) == "en"
    assert choose_locale(["es"], supported=["en", "es"]) == "es"


def test_a_regional_variant_matches_its_language() -> None:
    assert choose_locale(["pt-BR"], supported=["en", "pt"]) == "pt"


def test_an_app_set_to_filipino_gets_tagalog() -> None:
    """CLDR names the language `fil`; the project's code is `tl` (ISO 639-1)."""
    for tag in ("fil", "fil-PH", "tl", "tl-PH"):
        assert choose_locale([tag]) == "tl"
    assert choose_locale(["en-PH"]) == "en"


def test_an_unsupported_language_falls_back_to_english() -> None:
    assert choose_locale(["ja"], supported=["en", "es"]) == "en"
    assert choose_locale([None], supported=["en", "es"]) == "en"
    assert choose_locale([], supported=["en", "es"]) == "en"


def test_accept_language_is_ordered_by_quality() -> None:
    assert parse_accept_language("fr;q=0.5, uk, en;q=0.8") == ["uk", "en", "fr"]
    assert parse_accept_language(None) == []
    assert parse_accept_language("*;q=0.1, de;q=0") == []


def test_arabic_is_written_right_to_left() -> None:
    assert text_direction("ar") == "rtl"
    assert text_direction("en") == "ltr"
