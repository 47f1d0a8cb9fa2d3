"""Benchmark: what eight languages cost. The same English turns through the whole pipeline, answered by
an English-only model and by the eight-language model, in the same run on the same machine.

Trains the English-only baseline (nlu/en.yml, same config, stories and domain) into models/bench/ when
it is missing or older than its data, then starts the helpline once per model and measures reply latency
at one user, the turn latency of Rasa alone, and Rasa's memory. Merges the figures into
bench/results.json. Target: multilingual reply p95 within 10 % of the English-only model's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pipeline import RESULTS, bare_turn, percentile, pipeline_turn, run_users  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramAPI  # noqa: E402
from tests.stack import Helpline, running_helpline  # noqa: E402

BASELINE_DIR = ROOT / "models" / "bench"
BASELINE_MODEL = BASELINE_DIR / "english-only.tar.gz"
BASELINE_DATA = [
    ROOT / "nlu" / "en.yml",
    ROOT / "config.yml",
    ROOT / "domain.yml",
    *ROOT.glob("stories/*.yml"),
]
MULTILINGUAL_DIR = ROOT / "models"
TARGET_RATIO = 1.10


def train_baseline() -> None:
    """The English-only model, trained like the real one but on English data alone."""
    trained = BASELINE_MODEL.stat().st_mtime if BASELINE_MODEL.exists() else 0.0
    if all(trained > path.stat().st_mtime for path in BASELINE_DATA):
        return
    print("training the English-only baseline model (a couple of minutes)", flush=True)
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    env["PYTHONPATH"] = str(ROOT)  # the intent classifier lives in helpline_rasa/
    command = [str(ROOT / ".venv-rasa" / "bin" / "rasa"), "train", "--data", "nlu/en.yml", "stories"]
    command += ["--out", str(BASELINE_DIR), "--fixed-model-name", "english-only", "--num-threads", "2"]
    subprocess.run(command, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def rasa_rss_mb(helpline: Helpline) -> float:
    """Resident memory of the Rasa server, from /proc."""
    port = helpline.rasa_url.rsplit(":", 1)[1]
    pids = subprocess.run(["pgrep", "-f", f"rasa run.*--port {port}"], capture_output=True, text=True).stdout
    total_kb = 0
    for pid in pids.split():
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total_kb += int(line.split()[1])
    return round(total_kb / 1024, 1)


def measure(model_dir: Path, turns: int) -> dict[str, float]:
    """Reply p50/p95 at one user through the pipeline and straight to Rasa, and Rasa's memory."""
    telegram = FakeTelegramAPI()
    telegram.start()
    env = {
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "HELPLINE_MODEL_PATH": str(model_dir),
        "HELPLINE_LOG_LEVEL": "WARNING",
    }
    try:
        with tempfile.TemporaryDirectory() as data_dir, running_helpline(Path(data_dir), env) as helpline:
            run_users(2, 10, pipeline_turn(telegram, 0))  # warm up
            run_users(2, 10, bare_turn(helpline, 0))
            reply, _ = run_users(1, turns, pipeline_turn(telegram, 1))
            rasa, _ = run_users(1, turns, bare_turn(helpline, 1))
            return {
                "reply_p50_ms": round(statistics.median(reply), 1),
                "reply_p95_ms": round(percentile(reply, 0.95), 1),
                "rasa_p95_ms": round(percentile(rasa, 0.95), 1),
                "rasa_rss_mb": rasa_rss_mb(helpline),
            }
    finally:
        telegram.stop()


def main() -> int:
    """Measure both models and write the comparison."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=200, help="turns per model (default 200)")
    args = parser.parse_args()
    train_baseline()
    figures: dict[str, float] = {}
    for name, model_dir in (("english_only", BASELINE_DIR), ("multilingual", MULTILINGUAL_DIR)):
        measured = measure(model_dir, args.turns)
        print(f"{name:>13}: " + ", ".join(f"{key} {value}" for key, value in measured.items()), flush=True)
        figures |= {f"{key}_{name}": value for key, value in measured.items()}
    ratio = figures["reply_p95_ms_multilingual"] / figures["reply_p95_ms_english_only"]
    figures["reply_p95_ratio_multilingual_vs_english"] = round(ratio, 2)
    print(f"reply p95 multilingual / English-only: {ratio:.2f} (target ≤ {TARGET_RATIO})")
    existing = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    existing.update(figures)
    RESULTS.write_text(json.dumps(existing, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
