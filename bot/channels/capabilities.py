"""What each channel can and cannot do for a person's privacy and for showing answers.

One place for the truth about every channel: the privacy notice, erase, vanishing mode, the safe word,
the threat model and docs/channels.md all follow this table, so a person is never promised what their
channel cannot do (a WhatsApp or SMS message cannot be deleted from the person's phone by us).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.messages import Channel


@dataclass(frozen=True)
class Capabilities:
    """What one channel allows."""

    # We can delete our messages (and the person's) from the person's app.
    deletes_from_phone: bool
    # Vanishing mode (the chat disappears after a silence) is offered: only where we can delete.
    vanishing: bool
    # Buttons the person can tap (else menus are numbered options: "reply 1 for ...").
    buttons: bool
    # Most buttons one reply can carry as real buttons (beyond that: a list or numbered options).
    max_buttons: int
    # Free-form replies are allowed only within this many hours of the person's last message (None: always).
    reply_window_h: int | None
    # Each message costs the person money (SMS): keep answers short.
    costs_per_message: bool


CAPABILITIES: dict[Channel, Capabilities] = {
    Channel.TELEGRAM: Capabilities(
        deletes_from_phone=True,
        vanishing=True,
        buttons=True,
        max_buttons=100,
        reply_window_h=None,
        costs_per_message=False,
    ),
    Channel.WEBCHAT: Capabilities(
        deletes_from_phone=True,
        vanishing=True,
        buttons=True,
        max_buttons=100,
        reply_window_h=None,
        costs_per_message=False,
    ),
    Channel.WHATSAPP: Capabilities(
        deletes_from_phone=False,
        vanishing=False,
        buttons=True,
        max_buttons=3,
        reply_window_h=24,
        costs_per_message=False,
    ),
    Channel.SMS: Capabilities(
        deletes_from_phone=False,
        vanishing=False,
        buttons=False,
        max_buttons=0,
        reply_window_h=None,
        costs_per_message=True,
    ),
}


def capabilities_of(channel: Channel) -> Capabilities:
    """The capabilities of `channel`."""
    return CAPABILITIES[channel]


def short_answers(channel: str | None) -> bool:
    """Whether answers on this channel (by its name, as the core passes it) are the short ones: each SMS
    costs money, so topics are read in their `<topic>_sms` words with a one-line-per-service directory."""
    known = {item.value: item for item in CAPABILITIES}
    return channel in known and CAPABILITIES[known[channel]].costs_per_message


def reply_windows_h() -> dict[str, int]:
    """Channels that allow free replies only for a while after the person's last message: hours, by name."""
    return {
        channel.value: can.reply_window_h
        for channel, can in CAPABILITIES.items()
        if can.reply_window_h is not None
    }
