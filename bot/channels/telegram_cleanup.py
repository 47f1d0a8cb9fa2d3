"""Deleting a person's messages from their own Telegram chat: at once, or when their chat is due to vanish.

Erase and the safe word clear the chat at once; vanishing mode (and an erase's one-line notice) clears it
when due, by a sweeper in the gateway. What it needs is kept in Redis, encrypted: the chat's message ids
(`ChatLedger`, 48 hours, as long as Telegram lets a bot delete) and, only while vanishing mode needs it, the
way back to the chat (the route, expiring after inactivity).
"""

from __future__ import annotations

import asyncio
import time

import structlog
from telegram import Bot
from telegram.error import TelegramError

from bot.handoff.routes import RouteStore
from bot.messages import Channel
from bot.periodic import every
from bot.privacy.ledger import ChatLedger

log = structlog.get_logger(__name__)

CHANNEL = Channel.TELEGRAM.value
DELETE_BATCH = 100  # deleteMessages takes at most 100 ids
SWEEP_EVERY_S = 2.0
NOTICE_ROUTE_MARGIN_S = 60  # the route outlives a disappearing notice by this much, then goes


class ChatCleaner:
    """Remembers what is in a person's chat and deletes it when asked or when due."""

    def __init__(self, ledger: ChatLedger, routes: RouteStore, route_ttl_s: int) -> None:
        self._ledger = ledger
        self._routes = routes
        self._route_ttl_s = route_ttl_s

    async def remember(self, chat_id: int, pseudonym: str, message_id: int) -> None:
        """Note a message now in the chat; with vanishing mode on, keep the way back to delete it later."""
        try:
            due = await self._ledger.record(CHANNEL, pseudonym, [message_id])
            if due is not None:
                await self._routes.remember(CHANNEL, pseudonym, str(chat_id), self._route_ttl_s)
        except Exception as error:  # answering matters more; this message then stays in the chat
            log.warning("ledger_not_recorded", error=type(error).__name__)

    async def clear(self, bot: Bot, chat_id: int, pseudonym: str) -> int:
        """Delete every message of the chat that can still be deleted; how many."""
        ids = await self._ledger.take(CHANNEL, pseudonym)
        for start in range(0, len(ids), DELETE_BATCH):
            try:
                await bot.delete_messages(chat_id, ids[start : start + DELETE_BATCH])
            except TelegramError as error:  # too old, or already gone: the rest is still tried
                log.warning("chat_not_cleared", error=type(error).__name__)
        log.info("chat_cleared", pseudonym=pseudonym[:12], messages=len(ids))
        return len(ids)

    async def clear_later(self, chat_id: int, pseudonym: str, after_s: int) -> None:
        """Delete the chat (an erase's "Done.") after `after_s`; kept in Redis, so a restart still does it."""
        ttl_s = after_s + NOTICE_ROUTE_MARGIN_S
        await self._routes.remember(CHANNEL, pseudonym, str(chat_id), ttl_s)
        await self._ledger.vanish_at(CHANNEL, pseudonym, time.time() + after_s)

    async def sweep(self, bot: Bot, stop: asyncio.Event) -> None:
        """Until `stop`: delete the chats whose time has come."""
        await every(SWEEP_EVERY_S, stop, lambda: self.sweep_once(bot), "vanish_sweep")

    async def sweep_once(self, bot: Bot) -> int:
        """Delete every chat due now; how many chats."""
        swept = 0
        for pseudonym in await self._ledger.due(CHANNEL):
            route = await self._routes.get(CHANNEL, pseudonym)
            if route is None:  # expired: the ids are of no use without the chat
                log.info("vanish_route_expired", pseudonym=pseudonym[:12])
                await self._ledger.take(CHANNEL, pseudonym)
                continue
            await self.clear(bot, int(route), pseudonym)
            if await self._ledger.vanishing(CHANNEL, pseudonym) is None:
                # Only vanishing mode (or an open handoff) needs the way back; an erase's notice is done.
                await self._routes.forget_unless_held(CHANNEL, pseudonym)
            swept += 1
        return swept
