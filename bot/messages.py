"""The shared vocabulary of every layer: the messages that flow from a channel to the core and back."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol


class Channel(str, Enum):
    """Where a survivor is writing from."""

    TELEGRAM = "telegram"
    WEBCHAT = "webchat"
    WHATSAPP = "whatsapp"
    SMS = "sms"


@dataclass(frozen=True)
class Button:
    """A choice offered with a reply; `payload` is sent back as if the person typed it."""

    title: str
    payload: str


@dataclass(frozen=True)
class IncomingMessage:
    """Something a survivor wrote (or a button they pressed), already pseudonymised."""

    pseudonym: str
    channel: Channel
    text: str
    locale: str = "en"
    # How the channel reaches this person again (a Telegram chat id). Kept only by a handoff, encrypted and
    # expiring; never logged or stored otherwise.
    reply_route: str | None = field(default=None, repr=False)
    # A channel's id of this message (Telegram update id), so a redelivered message is relayed once.
    message_key: str | None = None
    # Where the message came from when one place can speak as many people (the web chat's client address),
    # as a keyed hash, never the address: the handoff caps the open tickets of one source.
    source: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Reply:
    """One message to show the survivor, in the locale the conversation core chose for the turn."""

    text: str
    buttons: tuple[Button, ...] = field(default_factory=tuple)
    locale: str | None = None
    # What the channel does around this reply, for the person's privacy:
    clear_chat: bool = False  # delete the conversation from the person's app before showing this reply
    erased: bool = False  # everything about the person was erased: clear the chat and forget the session
    disappear_after_s: int | None = None  # delete this reply from the person's app after so many seconds
    vanish_after_s: int | None = None  # vanishing mode was set: the chat goes after this silence (0: off)

    @property
    def clears_chat(self) -> bool:
        """The channel deletes the conversation from the person's app before showing this reply."""
        return self.clear_chat or self.erased


class ConversationHandler(Protocol):
    """What a channel needs from the conversation core: one message in, replies out."""

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        """Answer a survivor's message; never raises for a problem the person should hear about."""
        ...

    async def locale_for(self, pseudonym: str, channel: Channel, hint: str) -> str:
        """The locale this person is answered in (for a channel's own notices, such as "text only")."""
        ...
