"""How well the danger net catches danger on its own: recall and false alarms per language, and its speed.

Reads a split in Rasa's NLU YAML (by default the held-out split `tests/nlu/`, which neither the model nor
the lexicons were written from): the `immediate_danger` examples are the danger to catch, every other
intent the messages that must not raise an alarm. Prints per language the recall on danger, the
false-alarm rate on the rest and the counts, and the time `assess` takes on a 300-character message;
writes the figures (no texts) under "danger_net" in bench/results.json, keeping the other keys.

    python bench/danger.py [--data tests/nlu] [--danger content/danger] [--out bench/results.json]
                           [--rasa-results DIR]

With `--rasa-results` (the `--out` folder of `rasa test nlu --successes` on the same split) it also
measures the net and the model together: a message is flagged when either says danger, which is what
the conversation core does. With `--data nlu` (the training data) it only prints, and `--show` lists the
messages missed or flagged: use that split, never the held-out one, to find what the lexicons lack.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.content.danger import DangerNet  # noqa: E402

DANGER_INTENT = "immediate_danger"
HELD_OUT = ROOT / "tests" / "nlu"
TIMING_MESSAGE = (
    "hello, i work in a restaurant kitchen since march and the boss keeps my passport in his office. "
    "he says i owe him money for the travel and the room, and every month the debt is bigger. i do not "
    "know if this is normal or what i can do, can you tell me my rights here please, thank you so much"
)


@dataclass
class LanguageFigures:
    """Counts for one language; rates are derived."""

    danger: int = 0
    caught: int = 0
    others: int = 0
    false_alarms: int = 0
    false_alarms_by_intent: Counter[str] = field(default_factory=Counter)
    missed: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        """Share of danger messages caught."""
        return self.caught / self.danger if self.danger else 0.0

    @property
    def false_alarm_rate(self) -> float:
        """Share of the other messages flagged as danger."""
        return self.false_alarms / self.others if self.others else 0.0

    def summary(self) -> dict[str, object]:
        """What goes to bench/results.json (no texts)."""
        return {
            "recall": round(self.recall, 4),
            "false_alarm_rate": round(self.false_alarm_rate, 4),
            "danger": self.danger,
            "caught": self.caught,
            "others": self.others,
            "false_alarms": self.false_alarms,
            "false_alarms_by_intent": dict(sorted(self.false_alarms_by_intent.items())),
        }


def examples(directory: Path) -> dict[str, list[tuple[str, str]]]:
    """(text, intent) pairs of each language's file, by language code (the file name)."""
    found: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        pairs = []
        for block in data.get("nlu", []):
            if "intent" not in block:
                continue
            for line in str(block.get("examples", "")).splitlines():
                text = line.strip()[2:].strip() if line.strip().startswith("- ") else ""
                if text:
                    pairs.append((text, str(block["intent"])))
        found[path.stem] = pairs
    return found


def model_predictions(directory: Path) -> dict[str, str]:
    """The model's intent for each text, from `rasa test nlu --successes` output."""
    predicted: dict[str, str] = {}
    for name in ("intent_successes.json", "intent_errors.json"):
        path = directory / name
        for row in json.loads(path.read_text(encoding="utf-8")) if path.exists() else []:
            predicted[row["text"]] = str((row.get("intent_prediction") or {}).get("name") or "nlu_fallback")
    return predicted


def measure(
    net: DangerNet, pairs: list[tuple[str, str]], model: dict[str, str] | None = None
) -> LanguageFigures:
    """Assess every message of one language (with the model's prediction too, when given)."""
    figures = LanguageFigures()
    for text, intent in pairs:
        flagged = net.assess(text) is not None or (model or {}).get(text) == DANGER_INTENT
        if intent == DANGER_INTENT:
            figures.danger += 1
            figures.caught += flagged
            if not flagged:
                figures.missed.append(text)
        else:
            figures.others += 1
            if flagged:
                figures.false_alarms += 1
                figures.false_alarms_by_intent[intent] += 1
                figures.flagged.append(f"{intent}: {text}")
    return figures


def assess_microseconds(net: DangerNet, runs: int = 2000) -> float:
    """Median time of `assess` on a 300-character message that is not danger (the whole text scanned)."""
    message = TIMING_MESSAGE[:300]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        net.assess(message)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def main() -> int:
    """Measure, print, and record the held-out figures in bench/results.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=HELD_OUT, help="NLU YAML files, one per language")
    parser.add_argument("--danger", type=Path, default=ROOT / "content" / "danger")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--show", action="store_true", help="list misses and false alarms (not held-out)")
    parser.add_argument("--rasa-results", type=Path, help="rasa test nlu --successes output, same split")
    args = parser.parse_args()
    held_out = args.data.resolve() == HELD_OUT.resolve()
    if args.show and held_out:
        parser.error("--show lists held-out texts, which the lexicons must not be tuned on: use --data nlu")

    net = DangerNet.load(args.danger)
    split = examples(args.data)
    by_language = {lang: measure(net, pairs) for lang, pairs in split.items()}
    print(f"danger net on {args.data}: recall on {DANGER_INTENT}, false alarms on every other intent")
    total = report(by_language, show=args.show)
    combined: dict[str, LanguageFigures] = {}
    combined_total = LanguageFigures()
    if args.rasa_results:
        model = model_predictions(args.rasa_results)
        combined = {lang: measure(net, pairs, model) for lang, pairs in split.items()}
        print(f"\nthe net or the model ({args.rasa_results})")
        combined_total = report(combined, show=False)
    microseconds = assess_microseconds(net)
    print(f"assess() on a 300-character message: {microseconds:.0f} µs (median)")

    if held_out:
        existing = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else {}
        results: dict[str, object] = {
            "split": str(args.data.relative_to(ROOT)) if args.data.is_relative_to(ROOT) else str(args.data),
            "languages": {lang: figures.summary() for lang, figures in by_language.items()},
            "all": total.summary(),
            "assess_us_300_chars": round(microseconds, 1),
        }
        if combined:
            results["with_model"] = {
                "languages": {lang: figures.summary() for lang, figures in combined.items()},
                "all": combined_total.summary(),
            }
        existing["danger_net"] = results
        args.out.write_text(json.dumps(existing, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        print(f"written to {args.out} (key danger_net)")
    return 0


def report(by_language: dict[str, LanguageFigures], show: bool) -> LanguageFigures:
    """Print one line per language and the total; returns the total."""
    total = LanguageFigures()
    print(f"{'lang':<6}{'recall':>8}{'caught':>10}{'false alarms':>15}{'rate':>8}   most flagged intents")
    for lang, figures in by_language.items():
        top = ", ".join(f"{intent} {n}" for intent, n in figures.false_alarms_by_intent.most_common(3))
        print(
            f"{lang:<6}{figures.recall:>8.3f}{figures.caught:>5}/{figures.danger:<4}"
            f"{figures.false_alarms:>9}/{figures.others:<5}{figures.false_alarm_rate:>8.3f}   {top}"
        )
        total.danger += figures.danger
        total.caught += figures.caught
        total.others += figures.others
        total.false_alarms += figures.false_alarms
        total.false_alarms_by_intent.update(figures.false_alarms_by_intent)
        if show:
            for text in figures.missed:
                print(f"    missed  {text}")
            for text in figures.flagged:
                print(f"    flagged {text}")
    print(
        f"{'all':<6}{total.recall:>8.3f}{total.caught:>5}/{total.danger:<4}"
        f"{total.false_alarms:>9}/{total.others:<5}{total.false_alarm_rate:>8.3f}"
    )
    return total


if __name__ == "__main__":
    sys.exit(main())
