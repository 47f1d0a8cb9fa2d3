"""What the conversation core needs from the parts around it, as protocols: the privacy controls, the
handoff desk and the conversation log. Tests give the core fakes of these (tests/unit/test_core_routing.py).
"""

from __future__ import annotations

from typing import Protocol

from bot.handoff.queue import Ticket
from bot.messages import IncomingMessage, Reply
from bot.store.conversations import StoredConversation


class PrivacyTurns(Protocol):
    """The privacy controls (bot.privacy.desk): erase, vanishing mode and the safe word."""

    def is_erase(self, text: str) -> bool:
        """True when the message confirms an erase (counters must be written before it runs)."""
        ...

    async def turn(self, message: IncomingMessage, locale: str, country: str | None) -> list[Reply] | None:
        """The replies of a privacy control, or None when the message is not one."""
        ...


class HandoffTurns(Protocol):
    """The survivor's side of a handoff (bot.handoff.desk): join, write to the counsellor, leave."""

    async def open_ticket(self, message: IncomingMessage) -> Ticket | None:
        """The person's waiting or claimed ticket, if any."""
        ...

    async def join(
        self, message: IncomingMessage, token: str, locale: str, country: str | None
    ) -> list[Reply] | None:
        """Queue the person, who consented to the offer of this token; None when that queues nobody."""
        ...

    async def forward(self, ticket: Ticket, message: IncomingMessage, key: str) -> None:
        """Pass what the person wrote to their counsellor."""
        ...

    async def leave(self, message: IncomingMessage, locale: str) -> list[Reply]:
        """Take the person out of the queue."""
        ...


class ConversationLog(Protocol):
    """Where the fact of a conversation is recorded (never its text), with the locale and country."""

    def state_of(self, pseudonym: str, channel: str) -> StoredConversation | None:
        """What was kept of a person's conversation, if they wrote before."""
        ...

    def record_message(
        self,
        pseudonym: str,
        channel: str,
        locale: str,
        locale_source: str,
        country: str | None = None,
        pending_intent: str | None = None,
    ) -> None:
        """Count one incoming message and keep its locale, country and pending country question."""
        ...
