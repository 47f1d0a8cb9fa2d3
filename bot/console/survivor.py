"""What the console sends to a survivor: counsellors' messages and the helpline's own lines, in the
survivor's language, through the relay, kept (encrypted) in the transcript."""

from __future__ import annotations

import asyncio
import uuid

import anyio
import structlog

from bot.console.deps import ConsoleDeps
from bot.handoff.queue import Ticket
from bot.i18n import Translator, _

log = structlog.get_logger(__name__)

JOINED = _("A counsellor has joined the chat. You can write to them now.")
ENDED = _("The counsellor has ended the chat. You are talking with the helpline bot again.")
MAX_TEXT_CHARS = 4096  # Telegram's limit for one message; the web chat takes as much


def message_key(kind: str) -> str:
    """A new idempotency key: `c-…` for a counsellor's message, `s-…` for a system line."""
    return f"{kind}-{uuid.uuid4().hex}"


async def tell_survivor(deps: ConsoleDeps, ticket: Ticket, line: str) -> None:
    """Send one of the helpline's lines (a catalog string) to the survivor, in their locale."""
    text = Translator(deps.catalog_dir, ticket.locale).gettext(line)
    key = message_key("s")
    with anyio.CancelScope(shield=True):
        await deps.relay.to_survivor(ticket.id, ticket.channel, ticket.pseudonym, text, key, sender="system")
        # Kept as the bot's words: the transcript shows what the survivor read; the store knows no "system".
        await asyncio.to_thread(deps.handoffs.add_message, ticket.id, "bot", text, key)


async def send_as_counsellor(deps: ConsoleDeps, ticket: Ticket, counsellor_id: int, text: str) -> str:
    """Send a counsellor's message to the survivor and keep it; its key."""
    key = message_key("c")
    # Shielded: a page closing mid-send must not leave a message sent but missing from the transcript.
    with anyio.CancelScope(shield=True):
        await deps.relay.to_survivor(ticket.id, ticket.channel, ticket.pseudonym, text, key)
        await asyncio.to_thread(deps.handoffs.add_message, ticket.id, "counsellor", text, key)
    log.info("console_message_sent", ticket=ticket.id[:8], counsellor=counsellor_id)
    return key


async def keep_note(deps: ConsoleDeps, ticket: Ticket, counsellor_id: int, text: str) -> str:
    """Keep a private note on the handoff: never sent to the survivor; audited (without its text)."""
    key = message_key("n")
    with anyio.CancelScope(shield=True):
        await asyncio.to_thread(deps.handoffs.add_message, ticket.id, "note", text, key)
        await asyncio.to_thread(deps.handoffs.audit, "note", counsellor_id, ticket.id, "")
    return key


def clean_text(text: object) -> str | None:
    """The text of a message or note, trimmed; None when empty or too long."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    return text if text and len(text) <= MAX_TEXT_CHARS else None
