"""A Telegram gateway killed in the middle of a counsellor chat and started again loses nothing and sends
nothing twice: the counsellor's messages written while it was down arrive once, in order, and what the
survivor wrote meanwhile reaches the counsellor once.

The gateway runs as its own process (`helpline gateway`) against its own Redis and fake Bot API, and the
running helpline's Rasa; the test plays the counsellor through the queue and the relay, as the console does.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.handoff.offers import OfferBook, accept_payload
from bot.handoff.presence import Presence
from bot.handoff.queue import CounsellorSeat, HandoffQueue
from bot.handoff.relay import Relay
from bot.messages import Channel
from bot.privacy.crypto import TranscriptCipher, transcript_keys
from bot.privacy.pseudonym import pseudonym_for
from bot.wiring.helpline import embedded_redis_binary
from tests.conftest import STAFFING_ALWAYS_OPEN
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.stack import PSEUDONYM_SECRET, ROOT, Helpline, free_port

pytestmark = pytest.mark.e2e
SURVIVOR = 740_000_001
SEAT = CounsellorSeat("ana", frozenset({"en"}), capacity=2)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[str]:
    """A Redis of this test's gateway alone (the running helpline's gateway must not read its streams)."""
    socket = tmp_path / "redis.sock"
    argv = [str(embedded_redis_binary()), "--port", "0", "--unixsocket", str(socket), "--save", ""]
    server = subprocess.Popen([*argv, "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    url = f"unix://{socket}"
    deadline = time.monotonic() + 10
    while not socket.exists():
        assert time.monotonic() < deadline and server.poll() is None
        time.sleep(0.05)
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def own_telegram() -> Iterator[FakeTelegramAPI]:
    telegram = FakeTelegramAPI()
    telegram.start()
    yield telegram
    telegram.stop()


class Gateway:
    """`helpline gateway` in its own process, startable again after a kill."""

    def __init__(self, helpline: Helpline, redis_url: str, telegram: FakeTelegramAPI, data_dir: Path) -> None:
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("HELPLINE_", "TELEGRAM_")) and key not in ("REDIS_URL", "DATABASE_URL")
        }
        self.env.update(
            HELPLINE_DATA_DIR=str(data_dir),
            HELPLINE_SECRETS_DIR=str(data_dir.with_name("secrets")),
            HELPLINE_PSEUDONYM_SECRET=PSEUDONYM_SECRET,
            HELPLINE_RASA_URL=helpline.rasa_url,
            HELPLINE_RASA_TOKEN=helpline.rasa_token,
            REDIS_URL=redis_url,
            DATABASE_URL=f"sqlite:///{data_dir / 'helpline.db'}",
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_API_BASE_URL=telegram.base_url,
            HELPLINE_STAFFING_FILE=str(STAFFING_ALWAYS_OPEN),  # the consent is checked against it
            HELPLINE_GATEWAY_HEALTH_PORT=str(free_port()),  # never the default 8002 of another gateway
        )
        self.data_dir = data_dir
        self.log = data_dir / "gateway.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "gateway"], cwd=ROOT, env=self.env, stdout=out, stderr=out
            )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)  # no goodbye: nothing is flushed or acknowledged
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=30)


@pytest.fixture
def gateway(
    helpline: Helpline, own_redis: str, own_telegram: FakeTelegramAPI, tmp_path: Path
) -> Iterator[Gateway]:
    """This test's gateway, over a database of its own, running."""
    running = Gateway(helpline, own_redis, own_telegram, tmp_path / "data")
    running.log.parent.mkdir()
    subprocess.run([sys.executable, "-m", "bot.cli", "db", "upgrade"], cwd=ROOT, env=running.env, check=True)
    running.start()
    yield running
    running.stop()


async def test_a_gateway_killed_mid_chat_and_restarted_loses_nothing_and_repeats_nothing(
    gateway: Gateway, own_redis: str, own_telegram: FakeTelegramAPI
) -> None:
    await chat_across_a_restart(gateway, own_redis, own_telegram, gateway.data_dir)


async def chat_across_a_restart(
    gateway: Gateway, redis_url: str, telegram: FakeTelegramAPI, data_dir: Path
) -> None:
    telegram.send_text(SURVIVOR, "hello", language_code="en")
    [welcome] = await telegram.await_messages(SURVIVOR, 1, timeout=60)
    client = Redis.from_url(redis_url)
    # The offer the action server would make (it writes to the running helpline's Redis, not this one).
    await Presence(client).mark_online(SEAT.id)
    pseudonym = pseudonym_for(Channel.TELEGRAM, SURVIVOR, PSEUDONYM_SECRET.encode())
    token = await OfferBook(client).issue(pseudonym, "normal", None)
    telegram.press_button(SURVIVOR, welcome, accept_payload(token), language_code="en")  # consent
    await telegram.await_messages(SURVIVOR, 2)
    cipher = TranscriptCipher(transcript_keys(None, data_dir.with_name("secrets") / "transcript.key"))
    queue, relay = HandoffQueue(client), Relay(client, cipher)
    ticket = await queue.claim_next(SEAT)
    assert ticket is not None

    async def counsellor_writes(numbers: range) -> None:
        for number in numbers:
            await relay.to_survivor(
                ticket.id, "telegram", ticket.pseudonym, f"counsellor {number}", f"c-{number}"
            )

    await counsellor_writes(range(0, 5))
    await telegram.await_messages(SURVIVOR, 7)
    telegram.send_text(SURVIVOR, "before the crash", language_code="en")
    await wait_for_chat(relay, ticket.id, "before the crash")

    gateway.kill()
    await counsellor_writes(range(5, 10))  # while no gateway runs
    telegram.send_text(SURVIVOR, "while it was down", language_code="en")
    gateway.start()

    sent = await telegram.await_messages(SURVIVOR, 12, timeout=60)
    await wait_for_chat(relay, ticket.id, "while it was down")
    await asyncio.sleep(1.0)  # room for a duplicate to show up
    from_counsellor = [
        m["text"] for m in telegram.sent_messages(SURVIVOR) if m["text"].startswith("counsellor ")
    ]
    assert from_counsellor == [f"counsellor {number}" for number in range(10)]
    survivor_lines = [m.text for m in await relay.chat(ticket.id) if m.sender == "survivor"]
    assert survivor_lines == ["before the crash", "while it was down"]
    assert len(sent) == 12
    await client.aclose()


async def wait_for_chat(relay: Relay, ticket_id: str, text: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while text not in [message.text for message in await relay.chat(ticket_id)]:
        assert time.monotonic() < deadline, f"'{text}' never reached the counsellor"
        await asyncio.sleep(0.05)
