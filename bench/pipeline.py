"""Benchmark: the same turns through the whole pipeline and straight to Rasa, at 1 and 16 users.

Pipeline: fake Telegram Bot API → gateway (python-telegram-bot) → conversation core → Rasa → action
server → reply received by the fake API. Bare: HTTP straight to Rasa's REST webhook, same model, same
action server. Prints p50/p95 and messages/s for both and their ratios; merges the figures into
bench/results.json as a flat object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.engine.rasa import REST_WEBHOOK  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramAPI  # noqa: E402
from tests.stack import Helpline, running_helpline  # noqa: E402

TEXTS = [
    "hi",
    "i need somewhere safe to sleep tonight",
    "how can i get a free lawyer",
    "what are my rights",
    "my boss took my passport and i cant leave",
    "thank you",
    "can i talk to a real person",
    "what can you do",
]
RESULTS = ROOT / "bench" / "results.json"
# Each simulated person starts a new conversation after this many turns, as people do; one endless
# conversation would measure Rasa's cost of ever longer trackers instead.
TURNS_PER_CONVERSATION = 20


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def run_users(users: int, turns_per_user: int, turn: Callable[[int, int], None]) -> tuple[list[float], float]:
    """Run `users` threads, each doing its turns one after another; latencies in ms and messages/s."""
    latencies: list[float] = []
    lock = threading.Lock()

    def user(index: int) -> None:
        for number in range(turns_per_user):
            started = time.perf_counter()
            turn(index, number)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=user, args=(index,)) for index in range(users)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, len(latencies) / (time.perf_counter() - started)


def pipeline_turn(telegram: FakeTelegramAPI, run_id: int) -> Callable[[int, int], None]:
    """One turn through Telegram: send a text as user N, wait until the bot's reply reaches the fake API."""
    seen: dict[int, int] = {}

    def turn(user: int, number: int) -> None:
        user_id = 10_000_000 + run_id * 100_000 + user * 1000 + number // TURNS_PER_CONVERSATION
        expected = seen.get(user_id, 0) + 1
        telegram.send_text(user_id, TEXTS[(user + number) % len(TEXTS)])
        telegram.wait_for_messages(user_id, expected, timeout=60)
        seen[user_id] = len(telegram.sent_messages(user_id))

    return turn


def bare_turn(helpline: Helpline, run_id: int) -> Callable[[int, int], None]:
    """One turn straight to Rasa's REST channel (with the token, as the helpline sends it)."""
    client = httpx.Client(timeout=60, limits=httpx.Limits(max_connections=64))

    def turn(user: int, number: int) -> None:
        response = client.post(
            f"{helpline.rasa_url}{REST_WEBHOOK}",
            headers={"Authorization": f"Bearer {helpline.rasa_token}"},
            json={
                "sender": f"bare-{run_id}-{user}-{number // TURNS_PER_CONVERSATION}",
                "message": TEXTS[(user + number) % len(TEXTS)],
                "metadata": {"locale": "en"},
            },
        )
        response.raise_for_status()
        assert response.json(), "Rasa answered nothing"

    return turn


def measure(helpline: Helpline, telegram: FakeTelegramAPI, turns: int) -> dict[str, float]:
    """Warm up, then measure both paths at 1 and 16 users."""
    run_users(4, 5, pipeline_turn(telegram, 0))
    run_users(4, 5, bare_turn(helpline, 0))
    figures: dict[str, float] = {}
    for run_id, users in ((1, 1), (2, 16)):
        per_user = max(1, turns // users)
        turns_by_path: dict[str, Callable[[int, int], None]] = {
            "bare": bare_turn(helpline, run_id),
            "pipeline": pipeline_turn(telegram, run_id),
        }
        for name, turn in turns_by_path.items():
            latencies, rate = run_users(users, per_user, turn)
            suffix = "1user" if users == 1 else f"{users}users"
            p50 = figures[f"{name}_p50_ms_{suffix}"] = round(statistics.median(latencies), 1)
            p95 = figures[f"{name}_p95_ms_{suffix}"] = round(percentile(latencies, 0.95), 1)
            figures[f"{name}_msgs_per_s_{suffix}"] = round(rate, 1)
            print(
                f"{name:>8} {users:>2} user(s): p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
                f"{rate:6.1f} msg/s  ({len(latencies)} turns)",
                flush=True,
            )
    for suffix in ("1user", "16users"):
        figures[f"turn_p95_ratio_{suffix}"] = round(
            figures[f"pipeline_p95_ms_{suffix}"] / figures[f"bare_p95_ms_{suffix}"], 2
        )
    return figures


def main() -> int:
    """Run the benchmark and write bench/results.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=320, help="turns per measurement (default 320)")
    parser.add_argument("--rasa-workers", type=int, default=1, help="Rasa processes (default 1)")
    parser.add_argument(
        "--no-rate-limit", action="store_true", help="turn off the gateway's Telegram flood limiter"
    )
    args = parser.parse_args()
    telegram = FakeTelegramAPI()
    telegram.start()
    env = {
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "HELPLINE_RASA_WORKERS": str(args.rasa_workers),
        "HELPLINE_LOG_LEVEL": "WARNING",
        "HELPLINE_TELEGRAM_RATE_LIMIT": "false" if args.no_rate_limit else "true",
    }
    try:
        with tempfile.TemporaryDirectory() as data_dir, running_helpline(Path(data_dir), env) as helpline:
            print(f"helpline up; {args.turns} turns per measurement, {args.rasa_workers} Rasa process(es)")
            figures = measure(helpline, telegram, args.turns)
    finally:
        telegram.stop()
    figures["rasa_workers"] = args.rasa_workers
    figures["telegram_rate_limit"] = 0 if args.no_rate_limit else 1
    print(
        f"\np95 ratio pipeline/bare: 1 user {figures['turn_p95_ratio_1user']} "
        f"(target ≤ 1.25), 16 users {figures['turn_p95_ratio_16users']} (target ≤ 1.25); "
        f"pipeline {figures['pipeline_msgs_per_s_16users']} msg/s at 16 users (target ≥ 30)"
    )
    existing = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    existing.update(figures)
    RESULTS.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
