"""The attack of a person with the server's disk, after an erase said "Done.": nothing of it is left to read.

The private Redis starts exactly as `helpline run` starts it (append-only file on), and the database is the
SQLite file in the data dir. A person talks to the bot, is handed to a counsellor who answers, and erases.
Then every file under the data dir (the database, its -wal and -shm, Redis's append-only file) is read as
bytes: neither the person's pseudonym nor any Fernet token of their messages is in any of them, and the key
that opened those tokens is not kept there either.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import redis
from cryptography.fernet import Fernet
from redis.asyncio import Redis
from sqlalchemy import Engine, event, select, text

from bot.engine.rasa import TRACKER_KEY_PREFIX
from bot.handoff.queue import CounsellorSeat, HandoffQueue
from bot.handoff.relay import Relay
from bot.handoff.routes import RouteStore
from bot.privacy.aof import AofRewriter
from bot.privacy.crypto import TranscriptCipher, transcript_cipher
from bot.privacy.erasure import Eraser
from bot.privacy.ledger import ChatLedger
from bot.privacy.retention import RetentionSchedule
from bot.privacy.secrets import PSEUDONYM_KEY, TRANSCRIPT_KEY, pseudonym_secret, secret_path
from bot.settings import Settings
from bot.store.conversations import ConversationStore
from bot.store.database import create_database_engine, upgrade_database
from bot.store.handoffs import HandoffStore
from bot.store.models import TranscriptMessage
from bot.wiring.helpline import helpline_parts

pytestmark = pytest.mark.integration
SEAT = CounsellorSeat("7", frozenset({"en"}), capacity=3)
FERNET_TOKEN = re.compile(rb"gAAAAA[A-Za-z0-9_\-=]{40,}")


class RasaTrackers:
    """Rasa's tracker store as the helpline erases it: `PUT .../tracker/events []` deletes the key."""

    def __init__(self, client: Redis, cipher: TranscriptCipher) -> None:
        self._client = client
        self._cipher = cipher

    async def save(self, pseudonym: str, serialised: str) -> None:
        await self._client.set(TRACKER_KEY_PREFIX + pseudonym, self._cipher.encrypt(serialised), ex=86400)

    async def erase(self, pseudonym: str) -> None:
        await self._client.delete(TRACKER_KEY_PREFIX + pseudonym)


@dataclass
class Helpline:
    settings: Settings
    client: Redis
    database: Engine
    cipher: TranscriptCipher
    queue: HandoffQueue
    relay: Relay
    routes: RouteStore
    ledger: ChatLedger
    handoffs: HandoffStore
    trackers: RasaTrackers
    disk: AofRewriter
    now: list[float]

    def eraser(self) -> Eraser:
        return Eraser(
            self.client,
            self.queue,
            self.relay,
            self.routes,
            self.handoffs,
            self.ledger,
            self.trackers,
            disk=self.disk,
            notice_s=10,
        )

    async def person_talks_and_meets_a_counsellor(self) -> tuple[str, str]:
        """The bot's part, the handoff, the counsellor's reply: every place that keeps a token of theirs."""
        pseudonym = secrets.token_hex(32)
        ConversationStore(self.database).record_message(pseudonym, "telegram", "en", "client", "GB")
        await self.trackers.save(pseudonym, '{"events": [{"event": "bot", "text": "How can I help?"}]}')
        ticket = await self.queue.enqueue(pseudonym, "telegram", "en", "GB", "urgent", "ask_shelter")
        self.handoffs.record_queued(ticket.id, pseudonym, "telegram", "en", "GB", "urgent", None, "Visitor 1")
        await self.queue.claim(SEAT, ticket.id)
        await self.routes.remember("telegram", pseudonym, "731942615", ttl_s=None)
        handoff_message = "my boss has my passport"
        await self.relay.from_survivor(ticket.id, handoff_message, "s-1")
        self.handoffs.add_message(ticket.id, "survivor", handoff_message, "s-1")
        reply = "Are you safe right now?"
        await self.relay.to_survivor(ticket.id, "telegram", pseudonym, reply, "c-1")
        self.handoffs.add_message(ticket.id, "counsellor", reply, "c-1")
        await self.ledger.record("telegram", pseudonym, [10, 11, 12])
        return pseudonym, ticket.id

    async def tokens_of(self, pseudonym: str, ticket_id: str) -> set[bytes]:
        """Every Fernet token the helpline keeps for this person, in Redis and in the database."""
        client, found = self.client, set()
        found.add(await client.get(TRACKER_KEY_PREFIX + pseudonym))
        found.add(await client.get(f"helpline:relay:route:telegram:{pseudonym}"))
        found.update(await client.zrange(f"helpline:privacy:messages:telegram:{pseudonym}", 0, -1))
        found.update(fields[b"text"] for _id, fields in await client.xrange(self.relay.chat_key(ticket_id)))
        outbound = await client.xrange(self.relay.outbound_key("telegram"))
        found.update(
            fields[b"text"] for _id, fields in outbound if fields[b"pseudonym"] == pseudonym.encode()
        )
        with self.database.connect() as connection:
            transcript = select(TranscriptMessage.body).where(TranscriptMessage.handoff_id == ticket_id)
            found.update(connection.execute(transcript).scalars())
        assert all(FERNET_TOKEN.fullmatch(token) for token in found)
        return found


def files_under(folder: Path) -> dict[Path, bytes]:
    """Every file under a folder, as the bytes a person with the disk would read."""
    return {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def holding(files: dict[Path, bytes], needles: set[bytes]) -> list[str]:
    return sorted({path.name for path, content in files.items() for needle in needles if needle in content})


def wait_for_rewrites(url: str) -> None:
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 30
    while True:
        persistence = client.info("persistence")
        if not persistence["aof_rewrite_in_progress"] and not persistence["aof_rewrite_scheduled"]:
            break
        assert time.monotonic() < deadline, "the AOF rewrite did not finish"
        time.sleep(0.05)
    client.close()


def secure_delete_off_as_built(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA secure_delete=OFF")


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """An installation on the defaults `helpline run` uses: private Redis and SQLite in the data dir."""
    for name in ("REDIS_URL", "HELPLINE_REDIS_URL", "DATABASE_URL", "HELPLINE_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture(params=["Redis 6 (helpline run's own)", "Redis 7 (appendonlydir)"])
def private_redis(request: pytest.FixtureRequest, settings: Settings) -> Iterator[str]:
    """The private Redis, started with the arguments `helpline run` gives it; also as a Redis 7 would run
    them (as docker-compose's), whose AOF is a folder of files."""
    [part] = [part for part in helpline_parts(settings, Path("/no/rasa")) if part.name == "redis"]
    binary = part.argv[0] if request.param.startswith("Redis 6") else shutil.which("redis-server")
    if binary is None:
        pytest.skip("no Redis 7 (redis-server) on the PATH")
    server = subprocess.Popen([binary, *part.argv[1:]], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            if part.ready():
                break
        except redis.RedisError:
            pass
        assert server.poll() is None and time.monotonic() < deadline, "the private Redis did not start"
        time.sleep(0.05)
    yield settings.effective_redis_url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
async def helpline(settings: Settings, private_redis: str) -> AsyncIterator[Helpline]:
    upgrade_database(settings.effective_database_url)
    database = create_database_engine(settings.effective_database_url)
    # Debian builds SQLite with SECURE_DELETE on; many builds do not (macOS's, python.org's): be one.
    event.listen(database, "connect", secure_delete_off_as_built, insert=True)
    client = Redis.from_url(private_redis)
    now = [time.time()]
    # A rewrite at most every 0.2 s (a minute in production), on a clock the test moves like time passing.
    disk = AofRewriter(client, min_interval_s=0.2, clock=lambda: now[0])
    cipher = transcript_cipher(settings)
    pseudonym_secret(settings)  # made, as the web and gateway processes make it
    yield Helpline(
        settings,
        client,
        database,
        cipher,
        HandoffQueue(client),
        Relay(client, cipher),
        RouteStore(client, cipher),
        ChatLedger(client, cipher),
        HandoffStore(database, cipher),
        RasaTrackers(client, cipher),
        disk,
        now,
    )
    await client.aclose()
    database.dispose()


async def test_after_an_erase_no_file_in_the_data_dir_holds_the_pseudonym_or_a_token_of_the_person(
    helpline: Helpline,
) -> None:
    maria, her_ticket = await helpline.person_talks_and_meets_a_counsellor()
    bystander, _ = await helpline.person_talks_and_meets_a_counsellor()
    theirs = await helpline.tokens_of(maria, her_ticket)
    assert len(theirs) == 10  # tracker, route, 3 message ids, 2 in the chat, 1 outbound, 2 in the transcript
    data_dir = helpline.settings.data_dir
    before = files_under(data_dir)
    # What the attacker found: the AOF and the database's log hold her pseudonym and her tokens.
    assert holding(before, {maria.encode()}) and holding(before, theirs)

    erasure = await helpline.eraser().erase("telegram", maria)
    assert erasure.complete
    await helpline.ledger.take("telegram", maria)  # the gateway deletes her chat with these ids...
    wait_for_rewrites(helpline.settings.effective_redis_url)
    helpline.now[0] += 10 + 30  # ...and its "Done." when due; the periodic task then rewrites again
    await asyncio.sleep(0.25)
    assert await helpline.disk.rewrite_if_due()
    wait_for_rewrites(helpline.settings.effective_redis_url)

    after = files_under(data_dir)
    assert data_dir / "helpline.db" in after and any(data_dir / "redis" in path.parents for path in after)
    assert holding(after, {maria.encode()}) == []
    assert holding(after, theirs) == []
    # The key that opens every token is kept apart from the data: a copy of the data dir opens nothing.
    keys = {TRANSCRIPT_KEY: secret_path(helpline.settings, TRANSCRIPT_KEY)}
    keys[PSEUDONYM_KEY] = secret_path(helpline.settings, PSEUDONYM_KEY)
    assert all(data_dir.resolve() not in path.resolve().parents for path in keys.values())
    assert holding(after, {path.read_bytes().strip() for path in keys.values()}) == []
    # Everyone else's conversation is still there, and still readable.
    assert holding(after, {bystander.encode()}) != []
    assert await helpline.routes.get("telegram", bystander) == "731942615"


@pytest.fixture
def old_handoff_database(database_url: str) -> Iterator[Engine]:
    """A database holding a handoff (and its transcript) past the retention period."""
    upgrade_database(database_url)
    engine = create_database_engine(database_url)
    handoffs = HandoffStore(engine, TranscriptCipher(Fernet.generate_key().decode()))
    long_ago = datetime.now(timezone.utc) - timedelta(days=90)
    handoffs.record_queued(
        "a" * 32, "b" * 64, "webchat", "en", None, "normal", None, "Visitor 1", at=long_ago
    )
    handoffs.add_message("a" * 32, "survivor", "my boss has my passport", "s-1", at=long_ago)
    yield engine
    engine.dispose()


async def test_the_scheduled_purge_leaves_what_it_deleted_in_no_file_and_vacuums_postgresql(
    old_handoff_database: Engine, database_url: str
) -> None:
    schedule = RetentionSchedule(
        HandoffStore(old_handoff_database, TranscriptCipher(Fernet.generate_key().decode())), 30, 3600
    )
    counts = await schedule.purge_once()
    assert (counts.handoffs, counts.transcript_messages) == (1, 1)
    if database_url.startswith("sqlite"):
        files = files_under(Path(database_url.removeprefix("sqlite:///")).parent)
        assert [name for name, content in files.items() if name.name.endswith("-wal") and content] == []
        assert holding(files, {b"b" * 64}) == []  # the pseudonym of the purged handoff
    else:
        with old_handoff_database.connect() as connection:
            vacuumed = connection.execute(
                text("select last_vacuum from pg_stat_user_tables where relname = 'transcript_messages'")
            ).scalar_one()
        assert vacuumed is not None  # its dead rows' space is free for reuse
