"""`helpline rekey` on real Redis (7, and the private 6 `helpline run` starts) and real databases: after a
new key is put first, every token the helpline keeps is re-encrypted with it, everything still reads the
same once the old key is dropped, and nothing else changes (expiries, stream ids, pending deliveries)."""

from __future__ import annotations

import asyncio
import io
import os
import secrets
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from cryptography.fernet import Fernet
from redis.asyncio import Redis
from sqlalchemy import Engine

from bot.cli import main
from bot.commands.rekey import rekey
from bot.handoff.delivery import OutboundDelivery
from bot.handoff.relay import OutboundMessage, Relay
from bot.handoff.routes import RouteStore
from bot.privacy.crypto import TranscriptCipher
from bot.privacy.ledger import ChatLedger
from bot.privacy.rekey import Place, RedisRekey, redis_places
from bot.settings import Settings
from bot.store.database import create_database_engine, upgrade_database
from bot.store.handoffs import HandoffStore
from bot.store.rekey import rekey_transcripts
from bot.wiring.helpline import embedded_redis_binary

pytestmark = pytest.mark.integration
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
BEFORE = TranscriptCipher(OLD)  # what the helpline wrote with until the rotation
DURING = TranscriptCipher(f"{NEW},{OLD}")  # the new key first, the old one still there
AFTER = TranscriptCipher(NEW)  # the old key dropped
GROUP, CONSUMER = "webchat-delivery", "webchat-1"


def start_private_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The embedded redis-server (Redis 6) that `helpline run` starts, with its AOF."""
    socket = folder / "redis.sock"
    argv = [str(embedded_redis_binary()), "--port", "0", "--unixsocket", str(socket), "--dir", str(folder)]
    server = subprocess.Popen([*argv, "--appendonly", "yes", "--save", ""], stdout=subprocess.DEVNULL)
    url, deadline = f"unix://{socket}", time.monotonic() + 10
    while True:
        try:
            if socket.exists() and redis.Redis.from_url(url).ping():
                return server, url
        except redis.RedisError:
            pass
        assert server.poll() is None and time.monotonic() < deadline, "redis-server did not start"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def private_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server, url = start_private_redis(tmp_path_factory.mktemp("private-redis"))
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(params=["the local Redis", "the private Redis"])
def any_redis(request: pytest.FixtureRequest, redis_url: str, private_redis: str) -> str:
    """Either Redis: the stream script differs between Redis 6 (the private one) and 7."""
    return redis_url if request.param == "the local Redis" else private_redis


@pytest.fixture
async def any_client(any_redis: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(any_redis)
    yield client
    await client.aclose()


@pytest.fixture
def database(database_url: str) -> Iterator[Engine]:
    upgrade_database(database_url)
    engine = create_database_engine(database_url)
    yield engine
    engine.dispose()


@dataclass
class Kept:
    """What one person left in every place, written with the old key."""

    client: Redis
    prefix: str
    pseudonym: str
    ticket: str
    database: Engine

    def places(self) -> list[Place]:
        relay, routes, ledger = self.stores(DURING)
        return redis_places(relay, routes, ledger, trackers=self.prefix + "tracker:")

    def stores(self, cipher: TranscriptCipher) -> tuple[Relay, RouteStore, ChatLedger]:
        return (
            Relay(self.client, cipher, prefix=self.prefix + "relay:"),
            RouteStore(self.client, cipher, prefix=self.prefix + "relay:"),
            ChatLedger(self.client, cipher, prefix=self.prefix + "privacy:"),
        )

    @property
    def outbound(self) -> str:
        return f"{self.prefix}relay:outbound:webchat"

    async def everything(self) -> dict[bytes, Any]:
        """Every key of this test with its value and expiry, as Redis answers them."""
        found: dict[bytes, Any] = {}
        async for key in self.client.scan_iter(match=self.prefix + "*"):
            kind = await self.client.type(key)
            value: Any = {
                b"string": self.client.get,
                b"zset": lambda key: self.client.zrange(key, 0, -1, withscores=True),
                b"stream": self.client.xrange,
            }[kind](key)
            found[key] = (await value, await self.client.pttl(key) > 0)
        return found


async def person_kept_everywhere(client: Redis, prefix: str, database: Engine) -> Kept:
    pseudonym, ticket = secrets.token_hex(32), secrets.token_hex(16)
    kept = Kept(client, prefix, pseudonym, ticket, database)
    relay, routes, ledger = kept.stores(BEFORE)
    await client.set(f"{prefix}tracker:{pseudonym}", BEFORE.encrypt('{"events": []}'), ex=3600)
    await routes.remember("telegram", pseudonym, "731942615", ttl_s=None)  # held by the open handoff
    await routes.remember("webchat", pseudonym, "socket-route", ttl_s=3600)
    await ledger.record("telegram", pseudonym, [10, 11])
    await relay.from_survivor(ticket, "my boss has my passport", "s-1")
    await relay.to_survivor(ticket, "webchat", pseudonym, "Are you safe?", "c-1")
    await relay.to_survivor(ticket, "webchat", pseudonym, "I am here.", "c-2")
    await client.expire(relay.chat_key(ticket), 3600)  # an ended chat: it expires
    # The web process took both messages; the person's page is closed, so they wait, pending.
    await client.xgroup_create(kept.outbound, GROUP, id="0")
    await client.xreadgroup(GROUP, CONSUMER, {kept.outbound: ">"})
    handoffs = HandoffStore(database, BEFORE)
    handoffs.record_queued(ticket, pseudonym, "webchat", "en", None, "normal", None, "Visitor 1")
    handoffs.add_message(ticket, "survivor", "my boss has my passport", "s-1")
    handoffs.add_message(ticket, "counsellor", "Are you safe?", "c-1")
    return kept


async def rekey_all(kept: Kept, dry_run: bool) -> dict[str, tuple[int, int, int, int]]:
    rekeying = RedisRekey(kept.client, DURING)
    counts = [await rekeying.place(place, dry_run) for place in kept.places()]
    counts.append(rekey_transcripts(kept.database, DURING, dry_run, page=1))  # pages of one row
    return {c.place.split(" (")[0]: (c.current, c.rekeyed, c.unreadable, c.changed) for c in counts}


async def test_every_token_goes_under_the_first_key_and_reads_the_same_once_the_old_key_is_dropped(
    any_client: Redis, prefix: str, database: Engine
) -> None:
    kept = await person_kept_everywhere(any_client, prefix, database)
    before = await kept.everything()
    would = await rekey_all(kept, dry_run=True)
    assert would == {
        "Rasa trackers": (0, 1, 0, 0),
        "routes to people": (0, 2, 0, 0),
        "chat message ids": (0, 2, 0, 0),
        "handoff chats": (0, 3, 0, 0),
        "outbound messages": (0, 2, 0, 0),
        "transcript messages": (0, 2, 0, 0),
    }
    assert await kept.everything() == before  # a dry run changes nothing

    assert await rekey_all(kept, dry_run=True) == would
    assert await rekey_all(kept, dry_run=False) == would
    after = await kept.everything()
    assert {key: expires for key, (_value, expires) in after.items()} == {
        key: expires for key, (_value, expires) in before.items()
    }  # the same keys, and each expiry kept
    again = await rekey_all(kept, dry_run=False)  # run again (or resumed): nothing left to do
    assert {place: counts[1] for place, counts in again.items()} == dict.fromkeys(would, 0)

    # The old key dropped: everything reads as it was written.
    relay, routes, ledger = kept.stores(AFTER)
    assert AFTER.decrypt(await any_client.get(f"{prefix}tracker:{kept.pseudonym}")) == '{"events": []}'
    assert await routes.get("telegram", kept.pseudonym) == "731942615"
    assert await any_client.ttl(f"{prefix}relay:route:telegram:{kept.pseudonym}") == -1  # still held
    assert await ledger.take("telegram", kept.pseudonym) == [10, 11]
    chat = [message.text for message in await relay.chat(kept.ticket)]
    assert chat == ["my boss has my passport", "Are you safe?", "I am here."]
    lines = HandoffStore(database, AFTER).transcript(kept.ticket)
    assert [line.text for line in lines] == ["my boss has my passport", "Are you safe?"]
    delivered: list[str] = []

    async def page_open(message: OutboundMessage) -> bool:
        delivered.append(message.text)
        return True

    delivery = OutboundDelivery(any_client, AFTER, "webchat", CONSUMER, page_open, prefix=prefix + "relay:")
    await delivery.deliver_pending_now()  # the person's page opens again: what waited arrives, once
    assert delivered == ["Are you safe?", "I am here."]


async def test_a_rebuilt_stream_keeps_its_ids_its_groups_and_who_holds_which_entry_for_how_long(
    any_client: Redis, prefix: str, database: Engine
) -> None:
    kept = await person_kept_everywhere(any_client, prefix, database)
    stream = kept.outbound
    await any_client.xgroup_create(stream, "telegram-audit", id="$")  # a second group, nothing read
    await any_client.xadd(stream, {"note": "no token here"})
    [(_stream, [(first, _fields), _second])] = await any_client.xreadgroup(
        GROUP, CONSUMER, {stream: "0"}, count=2
    )
    await any_client.xack(stream, GROUP, first)  # one delivered, one still pending
    await asyncio.sleep(0.05)

    def shape(groups: list[dict[str, Any]], pending: list[dict[str, Any]], ids: list[Any]) -> Any:
        return (
            [(g["name"], g["consumers"], g["pending"], g["last-delivered-id"]) for g in groups],
            [(p["message_id"], p["consumer"], p["times_delivered"]) for p in pending],
            ids,
        )

    async def now() -> tuple[Any, int]:
        groups = await any_client.xinfo_groups(stream)
        pending = await any_client.xpending_range(stream, GROUP, "-", "+", 10)
        ids = [entry_id for entry_id, _fields in await any_client.xrange(stream)]
        idle = min(p["time_since_delivered"] for p in pending)
        return shape(groups, pending, ids), idle

    before, idle_before = await now()
    counts = await RedisRekey(any_client, DURING).place(Place("outbound", stream, "stream"), dry_run=False)
    assert (counts.rekeyed, counts.unreadable) == (2, 0)
    after, idle_after = await now()
    assert after == before
    assert idle_after >= idle_before >= 50  # a pending entry does not look freshly delivered
    assert await any_client.xadd(stream, {"note": "later"}) > before[2][-1]  # ids go on increasing


class Meanwhile:
    """The helpline writing while the rekey runs: `act` runs between reading a token and replacing it."""

    def __init__(self, act: Any) -> None:
        self.act = act

    def rekeyed(self, token: bytes) -> bytes | None:
        new = DURING.rekeyed(token)
        if self.act is not None:
            self.act()
            self.act = None
        return new


async def test_what_the_helpline_changes_meanwhile_is_kept_as_it_wrote_it(
    any_redis: str, any_client: Redis, prefix: str, database: Engine
) -> None:
    kept = await person_kept_everywhere(any_client, prefix, database)
    route = f"{prefix}relay:route:telegram:{kept.pseudonym}"
    sync = redis.Redis.from_url(any_redis)
    newer = AFTER.encrypt("42")
    counts = await RedisRekey(any_client, Meanwhile(lambda: sync.set(route, newer))).place(
        Place("routes", route, "string"), dry_run=False
    )
    assert (counts.rekeyed, counts.changed) == (0, 1)
    assert await any_client.get(route) == newer

    first = (await any_client.xrange(kept.outbound))[0][0]
    counts = await RedisRekey(any_client, Meanwhile(lambda: sync.xdel(kept.outbound, first))).place(
        Place("outbound", kept.outbound, "stream"), dry_run=False
    )
    assert (counts.rekeyed, counts.changed) == (1, 1)  # the erased message stays erased
    assert len(await any_client.xrange(kept.outbound)) == 1
    sync.close()


@pytest.fixture
def installation(
    private_redis: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[redis.Redis]:
    """A helpline whose key was rotated (`new,old`), over the private Redis and SQLite; its Redis keys."""
    url = f"sqlite:///{tmp_path / 'helpline.db'}"
    monkeypatch.setenv("HELPLINE_REDIS_URL", private_redis)
    monkeypatch.setenv("HELPLINE_DATABASE_URL", url)
    monkeypatch.setenv("HELPLINE_TRANSCRIPT_KEY", f"{NEW},{OLD}")
    upgrade_database(url)
    umask = os.umask(0o022)  # `main` sets its own
    client = redis.Redis.from_url(private_redis)
    yield client
    client.delete(*client.keys("helpline:*") or ["none"])
    client.close()
    os.umask(umask)


def test_helpline_rekey_prints_counts_only_and_fails_while_a_token_opens_with_no_key(
    installation: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Not capsys: `main` sends its logs to the stderr of the moment, which must outlive this test.
    printed = io.StringIO()
    monkeypatch.setattr("sys.stdout", printed)
    pseudonym = secrets.token_hex(32)
    installation.set(f"helpline:relay:route:telegram:{pseudonym}", BEFORE.encrypt("731942615"))
    lost = TranscriptCipher(Fernet.generate_key().decode())  # a key nobody has any more
    installation.set(f"helpline:relay:route:webchat:{pseudonym}", lost.encrypt("731942616"))

    assert main(["rekey", "--dry-run"]) == 1
    said = printed.getvalue()
    route_line = next(line for line in said.splitlines() if line.startswith("routes to people"))
    assert route_line.split()[-4:] == ["0", "1", "1", "0"]  # first key, would re-encrypt, unreadable, changed
    assert "1 token(s) that no configured key opens" in said
    assert "73194261" not in said and pseudonym not in said  # counts, never a text or a key
    assert BEFORE.decrypt(installation.get(f"helpline:relay:route:telegram:{pseudonym}")) == "731942615"

    installation.delete(f"helpline:relay:route:webchat:{pseudonym}")
    assert main(["rekey"]) == 0
    assert main(["rekey", "--dry-run"]) == 0
    assert printed.getvalue().rstrip().endswith("Everything is under the first key: the other keys can go.")
    assert AFTER.decrypt(installation.get(f"helpline:relay:route:telegram:{pseudonym}")) == "731942615"


async def test_helpline_rekey_says_so_when_redis_does_not_answer(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, redis_url=f"unix://{tmp_path / 'nobody.sock'}", transcript_key=f"{NEW},{OLD}"
    )
    out = io.StringIO()
    assert await rekey(settings, dry_run=True, out=out) == 2
    assert "Redis does not answer" in out.getvalue()


def test_staff_second_factor_secrets_go_under_the_first_key_and_codes_still_work(database: Engine) -> None:
    import pyotp
    from argon2 import PasswordHasher

    from bot.store.counsellors import CounsellorStore
    from bot.store.rekey import rekey_second_factors
    from bot.store.second_factor import SecondFactorStore

    counsellors = CounsellorStore(
        database, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    sam = counsellors.add("Sam", "correct horse battery staple", "supervisor", "en")
    offer = SecondFactorStore(database, BEFORE).offer()
    assert SecondFactorStore(database, BEFORE).enroll(sam.id, offer.sealed, pyotp.TOTP(offer.secret).now())

    would = rekey_second_factors(database, DURING, dry_run=True)
    assert (would.current, would.rekeyed, would.unreadable) == (0, 1, 0)
    done = rekey_second_factors(database, DURING, dry_run=False)
    assert (done.rekeyed, rekey_second_factors(database, DURING, dry_run=True).rekeyed) == (1, 0)
    # The old key dropped: the secret still opens, so the supervisor's app still works.
    with database.connect() as connection:
        query = f"select totp_secret from counsellors where id = {sam.id}"
        sealed = connection.exec_driver_sql(query).scalar_one()
    assert AFTER.decrypt(bytes(sealed)) == offer.secret
