"""What an action needs to know about the turn it answers: pure functions over Rasa's tracker data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.content.follow_ups import ASKS
from bot.content.schema import DANGER_INTENT
from bot.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES
from bot.messages import Channel

FALLBACK_INTENT = "nlu_fallback"
CHANNELS = frozenset(channel.value for channel in Channel)


@dataclass(frozen=True)
class Turn:
    """The intent to answer, in which language, for which country (if known)."""

    intent: str
    locale: str
    country: str | None
    danger_score: float = 0.0  # the model's confidence in `immediate_danger`, even when another intent won
    channel: str | None = None  # where the person writes: some answers differ by what the channel can do
    follow_up: tuple[str, ...] = ()  # what a short follow-up asks of this topic ("no_papers"), said first


def turn_from_message(latest_message: Mapping[str, Any] | None) -> Turn:
    """Read intent, locale and country from the latest user message and its channel metadata."""
    message = latest_message or {}
    intent = (message.get("intent") or {}).get("name") or FALLBACK_INTENT
    metadata = message.get("metadata") or {}
    locale = metadata.get("locale")
    if locale not in SUPPORTED_LOCALES:
        locale = DEFAULT_LOCALE
    country, channel = metadata.get("country"), metadata.get("channel")
    if not (isinstance(country, str) and len(country) == 2 and country.isalpha()):
        country = None
    return Turn(
        intent=str(intent),
        locale=str(locale),
        country=country.upper() if country else None,
        danger_score=_score_of(DANGER_INTENT, message.get("intent_ranking")),
        channel=channel if channel in CHANNELS else None,
        follow_up=_follow_up(metadata.get("follow_up")),
    )


def _follow_up(asked: Any) -> tuple[str, ...]:
    """The known follow-up kinds in the metadata, in their order of answer (others are ignored)."""
    kinds = set(asked) if isinstance(asked, list) else set()
    return tuple(kind for kind in ASKS if kind in kinds)


def _score_of(intent: str, ranking: Any) -> float:
    """An intent's confidence in Rasa's intent ranking (0 when it is not ranked)."""
    for ranked in ranking if isinstance(ranking, list) else ():
        if isinstance(ranked, Mapping) and ranked.get("name") == intent:
            confidence = ranked.get("confidence")
            return float(confidence) if isinstance(confidence, int | float) else 0.0
    return 0.0
