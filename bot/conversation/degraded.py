"""Answers from content/ alone, for when the engine cannot answer (it is down, or the action server is).

Buttons and commands name their intent (`/ask_shelter`), so they need no understanding: they get the same
reviewed entry the engine would have chosen, in the person's language and for their country. Free text
cannot be understood without the engine: it gets the emergency number (the danger entry, which asks for
the country while it is unknown) and a short note with the menu, whose buttons work. The danger net still
reads every message before this (bot/conversation/core.py).
"""

from __future__ import annotations

from bot.content import ContentLibrary
from bot.content.schema import DANGER_INTENT
from bot.i18n import Translator, _
from bot.messages import Button, Reply

DEGRADED_NOTE = _(
    "Sorry, I can't read written messages right now. The buttons below still work. "
    "If you are in danger, call the emergency number above."
)
# After the emergency number, the danger answer's second message (as the action server sends it).
DANGER_FOLLOW_UP = "danger_next"


class ContentOnlyAnswers:
    """What the person reads while the engine is away: entries for buttons, the menu for text."""

    def __init__(self, content: ContentLibrary) -> None:
        self._content = content

    def replies(self, text: str, locale: str, country: str | None, channel: str | None = None) -> list[Reply]:
        """The replies to a turn the engine could not take (the channel's variant of an entry, if any)."""
        intent = text[1:].split("{", 1)[0].strip() if text.startswith("/") else None
        if intent == DANGER_INTENT:
            return [
                self._entry_for(DANGER_INTENT, locale, country),
                self._entry(DANGER_FOLLOW_UP, locale, country),
            ]
        if intent and self._content.entry_for_intent(intent) is not None:
            return [self._content.reply_for_intent(intent, locale, country, channel).as_reply()]
        translate = Translator(self._content.catalog_dir, locale).gettext
        menu = tuple(Button(button.title, button.payload) for button in self._content.menu(locale))
        return [self._entry_for(DANGER_INTENT, locale, country), Reply(translate(DEGRADED_NOTE), menu)]

    def _entry_for(self, intent: str, locale: str, country: str | None) -> Reply:
        return self._content.reply_for_intent(intent, locale, country).as_reply()

    def _entry(self, entry_id: str, locale: str, country: str | None) -> Reply:
        return self._content.reply(entry_id, locale, country).as_reply()
