"""Custom actions: turns that need logic, not just a text (plain answers come through the NLG endpoint)."""

from __future__ import annotations

import time
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.counting import TurnCounts, cell_for
from bot.actions.nlg import log_answer, utter
from bot.actions.turn import turn_from_message
from bot.content import ContentLibrary

# After the emergency number: the offer of a person, and the helplines of the person's country.
FOLLOW_UP_ENTRY = "danger_next"


class ActionEmergency(Action):
    """Answer a person in immediate danger: the emergency number first, in one short message, then help.

    The first message holds only the country's emergency number (or 112 and the question "which
    country?" when the country is unknown), so that it is read in a second; the second offers a person
    and lists the country's helplines.
    """

    def __init__(self, content: ContentLibrary, counts: TurnCounts | None = None) -> None:
        self._content = content
        self._counts = counts or TurnCounts(None)

    def name(self) -> str:
        """Rasa's name for this action."""
        return "action_emergency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Send the danger reply for the person's language and country."""
        started = time.perf_counter()
        turn = turn_from_message(tracker.latest_message)
        reply = self._content.reply_for_intent("immediate_danger", turn.locale, turn.country)
        utter(dispatcher, reply)
        follow_up = self._content.reply(FOLLOW_UP_ENTRY, turn.locale, turn.country)
        utter(dispatcher, follow_up)
        log_answer("emergency_answered", reply, started)
        await self._counts.add(cell_for(turn, "danger_reply", "model"))
        return []
