"""The Telegram gateway process: python-telegram-bot over the shared services, delivery and chat cleanup."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
from collections.abc import Iterator
from typing import Any

import structlog
import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp
from telegram.ext import Application

from bot.channels.telegram import TelegramAdapter, TelegramConfig
from bot.channels.telegram_cleanup import ChatCleaner
from bot.channels.telegram_webhook import TelegramWebhook
from bot.handoff.delivery import OutboundDelivery
from bot.messages import Channel
from bot.privacy.secrets import webhook_secret
from bot.settings import Settings
from bot.web.health import Readiness, database_check, health_routes, redis_check
from bot.wiring.services import Services, services

log = structlog.get_logger(__name__)

TelegramApplication = Application[Any, Any, Any, Any, Any, Any]
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]


class WebhookServer(uvicorn.Server):
    """uvicorn serving the webhook inside the gateway's event loop; the gateway handles SIGINT and SIGTERM."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Leave the process's signal handlers alone (uvicorn would replace them)."""
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start listening, then say so."""
        await super().startup(sockets)
        if self.started:
            self.listening.set()


async def start_webhook_server(
    webhook: ASGIApp, host: str, port: int
) -> tuple[WebhookServer, asyncio.Task[None]]:
    """Serve the webhook (or the health app) on host:port; returns once it listens (raises if it stopped
    before)."""
    config = uvicorn.Config(
        webhook,
        host=host,
        port=port,
        lifespan="off",
        access_log=False,  # access logs would keep addresses
        log_config=None,
        proxy_headers=False,
        server_header=False,
    )
    server = WebhookServer(config)
    serving = asyncio.create_task(server.serve())
    listening = asyncio.create_task(server.listening.wait())
    await asyncio.wait((serving, listening), return_when=asyncio.FIRST_COMPLETED)
    if not server.listening.is_set():
        listening.cancel()
        serving.result()  # the reason it stopped
        raise RuntimeError("the webhook server stopped before it listened")
    return server, serving


def health_app(opened: Services, application: TelegramApplication, delivery: OutboundDelivery) -> Starlette:
    """The gateway's /healthz, /readyz and /metrics: Redis, the database, Rasa with a model, and Telegram
    updates coming in (polling or the webhook started)."""
    settings = opened.settings

    async def telegram() -> bool:
        updater = application.updater
        return application.running and (
            updater is None or updater.running or bool(settings.telegram_webhook_url)
        )

    async def refresh() -> None:
        opened.metrics.outbound_pending.labels(Channel.TELEGRAM.value).set(await delivery.pending())

    checks = {
        "redis": redis_check(opened.redis),
        "database": database_check(opened.database),
        "rasa": opened.rasa.ready,
        "telegram": telegram,
    }
    token = settings.metrics_token
    routes = health_routes(
        Readiness(checks, settings.readiness_timeout_s),
        opened.metrics,
        token.get_secret_value() if token is not None else None,
        refresh=refresh,
    )
    return Starlette(routes=routes)


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
        delivery = OutboundDelivery(
            opened.redis,
            opened.cipher,
            Channel.TELEGRAM.value,
            consumer="telegram-1",  # fixed: after a restart it re-reads what it had not delivered
            deliver=lambda message: adapter.deliver(application.bot, opened.routes, message),
            max_age_s=settings.route_ttl_s,  # the person cannot be reached for longer than this
            metrics=opened.metrics,
        )
        # Alive from the start (a probe can tell "starting" from "dead"), on its own port in both modes.
        # Without it (its port taken), people are still answered: the relay matters more than the probe.
        health: tuple[WebhookServer, asyncio.Task[None]] | None = None
        try:
            health = await start_webhook_server(
                health_app(opened, application, delivery),
                settings.gateway_health_host,
                settings.gateway_health_port,
            )
        except (Exception, SystemExit) as error:  # uvicorn exits when it cannot bind
            log.error(
                "gateway_health_unavailable", port=settings.gateway_health_port, error=type(error).__name__
            )
        try:
            await _run_bot(settings, application, delivery, cleaner, stop)
        finally:
            if health is not None:
                health[0].should_exit = True
                await health[1]


async def _run_bot(
    settings: Settings,
    application: TelegramApplication,
    delivery: OutboundDelivery,
    cleaner: ChatCleaner,
    stop: asyncio.Event,
) -> None:
    """Take updates (polling or webhook) and deliver counsellors' messages until `stop` is set."""
    updates: list[Any] = list(ALLOWED_UPDATES)
    async with application:
        if application.post_init is not None:  # run_polling would call it; we start by hand
            await application.post_init(application)
        await application.start()
        assert application.updater is not None
        webhook_server = None
        if settings.telegram_webhook_url:
            # PTB's "custom webhook": our endpoint queues the updates (bot/channels/telegram_webhook.py).
            secret = webhook_secret(settings)
            webhook = TelegramWebhook(application.bot, application.update_queue, secret)
            webhook_server = await start_webhook_server(
                webhook, settings.telegram_webhook_listen, settings.telegram_webhook_port
            )
            await application.bot.set_webhook(
                settings.telegram_webhook_url, secret_token=secret, allowed_updates=updates
            )
        else:
            await application.updater.start_polling(allowed_updates=updates, timeout=30)
        delivering = asyncio.create_task(delivery.run(stop))
        sweeping = asyncio.create_task(cleaner.sweep(application.bot, stop))  # vanishing chats
        await stop.wait()
        await asyncio.gather(delivering, sweeping)
        if webhook_server is not None:
            server, serving = webhook_server
            server.should_exit = True
            await serving
        else:
            await application.updater.stop()
        await application.stop()
