"""The Telegram gateway process: python-telegram-bot over the shared services, delivery and chat cleanup."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

from tornado.httpserver import HTTPServer

from bot.channels.telegram import TelegramAdapter, TelegramConfig
from bot.channels.telegram_cleanup import ChatCleaner
from bot.handoff.delivery import OutboundDelivery
from bot.messages import Channel
from bot.privacy.secrets import webhook_secret
from bot.settings import Settings
from bot.wiring.services import services

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
# An update is a few kilobytes. python-telegram-bot's webhook server (tornado) reads up to 100 MB of a body
# before it looks at the secret token; a bigger one is now refused (400) from its headers, unread.
WEBHOOK_MAX_BODY_BYTES = 1024 * 1024


def limit_webhook_bodies() -> None:
    """Every tornado server this process makes refuses bodies over WEBHOOK_MAX_BODY_BYTES.

    PTB builds its webhook server with tornado's defaults and offers no setting for this; tornado's own
    `Configurable.configure` sets defaults for the servers made afterwards (the gateway makes only that one).
    """
    HTTPServer.configure(None, max_body_size=WEBHOOK_MAX_BODY_BYTES)


def serve_gateway(settings: Settings) -> int:
    """`helpline gateway`: poll (or take webhooks from) Telegram until SIGINT or SIGTERM."""
    if settings.telegram_bot_token is None:
        print("TELEGRAM_BOT_TOKEN is not set: nothing to do.", file=sys.stderr)
        return 2
    asyncio.run(_serve(settings, settings.telegram_bot_token.get_secret_value()))
    return 0


async def _serve(settings: Settings, token: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with services(settings) as opened:
        config = TelegramConfig(
            token,
            settings.telegram_api_base_url,
            settings.catalog_dir,
            opened.pseudonym_secret,
            rate_limit=settings.telegram_rate_limit,
            protect_content=settings.telegram_protect_content,
            hidden_previews=settings.telegram_hidden_previews,
        )
        cleaner = ChatCleaner(opened.ledger, opened.routes, settings.route_ttl_s)
        adapter = TelegramAdapter(config, opened.core, opened.redis, cleaner)
        application = adapter.build()
        updates: list[Any] = list(ALLOWED_UPDATES)
        async with application:
            if application.post_init is not None:  # run_polling would call it; we start by hand
                await application.post_init(application)
            await application.start()
            assert application.updater is not None
            if settings.telegram_webhook_url:
                limit_webhook_bodies()
                await application.updater.start_webhook(
                    listen=settings.telegram_webhook_listen,
                    port=settings.telegram_webhook_port,
                    url_path="telegram",
                    webhook_url=settings.telegram_webhook_url,
                    secret_token=webhook_secret(settings),
                    allowed_updates=updates,
                )
            else:
                await application.updater.start_polling(allowed_updates=updates, timeout=30)
            delivery = OutboundDelivery(
                opened.redis,
                opened.cipher,
                Channel.TELEGRAM.value,
                consumer="telegram-1",  # fixed: after a restart it re-reads what it had not delivered
                deliver=lambda message: adapter.deliver(application.bot, opened.routes, message),
                max_age_s=settings.route_ttl_s,  # the person cannot be reached for longer than this
            )
            delivering = asyncio.create_task(delivery.run(stop))
            sweeping = asyncio.create_task(cleaner.sweep(application.bot, stop))  # vanishing chats
            await stop.wait()
            await asyncio.gather(delivering, sweeping)
            await application.updater.stop()
            await application.stop()
