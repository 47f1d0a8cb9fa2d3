"""How well the model understands each language: `rasa test nlu` on the held-out split, per language.

`make eval` trains (if needed) and runs this. It runs `rasa test nlu` once on `tests/nlu/` (the examples
training never sees), then splits Rasa's per-example results by the language file each example came
from, and writes per-language macro-F1, accuracy and the confusions worth fixing to bench/results.json
(key "nlu") and a readable report to bench/nlu-report.md.

Macro-F1 is the mean F1 over the intents of the contract present in the language's held-out file; a
prediction of `nlu_fallback` ("not understood") counts as a miss for the true intent.

The typo split is the same held-out examples with seeded slips (dropped, doubled or swapped letters,
accents left out, phonetic spellings; bench/typos.py), scored the same way into "nlu_typo".

    python bench/eval.py [--model models/helpline.tar.gz] [--heldout tests/nlu] [--out bench]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.typos import perturbed

ROOT = Path(__file__).resolve().parents[1]
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
TARGET_MACRO_F1 = 0.90
CONFUSIONS_SHOWN = 3


@dataclass(frozen=True)
class Prediction:
    text: str
    intent: str
    predicted: str
    confidence: float


def heldout_examples(directory: Path) -> dict[str, list[tuple[str, str]]]:
    """(text, intent) pairs of each language's held-out file, by language code (the file name)."""
    examples: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        pairs = []
        for block in data.get("nlu", []):
            for line in str(block.get("examples", "")).splitlines():
                text = line.strip()[2:].strip() if line.strip().startswith("- ") else ""
                if text:
                    pairs.append((text, str(block["intent"])))
        examples[path.stem] = pairs
    return examples


def run_rasa_test(model: Path, heldout: Path, out: Path) -> dict[str, Prediction]:
    """Rasa's prediction for every held-out text (successes and errors together)."""
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    env["PYTHONPATH"] = str(ROOT)  # the intent classifier lives in helpline_rasa/
    command = [str(RASA), "test", "nlu", "--model", str(model), "--nlu", str(heldout), "--out", str(out)]
    command += ["--successes", "--no-plot", "--no-warnings", "--quiet"]
    subprocess.run(command, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    predictions: dict[str, Prediction] = {}
    for name in ("intent_successes.json", "intent_errors.json"):
        path = out / name
        for row in json.loads(path.read_text(encoding="utf-8")) if path.exists() else []:
            predicted = row.get("intent_prediction") or {}
            predictions[row["text"]] = Prediction(
                text=row["text"],
                intent=row["intent"],
                predicted=str(predicted.get("name") or "nlu_fallback"),
                confidence=float(predicted.get("confidence") or 0.0),
            )
    return predictions


@dataclass(frozen=True)
class LanguageScore:
    examples: int
    accuracy: float
    macro_f1: float
    confusions: list[tuple[str, str, int]]  # (intent, predicted, count), most frequent first
    errors: list[tuple[str, str, str]]  # (text, intent, predicted)

    def summary(self) -> dict[str, object]:
        """What goes to bench/results.json (no texts)."""
        confusions = [{"intent": i, "predicted": p, "count": n} for i, p, n in self.confusions]
        return {"examples": self.examples, "accuracy": self.accuracy, "macro_f1": self.macro_f1} | {
            "confusions": confusions
        }


def language_score(pairs: list[tuple[str, str]], predictions: dict[str, Prediction]) -> LanguageScore:
    """Macro-F1, accuracy and the most frequent confusions of one language."""
    truth = [intent for _, intent in pairs]
    guessed = [predictions[text].predicted if text in predictions else "missing" for text, _ in pairs]
    both = list(zip(truth, guessed, strict=True))
    f1s = []
    for intent in sorted(set(truth)):
        true_positive = sum(t == intent and g == intent for t, g in both)
        predicted, actual = guessed.count(intent), truth.count(intent)
        precision = true_positive / predicted if predicted else 0.0
        recall = true_positive / actual if actual else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    confusions = Counter((t, g) for t, g in both if t != g)
    return LanguageScore(
        examples=len(pairs),
        accuracy=round(sum(t == g for t, g in both) / len(pairs), 4),
        macro_f1=round(sum(f1s) / len(f1s), 4),
        confusions=[(t, g, n) for (t, g), n in confusions.most_common(CONFUSIONS_SHOWN)],
        errors=[(text, t, g) for (text, _), (t, g) in zip(pairs, both, strict=True) if t != g],
    )


def report(scores: dict[str, LanguageScore], seconds: float) -> str:
    """The readable report (bench/nlu-report.md)."""
    lines = [
        "# Held-out evaluation, per language",
        "",
        f"`make eval`: `rasa test nlu` on tests/nlu/ ({seconds:.0f} s).",
        f"Target: macro-F1 ≥ {TARGET_MACRO_F1} for every language.",
        "",
        "| language | examples | accuracy | macro-F1 | target met | most frequent confusions |",
        "|---|---|---|---|---|---|",
    ]
    for language, score in scores.items():
        confusions = "; ".join(f"{i} → {p} ×{n}" for i, p, n in score.confusions) or "-"
        met = "yes" if score.macro_f1 >= TARGET_MACRO_F1 else "**no**"
        lines.append(
            f"| {language} | {score.examples} | {score.accuracy:.3f} | {score.macro_f1:.3f} | {met} "
            f"| {confusions} |"
        )
    lines += ["", "## Every error", ""]
    for language, score in scores.items():
        lines += [
            f"- {language}: “{text}”: {intent} → {predicted}" for text, intent, predicted in score.errors
        ]
    return "\n".join(lines) + "\n"


def write_typo_split(pairs_by_language: dict[str, list[tuple[str, str]]], directory: Path) -> None:
    """The held-out examples with their seeded slips, one Rasa NLU file per language."""
    for language, pairs in pairs_by_language.items():
        by_intent: dict[str, list[str]] = {}
        for text, intent in pairs:
            by_intent.setdefault(intent, []).append(text)
        blocks = [
            {"intent": intent, "examples": "".join(f"- {text}\n" for text in texts)}
            for intent, texts in by_intent.items()
        ]
        data = {"version": "3.1", "nlu": blocks}
        (directory / f"{language}.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def typo_pairs(pairs_by_language: dict[str, list[tuple[str, str]]]) -> dict[str, list[tuple[str, str]]]:
    """Every held-out example with its slips (bench/typos.py); one line each, as Rasa reads them."""
    return {
        language: [(" ".join(perturbed(text, language).split()), intent) for text, intent in pairs]
        for language, pairs in pairs_by_language.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "helpline.tar.gz")
    parser.add_argument("--heldout", type=Path, default=ROOT / "tests" / "nlu")
    parser.add_argument("--out", type=Path, default=ROOT / "bench")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as results:
        predictions = run_rasa_test(args.model, args.heldout, Path(results))
    seconds = time.perf_counter() - started
    heldout = heldout_examples(args.heldout)
    scores = {language: language_score(pairs, predictions) for language, pairs in heldout.items()}
    typos = typo_pairs(heldout)
    with tempfile.TemporaryDirectory() as scratch:
        split, results = Path(scratch) / "typos", Path(scratch) / "results"
        split.mkdir()
        results.mkdir()
        write_typo_split(typos, split)
        typo_predictions = run_rasa_test(args.model, split, results)
    typo_scores = {language: language_score(pairs, typo_predictions) for language, pairs in typos.items()}
    (args.out / "nlu-report.md").write_text(report(scores, seconds), encoding="utf-8")
    results_file = args.out / "results.json"
    existing = json.loads(results_file.read_text()) if results_file.exists() else {}
    existing["nlu"] = {language: score.summary() for language, score in scores.items()}
    existing["nlu_min_macro_f1"] = min(score.macro_f1 for score in scores.values())
    existing["nlu_typo"] = {
        language: {"examples": score.examples, "accuracy": score.accuracy, "macro_f1": score.macro_f1}
        for language, score in typo_scores.items()
    }
    existing["nlu_typo_min_macro_f1"] = min(score.macro_f1 for score in typo_scores.values())
    results_file.write_text(json.dumps(existing, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    for language, score in scores.items():
        print(f"{language}: macro-F1 {score.macro_f1:.3f}, accuracy {score.accuracy:.3f} ({score.examples})")
    for language, score in typo_scores.items():
        print(f"{language} with typos: macro-F1 {score.macro_f1:.3f}, accuracy {score.accuracy:.3f}")
    below = [language for language, score in scores.items() if score.macro_f1 < TARGET_MACRO_F1]
    print(f"below {TARGET_MACRO_F1}: {', '.join(below) or 'none'}; report: {args.out / 'nlu-report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
