"""The action server's actions: every reply is reviewed content, rendered for the person's language."""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

import structlog
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.turn import Turn, turn_from_message
from bot.content import ContentLibrary, RenderedReply
from bot.settings import Settings

log = structlog.get_logger(__name__)


@lru_cache(maxsize=1)
def content_library() -> ContentLibrary:
    """Load content once per action-server process (rasa-sdk builds actions without arguments)."""
    return ContentLibrary.load(Settings().content_dir)


def _send(dispatcher: CollectingDispatcher, reply: RenderedReply) -> None:
    buttons = [{"title": button.title, "payload": button.payload} for button in reply.buttons]
    dispatcher.utter_message(text=reply.text, buttons=buttons)


class ActionAnswer(Action):
    """Answer the latest intent with the content entry that answers it."""

    def name(self) -> str:
        """Rasa's name for this action."""
        return "action_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Send the reply for this turn's intent."""
        started = time.perf_counter()
        turn = turn_from_message(tracker.latest_message)
        reply = content_library().reply_for_intent(turn.intent, turn.locale, turn.country)
        _send(dispatcher, reply)
        _log_answer(turn, reply, started)
        return []


class ActionEmergency(Action):
    """Answer a person in immediate danger: emergency numbers first, in one short message."""

    def name(self) -> str:
        """Rasa's name for this action."""
        return "action_emergency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Send the danger reply (its own entry, whatever the classifier's second guess)."""
        started = time.perf_counter()
        turn = turn_from_message(tracker.latest_message)
        reply = content_library().reply_for_intent("immediate_danger", turn.locale, turn.country)
        _send(dispatcher, reply)
        _log_answer(turn, reply, started)
        return []


def _log_answer(turn: Turn, reply: RenderedReply, started: float) -> None:
    log.info(
        "answered",
        intent=turn.intent,
        entry=reply.entry_id,
        locale=reply.locale,
        fallback_locale=reply.fallback_locale,
        ms=round((time.perf_counter() - started) * 1000, 1),
    )
