"""Custom actions: turns that need logic, not just a text (plain answers come through the NLG endpoint)."""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

import structlog
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.nlg import rasa_message
from bot.actions.turn import turn_from_message
from bot.content import ContentLibrary
from bot.settings import Settings

log = structlog.get_logger(__name__)


@lru_cache(maxsize=1)
def content_library() -> ContentLibrary:
    """Load content once per process (rasa-sdk builds actions without arguments)."""
    return ContentLibrary.load(Settings().content_dir)


class ActionEmergency(Action):
    """Answer a person in immediate danger: the emergency number first, in one short message.

    A custom action rather than a response because it will grow logic: the person's country,
    and the offer of a counsellor (handoff).
    """

    def name(self) -> str:
        """Rasa's name for this action."""
        return "action_emergency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Send the danger reply for the person's language and country."""
        started = time.perf_counter()
        turn = turn_from_message(tracker.latest_message)
        reply = content_library().reply_for_intent("immediate_danger", turn.locale, turn.country)
        dispatcher.utter_message(**rasa_message(reply))
        log.info(
            "emergency_answered",
            entry=reply.entry_id,
            locale=reply.locale,
            jurisdiction=reply.jurisdiction,
            ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return []
