"""The web chat's frames: what the page may send, read without ever raising, and what the server sends back.

The protocol (JSON text frames):
- page → server: `{"type": "hello", "session", "languages"}` first, then `{"type": "message", "id", "text"}`,
  where `id` is random (crypto.getRandomValues), the same each time the page sends that message again;
- server → page: `ready` (the session, the page's words), `interface` (a language switch), `reply` (with
  `reply_to`, the message's id, or none for a counsellor's message), `error` (a kind explanation, with
  `reply_to`), and `ack` (`id`): the message was handled. The page keeps a message in its outbox
  (sessionStorage) until its ack or error, and sends it again after a reconnect; the server handles each id
  once (`webchat_frames.py`), so a message sent as the web process died is neither lost nor doubled.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.i18n import _, text_direction
from bot.messages import Reply
from bot.web.chat_page import page_text

TOO_LONG = _("That message is too long. Please send it in shorter parts.")
NOT_UNDERSTOOD = _("Sorry, I could not read that message. Please try again.")
MAX_TEXT_CHARS = 4096
# A frame may escape every character of the longest message (`\uXXXX`); anything bigger is not a message.
MAX_FRAME_CHARS = 6 * MAX_TEXT_CHARS + 1024
MAX_CLIENT_ID_CHARS = 64
MAX_LANGUAGES = 10
# `secrets.token_urlsafe(32)`: 43 characters of the URL-safe base64 alphabet.
SESSION_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8}){0,4}")


@dataclass(frozen=True)
class Hello:
    """The first frame of a socket: who is back (maybe) and which languages they read."""

    session: str | None
    languages: tuple[str, ...]


@dataclass(frozen=True)
class ChatMessage:
    """Something the person typed, or the payload of a button they pressed."""

    id: str | None
    text: str


@dataclass(frozen=True)
class Rejected:
    """A frame that cannot be handled: `kind` is for the logs, `reason` (a catalog string) for the person."""

    reply_to: str | None
    kind: str
    reason: str


Frame = Hello | ChatMessage | Rejected


def parse_frame(raw: str | None) -> Frame:
    """Read one client frame; never raises, whatever a client sends."""
    if raw is None:
        return Rejected(None, "binary_frame", NOT_UNDERSTOOD)
    if len(raw) > MAX_FRAME_CHARS:
        return Rejected(None, "frame_too_long", TOO_LONG)
    try:
        data: Any = json.loads(raw)
    except (ValueError, RecursionError):
        return Rejected(None, "invalid_json", NOT_UNDERSTOOD)
    if not isinstance(data, dict):
        return Rejected(None, "not_an_object", NOT_UNDERSTOOD)
    kind = data.get("type")
    if kind == "hello":
        return Hello(_session_of(data.get("session")), _languages_of(data.get("languages")))
    reply_to = _client_id(data.get("id"))
    if kind != "message":
        return Rejected(reply_to, "unknown_type", NOT_UNDERSTOOD)
    text = data.get("text")
    if not isinstance(text, str):
        return Rejected(reply_to, "text_missing", NOT_UNDERSTOOD)
    text = _well_formed(text).strip()
    if len(text) > MAX_TEXT_CHARS:
        return Rejected(reply_to, "text_too_long", TOO_LONG)
    return ChatMessage(reply_to, text)


def _session_of(value: object) -> str | None:
    return value if isinstance(value, str) and SESSION_TOKEN.fullmatch(value) else None


def _languages_of(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    tags = [tag for tag in value if isinstance(tag, str) and LANGUAGE_TAG.fullmatch(tag)]
    return tuple(tags[:MAX_LANGUAGES])


def _client_id(value: object) -> str | None:
    if not isinstance(value, str) or len(value) > MAX_CLIENT_ID_CHARS:
        return None
    return value if _well_formed(value) == value else None  # echoed in reply_to: must be valid UTF-8


def _well_formed(text: str) -> str:
    """The text with any lone surrogate (JSON can escape half an emoji; UTF-8 cannot carry it) as U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= char <= "\udfff" else char for char in text)
    return text


def reply_frame(reply_to: str | None, reply: Reply) -> dict[str, object]:
    """One of the core's replies, as the browser receives it, with its language and direction."""
    buttons = [{"title": button.title, "payload": button.payload} for button in reply.buttons]
    frame: dict[str, object] = {"type": "reply", "reply_to": reply_to, "text": reply.text, "buttons": buttons}
    if reply.locale:
        frame |= {"locale": reply.locale, "dir": text_direction(reply.locale)}
    # The page does what Telegram's gateway does with the chat: clear it, forget the session, vanish.
    if reply.clears_chat:
        frame["clear"] = True
    if reply.erased:
        frame["forget_session"] = True
    if reply.disappear_after_s is not None:
        frame["disappear_after_s"] = reply.disappear_after_s
    if reply.vanish_after_s is not None:
        frame["vanish_after_s"] = reply.vanish_after_s
    return frame


def interface_frame(catalog_dir: Path, locale: str) -> dict[str, object]:
    """The page's words in a new language, sent when the person switches to it."""
    return {
        "type": "interface",
        "locale": locale,
        "dir": text_direction(locale),
        "text": page_text(catalog_dir, locale),
    }


def ack_frame(frame_id: str) -> dict[str, object]:
    """The message with this id was handled: the page may forget it (a copy sent again changes nothing)."""
    return {"type": "ack", "id": frame_id}


def error_frame(reply_to: str | None, text: str) -> dict[str, object]:
    """A kind, translated explanation of why a frame got no answer."""
    return {"type": "error", "reply_to": reply_to, "text": text}
