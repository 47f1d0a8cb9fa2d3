"""The `helpline` command: run the whole helpline or one of its parts, and look after it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.private_files import keep_files_private
from bot.settings import PROJECT_ROOT, Settings


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `helpline` command."""
    # Once, first: every file and folder this process and its children (Redis, Rasa) make is the owner's
    # alone (0600, 0700), whatever the umask of the shell or service manager that started it.
    keep_files_private()
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
    commands.add_parser(
        "balance", help="spread webhook posts over several gateways (HELPLINE_BALANCER_BACKENDS)"
    ).set_defaults(func=_balance)
    database = commands.add_parser("db", help="database schema")
    database.add_subparsers(dest="db_command", required=True).add_parser(
        "upgrade", help="apply migrations"
    ).set_defaults(func=_db_upgrade)
    content = commands.add_parser("content", help="reviewed content: check it, preview it")
    from bot.commands.content import add_content_commands

    add_content_commands(content.add_subparsers(dest="content_command", required=True))
    nlu = commands.add_parser("nlu", help="language understanding: predict intents with the live model")
    from bot.commands.nlu import add_nlu_commands

    add_nlu_commands(nlu.add_subparsers(dest="nlu_command", required=True))
    from bot.commands.staff import add_staff_commands

    add_staff_commands(commands)
    from bot.commands.rekey import add_rekey_command

    add_rekey_command(commands)
    from bot.commands.report import add_report_command

    add_report_command(commands)

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

    from bot.wiring.helpline import run_helpline

    return run_helpline(Settings(), Path(args.rasa))


def _web(_args: argparse.Namespace) -> int:
    from bot.wiring.web import serve_web

    return serve_web(_settings())


def _balance(_args: argparse.Namespace) -> int:
    from bot.wiring.balancer import serve_balancer

    settings = _settings()
    backends = [url.strip() for url in settings.balancer_backends.split(",") if url.strip()]
    if not backends:
        print("HELPLINE_BALANCER_BACKENDS is not set: nothing to balance.", file=sys.stderr)
        return 2
    return serve_balancer(settings.balancer_host, settings.balancer_port, backends)


def _gateway(_args: argparse.Namespace) -> int:
    from bot.wiring.gateway import serve_gateway

    return serve_gateway(_settings())


def _actions(_args: argparse.Namespace) -> int:
    from bot.wiring.actions import serve_actions

    return serve_actions(_settings())


def _db_upgrade(_args: argparse.Namespace) -> int:
    from bot.store.database import upgrade_database

    upgrade_database(_settings().effective_database_url)
    print("database is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
