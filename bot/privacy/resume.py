"""The resume code turn: give a person a code, or continue their conversation where they type it.

No account: on request (`/code`, `/resume`, the "code to continue" button, or a request phrase of
content/resume/) the person gets a few common words in their language (bot.privacy.resume_words), kept
only as a keyed hash that expires (bot.privacy.resume_codes). Typed alone on any channel, the code brings
back their language, country and an open handoff (the same ticket, so the same counsellor), never a past
message; it is then used up. Attempts are rate-limited; erase and the safe word delete the code.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

import structlog

from bot.content import ContentLibrary
from bot.handoff.queue import Ticket
from bot.messages import Button, IncomingMessage, Reply
from bot.metrics import Metrics
from bot.privacy.resume_codes import Holder, ResumeCodes
from bot.privacy.resume_words import CodeWords
from bot.store.conversations import StoredConversation

log = structlog.get_logger(__name__)

REQUESTS = ("/code", "/resume", "/resume_code")  # commands and the button's payload
ISSUED_ENTRY = "resume_code"
RESTORED_ENTRY = "resume_restored"
HANDOFF_ENTRY = "resume_handoff"
UNKNOWN_ENTRY = "resume_unknown"
LOCKED_ENTRY = "resume_locked"
STRONG_SOURCES = ("detected", "explicit")  # bot.conversation.language.LocaleSource, by name
ISSUE_TRIES = 5  # a fresh code that is, by chance, already someone's is drawn again


class Conversations(Protocol):
    """Where a person's language and country are kept (bot.store.conversations.ConversationStore); the
    core records what a code restores, as for any turn."""

    def state_of(self, pseudonym: str, channel: str) -> StoredConversation | None:
        """What was kept of a person's conversation."""
        ...


class Handoffs(Protocol):
    """The handoff desk's part in a resume (bot.handoff.desk.HandoffDesk)."""

    async def open_ticket(self, message: IncomingMessage) -> Ticket | None:
        """The person's open ticket on this channel."""
        ...

    async def open_ticket_of(self, channel: str, pseudonym: str) -> Ticket | None:
        """The open ticket of a person on a channel."""
        ...

    async def move(self, ticket: Ticket, message: IncomingMessage) -> Ticket | None:
        """Continue the ticket as the person of `message`."""
        ...


@dataclass(frozen=True)
class Resumed:
    """A resume turn: its replies, and the language and country it brought back (if a code was used)."""

    replies: list[Reply]
    restored: StoredConversation | None = None


class ResumeTurns(Protocol):
    """What the conversation core asks of the resume desk."""

    def wants(self, text: str) -> bool:
        """True when the message asks for a code or is typed like one."""
        ...

    async def turn(self, message: IncomingMessage, locale: str, country: str | None) -> Resumed | None:
        """The replies, and the language and country a code brought back."""
        ...


class ResumeDesk:
    """Answers requests for a code and typed codes; None for every other message."""

    def __init__(
        self,
        content: ContentLibrary,
        words: CodeWords,
        codes: ResumeCodes,
        conversations: Conversations,
        handoff: Handoffs | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._content = content
        self._words = words
        self._codes = codes
        self._conversations = conversations
        self._handoff = handoff
        self._metrics = metrics or Metrics()

    def is_request(self, text: str) -> bool:
        """True when the message asks for a code."""
        return text.strip().lower() in REQUESTS or self._words.is_request(text)

    def wants(self, text: str) -> bool:
        """True when this turn is the resume desk's (asked before the danger net is consulted)."""
        return self.is_request(text) or self.is_attempt(text)

    def is_attempt(self, text: str) -> bool:
        """True when the message is typed like a code (it is never passed on to the dialogue engine)."""
        return self._words.looks_like_code(text)

    async def turn(self, message: IncomingMessage, locale: str, country: str | None) -> Resumed | None:
        """The replies of a resume turn, or None when the message neither asks for nor types a code."""
        if self.is_request(message.text):
            return Resumed([await self._issue(message, locale, country)])
        if not self.is_attempt(message.text):
            return None
        if self._handoff is not None and await self._handoff.open_ticket(message) is not None:
            return None  # in a counsellor's chat here, words go to the counsellor as written
        return await self._attempt(message, locale, country)

    async def _issue(self, message: IncomingMessage, locale: str, country: str | None) -> Reply:
        channel = message.channel
        for _ in range(ISSUE_TRIES):
            code = self._words.draw(locale)
            if await self._codes.issue(channel, message.pseudonym, code):
                break
        else:  # 2^30 codes and a few thousand live ones: not reached in practice
            raise RuntimeError("no free resume code was drawn")
        self._event("issued", message)
        days = max(1, self._codes.ttl_s // 86400)
        rendered = self._content.reply(ISSUED_ENTRY, locale, country, channel=channel.value).as_reply()
        text = rendered.text.replace("{code}", code).replace("{days}", str(days))
        # It stays in the chat (a channel's "disappear" clears the whole chat, a counsellor's too): the
        # WhatsApp and SMS variants ask the person to delete it once noted.
        return Reply(text, rendered.buttons)

    async def _attempt(self, message: IncomingMessage, locale: str, country: str | None) -> Resumed:
        channel, pseudonym = message.channel, message.pseudonym
        if not await self._codes.allow_try(channel.value, pseudonym, message.source):
            self._event("locked", message)
            return Resumed([self._reply(LOCKED_ENTRY, locale, country, message)])
        holder = await self._codes.redeem(self._words.spaced(message.text) or message.text)
        if holder is None:
            self._event("unknown", message)
            return Resumed([self._reply(UNKNOWN_ENTRY, locale, country, message)])
        state = await asyncio.to_thread(self._conversations.state_of, holder.pseudonym, holder.channel.value)
        restored = state or StoredConversation(locale, "client", country)
        # At least as strong as a detection: the new app's language hint must not undo what the code restored.
        source = restored.locale_source if restored.locale_source in STRONG_SOURCES else "detected"
        restored = StoredConversation(restored.locale, source, restored.country)
        moved = await self._continue_handoff(holder, message)
        self._event("restored", message, from_channel=holder.channel.value, handoff=moved)
        replies = [self._reply(RESTORED_ENTRY, restored.locale, restored.country, message)]
        if moved:
            replies.append(self._reply(HANDOFF_ENTRY, restored.locale, restored.country, message))
        return Resumed(replies, restored)

    async def _continue_handoff(self, holder: Holder, message: IncomingMessage) -> bool:
        """The holder's open ticket continues here, if they have one (and this person has none)."""
        if self._handoff is None:
            return False
        ticket = await self._handoff.open_ticket_of(holder.channel.value, holder.pseudonym)
        if ticket is None:
            return False
        if (ticket.channel, ticket.pseudonym) == (message.channel.value, message.pseudonym):
            return True
        return await self._handoff.move(ticket, message) is not None

    def _reply(self, entry_id: str, locale: str, country: str | None, message: IncomingMessage) -> Reply:
        rendered = self._content.reply(entry_id, locale, country, channel=message.channel.value)
        return Reply(rendered.text, tuple(Button(b.title, b.payload) for b in rendered.buttons))

    def _event(self, event: str, message: IncomingMessage, **fields: str | bool) -> None:
        """A metric and a log line: never the code, never the text."""
        self._metrics.resume_code(event, message.channel.value)
        log.info(f"resume_{event}", pseudonym=message.pseudonym[:12], channel=message.channel.value, **fields)
