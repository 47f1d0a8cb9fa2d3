"""What a blocked person reads: a neutral message and their country's emergency numbers, never silence.

A supervisor may block a pseudonym for a while after abusive chats (bot/store/blocks.py). The person is
then answered by neither the bot's engine nor a counsellor: each message gets the reviewed `blocked` entry
(no accusation) and the emergency reply of their country. A message that may mean danger gets the
emergency reply first, as every message does.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

import structlog

from bot.content import ContentLibrary
from bot.content.schema import DANGER_INTENT
from bot.messages import Reply

log = structlog.get_logger(__name__)

BLOCKED_ENTRY = "blocked"


class BlockList(Protocol):
    """Which pseudonyms are blocked now (bot.store.blocks.BlockStore)."""

    def blocked_until(self, pseudonym: str) -> object | None:
        """When the person's block ends, or None when they are not blocked."""
        ...


class BlockedDesk:
    """Tells whether a person is blocked, and what they read then."""

    def __init__(self, blocks: BlockList, content: ContentLibrary) -> None:
        self._blocks = blocks
        self._content = content

    async def is_blocked(self, pseudonym: str) -> bool:
        """True while a block is in force; a store that cannot tell blocks nobody (never silence)."""
        try:
            return await asyncio.to_thread(self._blocks.blocked_until, pseudonym) is not None
        except Exception as error:
            log.warning("blocks_not_read", error=type(error).__name__)
            return False

    def replies(self, locale: str, country: str | None, danger: bool) -> list[Reply]:
        """The neutral message and the emergency reply; the emergency reply first when it may be danger."""
        neutral = self._content.reply(BLOCKED_ENTRY, locale, country).as_reply()
        emergency = self._content.reply_for_intent(DANGER_INTENT, locale, country).as_reply()
        return [emergency, neutral] if danger else [neutral, emergency]
