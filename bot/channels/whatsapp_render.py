"""A reply as WhatsApp messages: plain text, reply buttons (up to 3), a list (up to 10 rows), or numbered
options the person answers with the number.

WhatsApp's limits (Cloud API, interactive messages): a reply-button title has at most 20 characters, a list
row's title 24, the list's own button 20; a button message's body at most 1024 characters, a list's and a
text's 4096. A longer text goes first as plain text messages, cut between paragraphs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.messages import Button, Reply

MAX_BUTTONS = 3
BUTTON_TITLE_MAX = 20
MAX_ROWS = 10
ROW_TITLE_MAX = 24
LIST_BUTTON_MAX = 20
BUTTON_BODY_MAX = 1024
TEXT_BODY_MAX = 4096
ID_MAX = 256


@dataclass(frozen=True)
class ChoiceWords:
    """The words the renderer adds, in the person's language (content/messages/whatsapp_choices.yml)."""

    list_button: str  # the button that opens a list ("Options")
    answer_with_number: str  # under numbered options ("Reply with the number of your choice.")


@dataclass(frozen=True)
class Rendered:
    """The messages to send, in order, and the payloads a typed number stands for (numbered options)."""

    messages: list[dict[str, Any]]
    choices: tuple[str, ...] = field(default_factory=tuple)


def render(reply: Reply, words: ChoiceWords) -> Rendered:
    """The WhatsApp messages of one reply."""
    buttons = _unique(reply.buttons)
    text = reply.text.strip() or "…"
    if not buttons:
        return Rendered([text_message(part) for part in split_text(text, TEXT_BODY_MAX)])
    if len(buttons) <= MAX_BUTTONS and _fits(buttons, BUTTON_TITLE_MAX):
        *before, body = split_text(text, BUTTON_BODY_MAX)
        return Rendered([*map(text_message, before), _button_message(body, buttons)])
    if len(buttons) <= MAX_ROWS and _fits(buttons, ROW_TITLE_MAX):
        *before, body = split_text(text, TEXT_BODY_MAX)
        return Rendered([*map(text_message, before), _list_message(body, buttons, words.list_button)])
    options = "\n".join(f"{number}. {button.title}" for number, button in enumerate(buttons, 1))
    numbered = f"{text}\n\n{options}\n\n{words.answer_with_number}"
    return Rendered(
        [text_message(part) for part in split_text(numbered, TEXT_BODY_MAX)],
        tuple(button.payload for button in buttons),
    )


def text_message(body: str) -> dict[str, Any]:
    """A plain text message; links are not previewed (a preview would fetch the page from Meta's side)."""
    return {"type": "text", "text": {"body": body, "preview_url": False}}


def template_message(name: str, language: str) -> dict[str, Any]:
    """An approved template without parameters, in `language` (as approved: "en", "es", "pt_BR"…)."""
    return {"type": "template", "template": {"name": name, "language": {"code": language}}}


def split_text(text: str, limit: int) -> list[str]:
    """`text` in parts of at most `limit` characters, cut between paragraphs, else lines, else words."""
    if len(text) <= limit:
        return [text]
    for separator in ("\n\n", "\n", " "):
        pieces = text.split(separator)
        if all(len(piece) <= limit for piece in pieces):
            return _packed(pieces, separator, limit)
    return [text[start : start + limit] for start in range(0, len(text), limit)]


def _packed(pieces: list[str], separator: str, limit: int) -> list[str]:
    parts: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}{separator}{piece}" if current else piece
        if len(candidate) <= limit:
            current = candidate
        else:
            parts.append(current)
            current = piece
    parts.append(current)
    return [part for part in parts if part.strip()] or [""]


def _unique(buttons: tuple[Button, ...]) -> list[Button]:
    """WhatsApp refuses two buttons (or rows) with one id; a payload too long for an id cannot be one."""
    seen: dict[str, Button] = {}
    for button in buttons:
        if len(button.payload) <= ID_MAX:
            seen.setdefault(button.payload, button)
    return list(seen.values())


def _fits(buttons: list[Button], limit: int) -> bool:
    return all(0 < len(button.title) <= limit for button in buttons)


def _button_message(body: str, buttons: list[Button]) -> dict[str, Any]:
    return {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": body},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": button.payload, "title": button.title}}
                    for button in buttons
                ]
            },
        },
    }


def _list_message(body: str, buttons: list[Button], label: str) -> dict[str, Any]:
    return {
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": body},
            "action": {
                "button": label[:LIST_BUTTON_MAX],
                "sections": [{"rows": [{"id": button.payload, "title": button.title} for button in buttons]}],
            },
        },
    }
