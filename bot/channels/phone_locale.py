"""A first guess at a person's language from the country of their phone number, on channels whose app
says nothing about it (SMS, WhatsApp), as Telegram's `language_code` or a browser's Accept-Language do.

Only a hint (the weakest signal, bot/conversation/language.py): what the person writes or picks wins at
once. The number's country is where the SIM card is from, not where the person is: it is never used as
their country (that is only ever what they say) and nothing of it is kept.
"""

from __future__ import annotations

from collections.abc import Sequence

import phonenumbers
from babel.languages import get_official_languages

from bot.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES, project_locale


def locale_for_region(region: str | None, supported: Sequence[str] = SUPPORTED_LOCALES) -> str:
    """The first official language of the country (ISO 3166 code) that the helpline speaks, else English."""
    if not region or len(region) != 2 or not region.isalpha():
        return DEFAULT_LOCALE
    try:
        languages = get_official_languages(region.upper(), de_facto=True)
    except (KeyError, ValueError):
        return DEFAULT_LOCALE
    for language in languages:
        code = project_locale(language)
        if code in supported:
            return code
    return DEFAULT_LOCALE


def locale_for_number(number: str, supported: Sequence[str] = SUPPORTED_LOCALES) -> str:
    """The same guess from an international number ("+40 7…" or WhatsApp's "407…", digits only)."""
    digits = number if number.startswith("+") else f"+{number}"
    try:
        parsed = phonenumbers.parse(digits, None)
    except phonenumbers.NumberParseException:
        return DEFAULT_LOCALE
    return locale_for_region(phonenumbers.region_code_for_number(parsed), supported)
