"""Benchmark: what a fresh machine pays before the first reply, and what the running helpline holds.

- `train_s`: `rasa train` of the real model (every language, nlu/ + stories/, config.yml) from clean: a new
  output folder and an empty Rasa cache, as `make train` runs on a fresh clone. Target: ≤ 180 s on this
  machine kind (2 vCPUs), issue 17.
- `train_s_english_only`: the same with English data alone, in the same run: the baseline that tells how much
  the other languages add (`train_ratio_all_vs_english`).
- `model_mb`: the size of the trained model file.
- `stack_rss_mb`: resident memory of the whole helpline as `make run` starts it (Redis, Rasa, the action
  server, web, gateway), after a warm-up of turns in every language; `stack_rss_mb_parts` per part.

Merges the figures into bench/results.json. Nothing here reads or keeps a person's message.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chaos_kit import helpline_on_fake_telegram, part_pids, report, rss_mb  # noqa: E402

TARGET_TRAIN_S = 180
# One short message per language, so every language's part of the model has been used before memory is read.
WARM_UP = (
    "hello",
    "necesito un abogado",
    "j'ai besoin d'un médecin",
    "preciso de um abrigo",
    "am nevoie de ajutor",
    "мне нужна помощь",
    "мені потрібна допомога",
    "أحتاج مساعدة",
)


def train(data: list[str], out: Path) -> tuple[float, float]:
    """Train from clean into `out`; (seconds, model MB)."""
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONWARNINGS": "ignore",
    }
    env["PYTHONPATH"] = str(ROOT)  # the intent classifier lives in helpline_rasa/
    env["RASA_CACHE_DIRECTORY"] = str(out / "cache")  # empty: nothing reused
    command = [str(ROOT / ".venv-rasa" / "bin" / "rasa"), "train", "--data", *data, "--out", str(out)]
    command += ["--fixed-model-name", "model", "--num-threads", "2"]
    started = time.monotonic()
    subprocess.run(
        command, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    seconds = time.monotonic() - started
    return round(seconds, 1), round((out / "model.tar.gz").stat().st_size / 1e6, 1)


def stack_memory(turns_per_language: int) -> dict[str, float]:
    """Resident MB of every part of a running helpline, after warm-up turns in every language."""
    with helpline_on_fake_telegram() as (helpline, telegram):
        for _ in range(turns_per_language):
            for number, text in enumerate(WARM_UP):
                chat = 9_000 + number
                seen = len(telegram.sent_messages(chat))
                telegram.send_text(chat, text)
                telegram.wait_for_messages(chat, seen + 1, timeout=120)
        return {part: rss_mb(pid) for part, pid in sorted(part_pids(helpline.process.pid).items())}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--turns", type=int, default=3, help="warm-up turns per language before reading memory"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        everything = Path(folder) / "all"
        english = Path(folder) / "english"
        print("training the real model from clean (every language)", flush=True)
        train_s, model_mb = train(["nlu", "stories"], everything)
        print("training the English-only baseline from clean", flush=True)
        english_s, english_mb = train(["nlu/en.yml", "stories"], english)
    print("starting the helpline to read its memory", flush=True)
    parts = stack_memory(args.turns)
    figures = {
        "train_s": train_s,
        "train_s_english_only": english_s,
        "train_ratio_all_vs_english": round(train_s / english_s, 2),
        "model_mb": model_mb,
        "model_mb_english_only": english_mb,
        "stack_rss_mb": round(sum(parts.values()), 1),
        "stack_rss_mb_parts": parts,
    }
    report(figures, f"target: train_s ≤ {TARGET_TRAIN_S} (2 vCPUs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
