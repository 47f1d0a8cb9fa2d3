"""Rasa's NLG endpoint: the text of every `utter_*` response, read from content/ for the person's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.actions.turn import turn_from_message
from bot.content import ContentLibrary, RenderedReply

# Response names that answer a fixed intent, whatever the classifier said this turn.
FIXED_RESPONSES = {"utter_emergency": "immediate_danger"}


def rasa_message(reply: RenderedReply) -> dict[str, Any]:
    """A reply in the shape Rasa expects from an NLG server or a custom action."""
    return {
        "text": reply.text,
        "buttons": [{"title": button.title, "payload": button.payload} for button in reply.buttons],
    }


def reply_for_request(body: Mapping[str, Any], content: ContentLibrary) -> RenderedReply:
    """The content reply for one NLG request: by response name, else by the turn's intent."""
    tracker = body.get("tracker") or {}
    turn = turn_from_message(tracker.get("latest_message"))
    intent = FIXED_RESPONSES.get(str(body.get("response") or body.get("template") or ""), turn.intent)
    return content.reply_for_intent(intent, turn.locale, turn.country)
