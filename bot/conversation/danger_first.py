"""Danger first: a message that may mean danger now gets the emergency number before anything else.

The danger net (bot/content/danger.py, reviewed lexicons in content/danger/) reads every typed message
beside the model, so that a danger the model takes for something else ("they locked me in the room and
there is no food") still gets the country's emergency number first, whatever else is answered.
"""

from __future__ import annotations

from typing import Protocol

from bot.content import ContentLibrary
from bot.content.danger import DangerSignal
from bot.content.schema import DANGER_INTENT
from bot.messages import Button, Reply


class DangerAssessor(Protocol):
    """Says whether a text may mean danger now (bot.content.danger.DangerNet)."""

    def assess(self, text: str) -> DangerSignal | None:
        """The cue of imminent harm found in `text`, or None."""
        ...


class DangerFirst:
    """The danger net and the danger reply it puts first."""

    def __init__(self, net: DangerAssessor, content: ContentLibrary) -> None:
        self._net = net
        self._content = content

    def assess(self, text: str) -> DangerSignal | None:
        """The danger cue in what the person typed; buttons and commands are never danger."""
        if not text.strip() or text.startswith("/"):
            return None
        return self._net.assess(text)

    def emergency_reply(self, locale: str, country: str | None) -> Reply:
        """The short danger reply: the country's emergency number (or 112/999/911 and the question)."""
        rendered = self._content.reply_for_intent(DANGER_INTENT, locale, country)
        return Reply(
            rendered.text, tuple(Button(button.title, button.payload) for button in rendered.buttons)
        )


def put_first(emergency: Reply, replies: list[Reply]) -> list[Reply]:
    """The emergency reply before the others, unless the first one already starts with it."""
    if replies and replies[0].text.startswith(emergency.text):
        return replies
    return [emergency, *replies]
