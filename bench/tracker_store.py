"""Benchmark: Rasa's in-memory tracker store against the encrypted Redis one, on the same trackers.

Runs in Rasa's environment (`PYTHONPATH=. .venv-rasa/bin/python bench/tracker_store.py`, as `make bench`
does) against the Redis in `HELPLINE_BENCH_REDIS_URL` (default: the local one). Each round saves and
retrieves a tracker of a 20-turn conversation, as Rasa does on every turn; prints the p50/p95 per round for
both stores and their ratio, and merges the figures into bench/results.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

from cryptography.fernet import Fernet  # noqa: E402
from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402

from helpline_rasa.tracker_store import EncryptedRedisTrackerStore  # noqa: E402

RESULTS = ROOT / "bench" / "results.json"
ROUNDS = 2000
TURNS = 20
PEOPLE = 50


def conversation(domain: Domain, sender: str) -> DialogueStateTracker:
    events = []
    for turn in range(TURNS):
        events += [
            UserUttered(f"message {turn}: i need somewhere safe to sleep tonight", {"name": "ask_shelter"}),
            ActionExecuted("utter_answer"),
            BotUttered("International law says people who were trafficked should have a safe place. " * 4),
            ActionExecuted("action_listen"),
        ]
    return DialogueStateTracker.from_events(sender, events, domain.slots)


async def measure(store: TrackerStore, trackers: list[DialogueStateTracker]) -> list[float]:
    times = []
    for index in range(ROUNDS):
        tracker = trackers[index % len(trackers)]
        started = time.perf_counter()
        await store.save(tracker)
        await store.retrieve(tracker.sender_id)
        times.append((time.perf_counter() - started) * 1000)
    return times


def p(values: list[float], q: float) -> float:
    return round(statistics.quantiles(values, n=100)[int(q) - 1], 3)


async def main() -> None:
    domain = Domain.load(str(ROOT / "domain.yml"))
    os.environ["HELPLINE_TRANSCRIPT_KEY"] = Fernet.generate_key().decode()
    url = os.environ.get("HELPLINE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    memory = InMemoryTrackerStore(domain)
    encrypted = EncryptedRedisTrackerStore(domain, host=url, key_prefix="bench:tracker:")
    trackers = [conversation(domain, f"person-{index}") for index in range(PEOPLE)]
    await measure(memory, trackers[:5])  # warm up
    baseline = await measure(memory, trackers)
    ours = await measure(encrypted, trackers)
    for tracker in trackers:
        encrypted.red.delete(encrypted.key_prefix + tracker.sender_id)
    figures = {
        "tracker_memory_p50_ms": p(baseline, 50),
        "tracker_memory_p95_ms": p(baseline, 95),
        "tracker_encrypted_redis_p50_ms": p(ours, 50),
        "tracker_encrypted_redis_p95_ms": p(ours, 95),
    }
    figures["tracker_encrypted_vs_memory_p95_ratio"] = round(
        figures["tracker_encrypted_redis_p95_ms"] / figures["tracker_memory_p95_ms"], 2
    )
    figures["tracker_encrypted_redis_extra_p95_ms"] = round(
        figures["tracker_encrypted_redis_p95_ms"] - figures["tracker_memory_p95_ms"], 3
    )
    print(f"save + retrieve of a {TURNS}-turn tracker, {ROUNDS} rounds:")
    for name, value in figures.items():
        print(f"  {name}: {value}")
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    RESULTS.write_text(json.dumps({**results, **figures}, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
