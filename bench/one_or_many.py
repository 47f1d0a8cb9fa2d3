"""One model for all languages, or one per language? The measurement behind docs/decisions.md.

For each language: trains an NLU model on that language's data alone and scores it on that language's
held-out split; trains one NLU model on all languages and scores it on every split. Same config.yml, same
machine. Prints macro-F1 and accuracy per language for both, and training times. Takes a while
(nine trainings); run it when the pipeline or the data change a lot:

    .venv/bin/python bench/one_or_many.py [--languages en,es,...] [--out /tmp/one-or-many]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.eval import heldout_examples, language_score, run_rasa_test  # noqa: E402

RASA = ROOT / ".venv-rasa" / "bin" / "rasa"


def train_nlu(data: Path, out: Path, name: str) -> float:
    """Train an NLU-only model on a file or a folder of files; seconds taken."""
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    env["PYTHONPATH"] = str(ROOT)  # the intent classifier lives in helpline_rasa/
    command = [str(RASA), "train", "nlu", "--nlu", str(data), "--out", str(out), "--fixed-model-name", name]
    command += ["--num-threads", "2"]
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> int:
    """Train and score both ways."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--languages", default="en,es,fr,pt,ro,ru,uk,ar")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "one-or-many")
    parser.add_argument("--one-only", action="store_true", help="train and score only the shared model")
    args = parser.parse_args()
    languages = [language.strip() for language in args.languages.split(",")]
    args.out.mkdir(parents=True, exist_ok=True)
    heldout = heldout_examples(ROOT / "tests" / "nlu")
    rows: dict[str, dict[str, float]] = {language: {} for language in languages}
    seconds = {"many": 0.0, "one": 0.0}
    for language in languages if not args.one_only else []:
        seconds["many"] += train_nlu(ROOT / "nlu" / f"{language}.yml", args.out, f"nlu-{language}")
        with tempfile.TemporaryDirectory() as results:
            predictions = run_rasa_test(
                args.out / f"nlu-{language}.tar.gz", ROOT / "tests" / "nlu" / f"{language}.yml", Path(results)
            )
        score = language_score(heldout[language], predictions)
        rows[language] |= {"many_f1": score.macro_f1, "many_acc": score.accuracy}
        print(f"{language}: own model macro-F1 {score.macro_f1:.3f}", flush=True)
    with tempfile.TemporaryDirectory() as data, tempfile.TemporaryDirectory() as split:
        for language in languages:
            shutil.copy(ROOT / "nlu" / f"{language}.yml", Path(data) / f"{language}.yml")
            shutil.copy(ROOT / "tests" / "nlu" / f"{language}.yml", Path(split) / f"{language}.yml")
        seconds["one"] = train_nlu(Path(data), args.out, "nlu-all")
        with tempfile.TemporaryDirectory() as results:
            predictions = run_rasa_test(args.out / "nlu-all.tar.gz", Path(split), Path(results))
    for language in languages:
        score = language_score(heldout[language], predictions)
        rows[language] |= {"one_f1": score.macro_f1, "one_acc": score.accuracy}
    print("\n| language | one model: macro-F1 (acc.) | own model: macro-F1 (acc.) |")
    print("|---|---|---|")
    for language, row in rows.items():
        own = f"{row['many_f1']:.3f} ({row['many_acc']:.3f})" if "many_f1" in row else "-"
        print(f"| {language} | {row['one_f1']:.3f} ({row['one_acc']:.3f}) | {own} |")
    print(f"\ntraining: one model {seconds['one']:.0f} s; one per language {seconds['many']:.0f} s in total")
    return 0


if __name__ == "__main__":
    sys.exit(main())
