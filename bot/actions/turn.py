"""What an action needs to know about the turn it answers: pure functions over Rasa's tracker data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES

FALLBACK_INTENT = "nlu_fallback"


@dataclass(frozen=True)
class Turn:
    """The intent to answer, in which language, for which country (if known)."""

    intent: str
    locale: str
    country: str | None


def turn_from_message(latest_message: Mapping[str, Any] | None) -> Turn:
    """Read intent, locale and country from the latest user message and its channel metadata."""
    message = latest_message or {}
    intent = (message.get("intent") or {}).get("name") or FALLBACK_INTENT
    metadata = message.get("metadata") or {}
    locale = metadata.get("locale")
    if locale not in SUPPORTED_LOCALES:
        locale = DEFAULT_LOCALE
    country = metadata.get("country")
    if not (isinstance(country, str) and len(country) == 2 and country.isalpha()):
        country = None
    return Turn(intent=str(intent), locale=str(locale), country=country.upper() if country else None)
