"""The `helpline` command: run the whole helpline or one of its parts, and look after it."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from typing import Any

from bot.settings import PROJECT_ROOT, Settings


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `helpline` command."""
    parser = argparse.ArgumentParser(prog="helpline", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run", help="start the whole helpline locally (Redis, Rasa, actions, web, Telegram)"
    )
    run.add_argument(
        "--rasa", default=str(PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"), help="rasa executable"
    )
    run.set_defaults(func=_run)
    commands.add_parser("web", help="serve the web chat").set_defaults(func=_web)
    commands.add_parser("gateway", help="run the Telegram gateway").set_defaults(func=_gateway)
    commands.add_parser("actions", help="serve the NLG endpoint and custom actions for Rasa").set_defaults(
        func=_actions
    )
    database = commands.add_parser("db", help="database schema")
    database.add_subparsers(dest="db_command", required=True).add_parser(
        "upgrade", help="apply migrations"
    ).set_defaults(func=_db_upgrade)
    content = commands.add_parser("content", help="reviewed content: check it, preview it")
    from bot.content.cli import add_content_commands

    add_content_commands(content.add_subparsers(dest="content_command", required=True))
    nlu = commands.add_parser("nlu", help="language understanding: predict intents with the live model")
    from bot.engine.predict import add_nlu_commands

    add_nlu_commands(nlu.add_subparsers(dest="nlu_command", required=True))
    from bot.staff_cli import add_staff_commands

    add_staff_commands(commands)

    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


def _settings() -> Settings:
    settings = Settings()
    from bot.logs import configure_logging

    configure_logging(settings.log_level, settings.log_json)
    return settings


def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.run import run_helpline

    return run_helpline(Settings(), Path(args.rasa))


def _web(_args: argparse.Namespace) -> int:
    import uvicorn

    from bot.web.app import create_app
    from bot.wiring import services

    settings = _settings()

    async def serve() -> None:
        async with services(settings) as opened:
            config = uvicorn.Config(
                create_app(opened),
                host=settings.host,
                port=settings.port,
                access_log=False,  # access logs would keep people's IP addresses
                log_config=None,
                ws_max_size=64 * 1024,
            )
            await uvicorn.Server(config).serve()

    asyncio.run(serve())
    return 0


def _gateway(_args: argparse.Namespace) -> int:
    from bot.channels.telegram import TelegramAdapter, TelegramConfig
    from bot.channels.telegram_cleanup import ChatCleaner
    from bot.conversation.messages import Channel
    from bot.handoff.relay import OutboundDelivery
    from bot.privacy.secrets import secret_from
    from bot.wiring import services

    settings = _settings()
    if settings.telegram_bot_token is None:
        print("TELEGRAM_BOT_TOKEN is not set: nothing to do.", file=sys.stderr)
        return 2
    token = settings.telegram_bot_token.get_secret_value()

    async def serve() -> None:
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
            cleaner = ChatCleaner(opened.ledger, opened.relay, settings.route_ttl_s)
            adapter = TelegramAdapter(config, opened.core, opened.redis, cleaner)
            application = adapter.build()
            updates: list[Any] = ["message", "edited_message", "callback_query", "my_chat_member"]
            async with application:
                if application.post_init is not None:  # run_polling would call it; we start by hand
                    await application.post_init(application)
                await application.start()
                assert application.updater is not None
                if settings.telegram_webhook_url:
                    secret = secret_from(
                        settings.telegram_webhook_secret, settings.data_dir / "secrets" / "webhook.secret"
                    )
                    await application.updater.start_webhook(
                        listen=settings.telegram_webhook_listen,
                        port=settings.telegram_webhook_port,
                        url_path="telegram",
                        webhook_url=settings.telegram_webhook_url,
                        secret_token=secret,
                        allowed_updates=updates,
                    )
                else:
                    await application.updater.start_polling(allowed_updates=updates, timeout=30)
                delivery = OutboundDelivery(
                    opened.redis,
                    opened.cipher,
                    Channel.TELEGRAM.value,
                    consumer="telegram-1",  # fixed: after a restart it re-reads what it had not delivered
                    deliver=lambda message: adapter.deliver(application.bot, opened.relay, message),
                )
                delivering = asyncio.create_task(delivery.run(stop))
                sweeping = asyncio.create_task(cleaner.sweep(application.bot, stop))  # vanishing chats
                await stop.wait()
                await asyncio.gather(delivering, sweeping)
                await application.updater.stop()
                await application.stop()

    asyncio.run(serve())
    return 0


def _actions(_args: argparse.Namespace) -> int:
    import uvicorn

    from bot.actions.server import create_action_server
    from bot.content import ContentLibrary
    from bot.handoff.availability import CounsellorAvailability
    from bot.handoff.schedule import Staffing
    from bot.wiring import open_redis

    settings = _settings()
    availability = CounsellorAvailability(
        open_redis(settings.effective_redis_url), Staffing.load(settings.effective_staffing_file)
    )
    app = create_action_server(ContentLibrary.load(settings.content_dir), settings.catalog_dir, availability)
    uvicorn.run(
        app, host=settings.actions_host, port=settings.actions_port, access_log=False, log_config=None
    )
    return 0


def _db_upgrade(_args: argparse.Namespace) -> int:
    from bot.store.database import upgrade_database

    upgrade_database(_settings().effective_database_url)
    print("database is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
