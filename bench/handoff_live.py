"""Benchmark: how fast a handoff reaches the console, and a counsellor's message the survivor.

The whole helpline runs (as `make run`, with a fake Telegram Bot API on loopback). A counsellor is logged
in to the console and follows the live queue over its WebSocket, as the page does.

- handoff_visible_p95_ms: a survivor presses "Yes, connect me" on Telegram → the console's live queue
  pushes a snapshot holding their ticket.
- relay_p95_ms: the counsellor's message is written to the relay (as the console does) → the fake Bot API
  receives the sendMessage for the survivor.
Prints the figures and merges them into bench/results.json.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import httpx
import websockets
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pipeline import percentile  # noqa: E402
from bot.handoff.presence import ONLINE_KEY  # noqa: E402
from bot.handoff.queue import CounsellorSeat, HandoffQueue  # noqa: E402
from bot.handoff.relay import Relay  # noqa: E402
from bot.privacy.crypto import TranscriptCipher, transcript_keys  # noqa: E402
from bot.store.counsellors import CounsellorStore  # noqa: E402
from bot.store.database import create_database_engine  # noqa: E402
from tests.conftest import STAFFING_ALWAYS_OPEN  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramAPI  # noqa: E402
from tests.stack import Helpline, running_helpline  # noqa: E402

RESULTS = ROOT / "bench" / "results.json"
HANDOFFS = 40
MESSAGES = 200
PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def logged_in_console(helpline: Helpline) -> tuple[httpx.AsyncClient, str]:
    """An HTTP client holding a counsellor's console session, and the session's CSRF token."""
    client = httpx.AsyncClient(base_url=helpline.web_url, follow_redirects=True)
    login = await client.get("/console/login")
    token = CSRF.search(login.text)
    assert token, "no CSRF token on the login page"
    data = {"csrf": token.group(1), "name": "bench", "password": PASSWORD}
    queue_page = await client.post("/console/login", data=data)
    session_token = CSRF.search(queue_page.text)
    assert session_token and "Log out" in queue_page.text, "login failed"
    return client, session_token.group(1)


async def measure_visible(helpline: Helpline, telegram: FakeTelegramAPI) -> list[float]:
    client, csrf = await logged_in_console(helpline)
    cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    url = helpline.web_url.replace("http://", "ws://") + "/console/live"
    latencies: list[float] = []
    async with websockets.connect(
        url, additional_headers={"Cookie": cookies, "Origin": helpline.web_url}
    ) as socket:
        await socket.send(json.dumps({"type": "hello", "csrf": csrf}))
        for number in range(HANDOFFS):
            user = 900_000_000 + number
            telegram.send_text(user, "can i talk to a real person please", language_code="en")
            [offer] = await telegram.await_messages(user, 1)
            rows = offer["reply_markup"]["inline_keyboard"]
            consent = next(
                b["callback_data"] for row in rows for b in row if b["callback_data"].startswith("/handoff")
            )
            started = time.perf_counter()
            telegram.press_button(user, offer, consent, language_code="en")
            while True:
                frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=30))
                if frame.get("type") == "queue" and len(frame["offered"]) > number:
                    break
            latencies.append((time.perf_counter() - started) * 1000)
    await client.aclose()
    return latencies


async def measure_relay(helpline: Helpline, telegram: FakeTelegramAPI) -> list[float]:
    redis = Redis.from_url(helpline.redis_url)
    cipher = TranscriptCipher(transcript_keys(None, helpline.data_dir / "secrets" / "transcript.key"))
    queue, relay = HandoffQueue(redis), Relay(redis, cipher)
    seat = CounsellorSeat("bench-relay", frozenset({"en"}), capacity=HANDOFFS + 1)
    ticket = await queue.claim_next(seat)
    assert ticket is not None, "no ticket to claim"
    user = 900_000_000  # the first survivor of measure_visible: their ticket is the first in the queue
    seen = len(telegram.sent_messages(user))
    latencies: list[float] = []
    for number in range(MESSAGES):
        started = time.perf_counter()
        await relay.to_survivor(ticket.id, "telegram", ticket.pseudonym, f"message {number}", f"b-{number}")
        await telegram.await_messages(user, seen + number + 1)
        latencies.append((time.perf_counter() - started) * 1000)
    await redis.aclose()
    return latencies


async def measure(helpline: Helpline, telegram: FakeTelegramAPI) -> dict[str, float]:
    engine = create_database_engine(helpline.database_url)
    CounsellorStore(engine).add("bench", PASSWORD, "counsellor", ["en"], HANDOFFS + 1)
    engine.dispose()
    redis = Redis.from_url(helpline.redis_url)
    await redis.zadd(ONLINE_KEY, {"bench": time.time() + 3600})  # someone is on duty: offers are made
    await redis.aclose()
    visible = await measure_visible(helpline, telegram)
    relay = await measure_relay(helpline, telegram)
    return {
        "handoff_visible_p50_ms": round(percentile(visible, 0.5), 1),
        "handoff_visible_p95_ms": round(percentile(visible, 0.95), 1),
        "relay_p50_ms": round(percentile(relay, 0.5), 1),
        "relay_p95_ms": round(percentile(relay, 0.95), 1),
    }


def main() -> int:
    telegram = FakeTelegramAPI()
    telegram.start()
    env = {
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "HELPLINE_STAFFING_FILE": str(STAFFING_ALWAYS_OPEN),
        "HELPLINE_TELEGRAM_RATE_LIMIT": "false",
    }
    try:
        with tempfile.TemporaryDirectory() as data, running_helpline(Path(data), env) as helpline:
            figures = asyncio.run(measure(helpline, telegram))
    finally:
        telegram.stop()
    for name, value in figures.items():
        print(f"{name:<24} {value:>8.1f}")
    print("targets: handoff_visible_p95_ms <= 200, relay_p95_ms <= 50")
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.update(figures)
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
