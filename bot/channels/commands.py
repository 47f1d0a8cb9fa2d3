"""Commands a person can type on any channel that has no buttons for them at every moment (`/erase` in a
counsellor's chat): what each one sends to the conversation core, as if its button had been pressed."""

from __future__ import annotations

from bot.channels.capabilities import capabilities_of
from bot.messages import Channel

COMMAND_PAYLOADS = {
    "start": "/greet",
    "help": "/bot_capabilities",
    "language": "/change_language",
    "country": "/change_country",
    "privacy": "/privacy_question",
    "erase": "/delete_data",
    "vanish": "/vanish_menu",
    "code": "/resume_code",  # bot/privacy/resume.py
    "resume": "/resume_code",
}


def command_payload(text: str, channel: Channel) -> str | None:
    """The payload of a typed command (`/erase`, `/Erase@bot`), or None when `text` is not a command this
    channel offers (no `/vanish` where the chat cannot vanish)."""
    if not text.startswith("/") or " " in text.strip():
        return None
    command = text.strip()[1:].split("@")[0].lower()
    if command == "vanish" and not capabilities_of(channel).vanishing:
        return None
    return COMMAND_PAYLOADS.get(command)
