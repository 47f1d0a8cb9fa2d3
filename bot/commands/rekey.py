"""`helpline rekey`: re-encrypt every token the helpline keeps with the first key of HELPLINE_TRANSCRIPT_KEY.

How a key is rotated: put a new key first (`HELPLINE_TRANSCRIPT_KEY=new,old`) and restart, so everything
new is written with it; run `helpline rekey` (safe while the helpline runs, and again if interrupted); then
drop the old key. A dry run counts per place what is under the first key, what would be re-encrypted and
what no key opens, and changes nothing. Only counts are printed, never a text; the exit status is 1 when
something could not be read with any configured key (dropping a key then loses it), 2 when a store does not
answer.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TextIO

from bot.settings import Settings


def add_rekey_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `rekey` to the `helpline` command's subparsers."""
    rekey = subparsers.add_parser(
        "rekey",
        help="re-encrypt everything kept (Redis and the database) with the first HELPLINE_TRANSCRIPT_KEY",
    )
    rekey.add_argument(
        "--dry-run", action="store_true", help="count per place what would be re-encrypted; change nothing"
    )
    rekey.set_defaults(func=run_rekey)


def run_rekey(args: argparse.Namespace) -> int:
    """Re-encrypt (or count) the tokens of every place; 1 if some are unreadable, 2 if a store is down."""
    from bot.logs import configure_logging

    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    return asyncio.run(rekey(settings, dry_run=args.dry_run, out=sys.stdout))


async def rekey(settings: Settings, dry_run: bool, out: TextIO) -> int:
    """Every place, Redis then the database; the counts printed as a table."""
    from redis.exceptions import RedisError
    from sqlalchemy.exc import SQLAlchemyError

    from bot.handoff.relay import Relay
    from bot.handoff.routes import RouteStore
    from bot.privacy.aof import AofRewriter
    from bot.privacy.crypto import transcript_cipher
    from bot.privacy.ledger import ChatLedger
    from bot.privacy.rekey import RedisRekey, redis_places
    from bot.redis_client import open_redis
    from bot.store.database import create_database_engine, settle_deletions, upgrade_database
    from bot.store.rekey import rekey_second_factors, rekey_transcripts

    cipher = transcript_cipher(settings)
    redis = open_redis(settings.effective_redis_url)
    database = create_database_engine(settings.effective_database_url)
    try:
        await asyncio.to_thread(upgrade_database, settings.effective_database_url)  # as every command
        rekeying = RedisRekey(redis, cipher)
        places = redis_places(Relay(redis, cipher), RouteStore(redis, cipher), ChatLedger(redis, cipher))
        counts = [await rekeying.place(place, dry_run) for place in places]
        counts.append(await asyncio.to_thread(rekey_transcripts, database, cipher, dry_run))
        counts.append(await asyncio.to_thread(rekey_second_factors, database, cipher, dry_run))
        if not dry_run and any(count.rekeyed for count in counts):
            # The old tokens are replaced; the files must not keep them either (the old key may leak).
            await asyncio.to_thread(settle_deletions, database, ["transcript_messages", "counsellors"], True)
            await AofRewriter(redis).request()
    except RedisError as error:
        print(f"✘ Redis does not answer ({type(error).__name__}): is the helpline running?", file=out)
        return 2
    except SQLAlchemyError as error:
        print(f"✘ The database does not answer ({type(error).__name__}).", file=out)
        return 2
    finally:
        await redis.aclose()
        database.dispose()
    verb = "would re-encrypt" if dry_run else "re-encrypted"
    rows = [(c.place, c.current, c.rekeyed, c.unreadable, c.changed) for c in counts]
    table = [("place", "first key", verb, "unreadable", "changed meanwhile"), *rows]
    widths = [max(len(str(row[column])) for row in table) for column in range(5)]
    for row in table:
        cells = [str(row[0]).ljust(widths[0])]
        cells += [str(value).rjust(width) for value, width in zip(row[1:], widths[1:], strict=True)]
        print("  ".join(cells), file=out)
    unreadable = sum(count.unreadable for count in counts)
    if unreadable:
        print(f"✘ {unreadable} token(s) that no configured key opens.", file=out)
        return 1
    if not dry_run:
        print(
            "✔ Done. Before dropping an old key, `helpline rekey --dry-run` must show 0 to re-encrypt.",
            file=out,
        )
    elif any(count.rekeyed for count in counts):
        print("Some tokens are under an old key: run `helpline rekey`.", file=out)
    else:
        print("✔ Everything is under the first key: the other keys can go.", file=out)
    return 0
