"""Rasa's NLG endpoint: the text of every `utter_*` response, read from content/ for the person's language."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from typing import Any

import structlog
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.turn import Turn, turn_from_message
from bot.content import ContentLibrary, RenderedReply
from bot.content.follow_ups import note_entry
from bot.content.schema import DANGER_INTENT

log = structlog.get_logger(__name__)

RESPONSE_PREFIX = "utter_"
ANSWER_RESPONSE = "utter_answer"  # the answer to the turn's intent
# When the model gives `immediate_danger` at least this confidence, though another intent won, the answer
# starts with the emergency number (measured on the held-out split: docs/decisions.md, "Danger net").
DANGER_SCORE = 0.2
# Where a follow-up's note names the topic it follows ("Then say what you need: {topic}.").
TOPIC_PLACEHOLDER = "{topic}"


def rasa_message(reply: RenderedReply) -> dict[str, Any]:
    """A reply in the shape Rasa expects from an NLG server: one message, whatever its paragraphs.

    Rasa's output channels split a plain text message at every blank line into several messages; only a
    message with buttons, or a custom one, stays whole. So a reply without buttons goes as `custom`
    (read back by `bot.engine.rasa.replies_from_rasa`).
    """
    buttons = [{"title": button.title, "payload": button.payload} for button in reply.buttons]
    if buttons:
        return {"text": reply.text, "buttons": buttons}
    return {"custom": {"text": reply.text}}


def utter(dispatcher: CollectingDispatcher, reply: RenderedReply) -> None:
    """Send a reply from a custom action, kept whole like the NLG endpoint's (`rasa_message`)."""
    message = rasa_message(reply)
    if "custom" in message:
        dispatcher.utter_message(json_message=message["custom"])
    else:
        dispatcher.utter_message(text=message["text"], buttons=message["buttons"])


def reply_for_request(body: Mapping[str, Any], content: ContentLibrary) -> RenderedReply:
    """The content reply for one NLG request.

    `utter_answer` is the entry answering the turn's intent; any other response `utter_<id>` (a rule's
    answer that does not depend on the intent, such as `utter_not_safe`) is the entry with that id.
    """
    tracker = body.get("tracker") or {}
    turn = turn_from_message(tracker.get("latest_message"))
    response = body.get("response")
    if isinstance(response, str) and response.startswith(RESPONSE_PREFIX) and response != ANSWER_RESPONSE:
        return content.reply(response.removeprefix(RESPONSE_PREFIX), turn.locale, turn.country, turn.channel)
    # The channel picks the entry's variant for it, if any (privacy_whatsapp: what WhatsApp cannot delete).
    answer = content.reply_for_intent(turn.intent, turn.locale, turn.country, turn.channel)
    answer = with_follow_up(answer, turn, content)
    if turn.intent != DANGER_INTENT and turn.danger_score >= DANGER_SCORE:
        # The model was not sure, but danger came close: the emergency number first, inside this answer.
        danger = content.reply_for_intent(DANGER_INTENT, turn.locale, turn.country)
        return dataclasses.replace(answer, text=f"{danger.text}\n\n{answer.text}")
    return answer


def with_follow_up(answer: RenderedReply, turn: Turn, content: ContentLibrary) -> RenderedReply:
    """A topic's answer to a short follow-up: what the follow-up asks first ("Without papers: ..."), then
    the topic for the person's country, with its services; the notes' buttons before the topic's."""
    entry = content.entry_for_intent(turn.intent)
    if not turn.follow_up or entry is None or entry.kind != "topic":
        return answer
    label = content.label(entry.id, turn.locale)
    notes = [
        content.reply(note_entry(kind), turn.locale, turn.country, turn.channel) for kind in turn.follow_up
    ]
    text = "\n\n".join([*(note.text.replace(TOPIC_PLACEHOLDER, label) for note in notes), answer.text])
    own = {f"/{intent}" for intent in entry.answers}
    buttons = {
        button.payload: button
        for button in (*(button for note in notes for button in note.buttons), *answer.buttons)
        if button.payload not in own
    }
    return dataclasses.replace(answer, text=text, buttons=tuple(buttons.values()))


def log_answer(event: str, reply: RenderedReply, started: float, pseudonym: str = "") -> None:
    """Log which entry answered, in which language and variant, for whom (the pseudonym's 12-character
    prefix: which Rasa process a conversation is on shows in the scale-out test), and how long it took
    (never text)."""
    log.info(
        event,
        pseudonym=pseudonym[:12],
        entry=reply.entry_id,
        locale=reply.locale,
        jurisdiction=reply.jurisdiction,
        fallback_locale=reply.fallback_locale,
        ms=round((time.perf_counter() - started) * 1000, 2),
    )
