"""What the action server counts for the supervisors' reports (bot.store.counts): topics asked, requests
for a person, offers made, and danger answers; a day, a channel, a language, a country, never who."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.actions.nlg import ANSWER_RESPONSE, DANGER_SCORE
from bot.actions.turn import Turn, turn_from_message
from bot.content.schema import DANGER_INTENT
from bot.store.counts import Cell, CountSink, TurnCounts

__all__ = ["CountSink", "TurnCounts", "cell_for", "nlg_cells"]

TOPIC_PREFIX = "ask_"  # the intents that ask about a topic (ask_shelter, ask_rights, ...)


def cell_for(turn: Turn, metric: Any, key: str) -> Cell:
    """A counter cell for this turn's channel, language and country."""
    return Cell(metric, key, turn.channel or "", turn.locale, turn.country or "")


def nlg_cells(body: Mapping[str, Any]) -> list[Cell]:
    """What one NLG request counts: the topic it answers, and the emergency number it puts first."""
    if body.get("response") != ANSWER_RESPONSE:
        return []
    tracker = body.get("tracker")
    turn = turn_from_message(tracker.get("latest_message") if isinstance(tracker, Mapping) else None)
    cells = []
    if turn.intent.startswith(TOPIC_PREFIX):
        cells.append(cell_for(turn, "topic", turn.intent))
    if turn.intent != DANGER_INTENT and turn.danger_score >= DANGER_SCORE:
        cells.append(cell_for(turn, "danger_reply", "model"))
    return cells
