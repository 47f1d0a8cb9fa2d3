"""Benchmark: whole Rasa turns with the encrypted Redis tracker store against Rasa's in-memory one.

Two helplines in one run, the same model and action server: one with Rasa's trackers in memory (the setup
before issue 6: texts in clear, never expiring), one as shipped (encrypted in Redis, expiring). The same
turns go straight to Rasa's REST webhook at 1 and 16 users; prints p50/p95 and messages/s of both and the
p95 ratio, and merges the figures into bench/results.json.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pipeline import RESULTS, bare_turn, percentile, run_users  # noqa: E402
from tests.stack import running_helpline  # noqa: E402

TURNS = 320


def measure(endpoints: Path | None, label: str) -> dict[str, float]:
    """Bare Rasa turns at 1 and 16 users against a helpline with these endpoints (None: as shipped)."""
    env = {"HELPLINE_LOG_LEVEL": "WARNING"}
    if endpoints is not None:
        env["HELPLINE_RASA_ENDPOINTS"] = str(endpoints)
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as data_dir, running_helpline(Path(data_dir), env) as helpline:
        run_users(4, 5, bare_turn(helpline, 0))  # warm up
        for run_id, users in ((1, 1), (2, 16)):
            latencies, rate = run_users(users, max(1, TURNS // users), bare_turn(helpline, run_id))
            suffix = "1user" if users == 1 else f"{users}users"
            p50 = figures[f"tracker_{label}_p50_ms_{suffix}"] = round(statistics.median(latencies), 1)
            p95 = figures[f"tracker_{label}_p95_ms_{suffix}"] = round(percentile(latencies, 0.95), 1)
            figures[f"tracker_{label}_msgs_per_s_{suffix}"] = round(rate, 1)
            print(f"{label:>9} {users:>2} user(s): p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  {rate:6.1f} msg/s")
    return figures


def main() -> int:
    """Measure both stores and write bench/results.json."""
    with tempfile.TemporaryDirectory() as scratch:
        in_memory = Path(scratch) / "endpoints.yml"
        shipped = yaml.safe_load((ROOT / "endpoints.yml").read_text())
        shipped.pop("tracker_store")
        in_memory.write_text(yaml.safe_dump(shipped))
        figures = measure(in_memory, "memory")
    figures |= measure(None, "encrypted")
    for suffix in ("1user", "16users"):
        figures[f"tracker_encrypted_vs_memory_turn_p95_ratio_{suffix}"] = round(
            figures[f"tracker_encrypted_p95_ms_{suffix}"] / figures[f"tracker_memory_p95_ms_{suffix}"], 2
        )
    print(
        "p95 ratio encrypted Redis / memory: "
        f"1 user {figures['tracker_encrypted_vs_memory_turn_p95_ratio_1user']}, "
        f"16 users {figures['tracker_encrypted_vs_memory_turn_p95_ratio_16users']}"
    )
    existing = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    RESULTS.write_text(json.dumps({**existing, **figures}, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
