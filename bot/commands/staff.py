"""`helpline counsellor add|password|reset-second-factor`, `canned add|list` and `purge`: staff tools for
accounts, replies, retention."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from datetime import datetime, timedelta, timezone
from typing import TextIO

from sqlalchemy import Engine

from bot.settings import Settings


def add_staff_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `counsellor`, `canned` and `purge` to the `helpline` command's subparsers."""
    from bot.store.counsellors import ROLES

    counsellor = subparsers.add_parser("counsellor", help="counsellor accounts for the console")
    accounts = counsellor.add_subparsers(dest="counsellor_command", required=True)
    add = accounts.add_parser(
        "add",
        help=(
            "create an account; the password (12+ characters, not a common or trivial one) is asked twice, "
            "or read from stdin when piped"
        ),
    )
    add.add_argument("name", help="the name the counsellor logs in with (not a survivor's name)")
    add.add_argument("--languages", required=True, help="comma-separated locales they speak, e.g. en,es")
    add.add_argument("--role", choices=ROLES, default="counsellor", help="what the account may do")
    add.add_argument("--capacity", type=int, default=2, help="how many people they talk with at once")
    add.add_argument(
        "--console-language",
        help="the locale the console is shown in (e.g. es); without it, the browser's language",
    )
    add.set_defaults(func=run_counsellor_add)
    password = accounts.add_parser(
        "password",
        help="give an account a new password (asked twice, or read from stdin when piped); ends its sessions",
    )
    password.add_argument("name", help="the account's login name")
    password.set_defaults(func=run_counsellor_password)
    reset = accounts.add_parser(
        "reset-second-factor",
        help=(
            "forget an account's second factor (a lost phone) and end its sessions; it sets one up again "
            "at its next login (supervisors and admins must)"
        ),
    )
    reset.add_argument("name", help="the account's login name")
    reset.set_defaults(func=run_counsellor_reset_second_factor)

    canned = subparsers.add_parser("canned", help="canned replies counsellors send in one click")
    replies = canned.add_subparsers(dest="canned_command", required=True)
    canned_add = replies.add_parser("add", help="add a reply in one language; its text is read from stdin")
    canned_add.add_argument("--lang", required=True, help="the locale it is written in, e.g. es")
    canned_add.add_argument("--title", required=True, help="what counsellors see in the list")
    canned_add.set_defaults(func=run_canned_add)
    canned_list = replies.add_parser("list", help="the replies of one language")
    canned_list.add_argument("--lang", required=True, help="locale, e.g. es")
    canned_list.set_defaults(func=run_canned_list)

    purge = subparsers.add_parser(
        "purge", help="delete handoffs, transcripts, conversations and audit lines past their retention"
    )
    purge.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    purge.add_argument(
        "--audit-retention-days", type=int, default=365, help="days the audit trail is kept (default 365)"
    )
    purge.set_defaults(func=run_purge)


def run_counsellor_add(args: argparse.Namespace) -> int:
    """Create a counsellor account; 1 if the name is taken or a value is refused."""
    from bot.store.counsellors import CounsellorExists, CounsellorStore
    from bot.store.passwords import check_password

    try:
        # Checked before the database is opened; the store checks again whatever adds an account.
        password = check_password(read_password(sys.stdin), args.name)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    engine = _database()
    try:
        account = CounsellorStore(engine).add(
            args.name,
            password,
            args.role,
            args.languages,
            capacity=args.capacity,
            console_locale=args.console_language,
        )
    except CounsellorExists:
        print(f"a counsellor called {args.name!r} already exists", file=sys.stderr)
        return 1
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    languages = ",".join(sorted(account.languages))
    print(
        f"counsellor {account.name!r} added: id {account.id}, role {account.role}, "
        f"languages {languages}, capacity {account.capacity}, "
        f"console in {account.console_language or 'the browser language'}"
    )
    if account.needs_second_factor:
        print("at the first login, after the password, they set up a second factor (an authenticator app)")
    return 0


def run_counsellor_password(args: argparse.Namespace) -> int:
    """Set a new password for an account (after a possible loss), and end its sessions."""
    from bot.store.counsellors import CounsellorStore

    try:
        new_password = read_password(sys.stdin)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    engine = _database()
    try:
        store = CounsellorStore(engine)
        account = store.by_name(args.name)
        if account is None:
            print(f"no counsellor called {args.name!r}", file=sys.stderr)
            return 1
        store.set_password(account.id, new_password)
    except ValueError as error:  # a trivial password: the message says why, never the password
        print(error, file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"new password set for {account.name!r}; {_end_sessions(account.id)}")
    return 0


def run_counsellor_reset_second_factor(args: argparse.Namespace) -> int:
    """Forget an account's second factor (audited, by the command line) and end its sessions."""
    from bot.privacy.crypto import transcript_cipher
    from bot.store.counsellors import CounsellorStore
    from bot.store.second_factor import SecondFactorStore

    settings = Settings()
    engine = _database()
    try:
        account = CounsellorStore(engine).by_name(args.name)
        if account is None:
            print(f"no counsellor called {args.name!r}", file=sys.stderr)
            return 1
        SecondFactorStore(engine, transcript_cipher(settings)).reset(account.id, by=None)
    finally:
        engine.dispose()
    print(
        f"second factor of {account.name!r} reset; {_end_sessions(account.id)}; at the next login, after the "
        "password, they set up a new one: tell them to log in soon"
    )
    return 0


def _end_sessions(counsellor_id: int) -> str:
    """End an account's console sessions in Redis; what happened, in a few words."""
    import redis

    from bot.console.auth import SessionStore
    from bot.console.deps import DEFAULT_SESSION_TTL_S
    from bot.handoff.presence import CONSOLE_PREFIX
    from bot.redis_client import open_redis

    async def end() -> None:
        client = open_redis(Settings().effective_redis_url)
        try:
            await SessionStore(client, CONSOLE_PREFIX, DEFAULT_SESSION_TTL_S).end_all(counsellor_id)
        finally:
            await client.aclose()

    try:
        asyncio.run(end())
    except (redis.RedisError, OSError):
        return "Redis not reachable: their open sessions end when they expire (8 h at most)"
    return "their open sessions have ended"


def run_canned_add(args: argparse.Namespace) -> int:
    """Keep a canned reply read from stdin (written and reviewed by staff, in the language it is for)."""
    from bot.i18n import SUPPORTED_LOCALES
    from bot.store.canned import CannedReplyStore

    if args.lang not in SUPPORTED_LOCALES:
        print(f"--lang must be one of {', '.join(SUPPORTED_LOCALES)}", file=sys.stderr)
        return 1
    body = sys.stdin.read().strip()
    engine = _database()
    try:
        reply_id = CannedReplyStore(engine).add(args.lang, args.title, body, None)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"canned reply {reply_id} added ({args.lang}): {args.title}")
    return 0


def run_canned_list(args: argparse.Namespace) -> int:
    """Print the canned replies of one language."""
    from bot.store.canned import CannedReplyStore

    engine = _database()
    try:
        replies = CannedReplyStore(engine).for_locale(args.lang)
    finally:
        engine.dispose()
    for reply_id, title, body in replies:
        print(f"{reply_id:>4}  {title}\n      {body}")
    return 0


def _database() -> Engine:
    """The settings' database, migrated."""
    from bot.store.database import create_database_engine, upgrade_database

    settings = Settings()
    upgrade_database(settings.effective_database_url)
    return create_database_engine(settings.effective_database_url)


def run_purge(args: argparse.Namespace) -> int:
    """Delete (or, with --dry-run, count) what is older than the retention periods."""
    from bot.handoff.queue import ENDED_TTL_S
    from bot.privacy.crypto import transcript_cipher
    from bot.store.handoffs import HandoffStore

    if args.audit_retention_days < 1:
        print("--audit-retention-days must be at least 1", file=sys.stderr)
        return 1
    settings = Settings()
    engine = _database()
    now = datetime.now(timezone.utc)
    try:
        handoffs = HandoffStore(engine, transcript_cipher(settings))
        counts = handoffs.purge(
            now - timedelta(days=settings.transcript_retention_days),
            dry_run=args.dry_run,
            audit_older_than=now - timedelta(days=args.audit_retention_days),
        )
        # What was deleted must not stay in the files either: SQLite's WAL emptied, PostgreSQL vacuumed,
        # and Redis's append-only file rewritten (as the scheduled purge does).
        settled = args.dry_run or handoffs.settle_deletions(True)
    finally:
        engine.dispose()
    verb = "would delete" if counts.dry_run else "deleted"
    print(
        f"{verb}: {counts.handoffs} handoff(s), {counts.transcript_messages} transcript message(s), "
        f"{counts.conversations} conversation(s) older than {settings.transcript_retention_days} days; "
        f"{counts.audit_events} audit event(s) older than {args.audit_retention_days} days"
    )
    trackers = _tracker_count(settings)
    kept = f"{trackers} conversation tracker(s) kept now" if trackers is not None else "Redis not reachable"
    print(
        f"in Redis ({kept}): each tracker (encrypted) expires {settings.tracker_retention_h:g} h after its "
        f"last message, routes to people after {settings.route_ttl_h:g} h without messages, message ids "
        f"after 48 h, a handoff's chat {ENDED_TTL_S // 3600} h after it ends; the web app's retention "
        "purge (every HELPLINE_PURGE_EVERY_H) gives that expiry to a chat or route left without one"
    )
    if not settled:
        print("the database was busy: what was deleted leaves its files at the next erase or purge")
    if not args.dry_run:
        _rewrite_redis_file(settings)
    return 0


def _rewrite_redis_file(settings: Settings) -> None:
    """Ask Redis to rewrite its append-only file (coalesced with the helpline's own requests)."""
    import asyncio

    from bot.privacy.aof import AofRewriter
    from bot.redis_client import open_redis

    async def request() -> None:
        redis = open_redis(settings.effective_redis_url)
        try:
            await redis.ping()
            await AofRewriter(redis).request()
        except Exception as error:  # Redis down: its expiries still apply; the next purge asks again
            reason = type(error).__name__
            print(f"Redis did not answer ({reason}): its file is rewritten later", file=sys.stderr)
        finally:
            await redis.aclose()

    asyncio.run(request())


def _tracker_count(settings: Settings) -> int | None:
    """How many Rasa trackers Redis holds (each expires by itself), or None if Redis does not answer."""
    import redis

    from bot.engine.rasa import TRACKER_KEY_PREFIX

    try:
        client = redis.Redis.from_url(settings.effective_redis_url, socket_timeout=2)
        return sum(1 for _ in client.scan_iter(match=TRACKER_KEY_PREFIX + "*", count=1000))
    except redis.RedisError:
        return None


def read_password(stdin: TextIO) -> str:
    """The new password: asked twice on a terminal, else the first line of stdin."""
    if stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise ValueError("the two passwords differ")
        return password
    password = stdin.readline().rstrip("\r\n")
    if not password:
        raise ValueError("no password on stdin")
    return password
