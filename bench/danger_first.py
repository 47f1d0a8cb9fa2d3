"""Danger first, measured as the helpline decides it: the net, the model, and both together.

A message gets the emergency number first when the danger net flags it (bot/content/danger.py), when the
model's intent is `immediate_danger` (the emergency action), or when the model gives `immediate_danger`
at least DANGER_SCORE though another intent won (the NLG endpoint). This script runs every message of a
set through the live model (`helpline nlu predict`, which starts a Rasa on the trained model when none
answers) and the net, and prints per language, for each way and for all together, the recall on danger
and the false-alarm rate on the rest; with a sweep of the score threshold.

Two sets:
- `tests/nlu/` (the held-out split): `immediate_danger` examples against every other intent. The lexicons
  were improved once after reading what they missed there, so the net's figure on it is optimistic.
- `bench/danger-unseen/<lang>.tsv` (`danger|safe<TAB>text`): written apart from the project, after the
  lexicons and training data, by someone who saw neither; never used to change them.

    python bench/danger_first.py [--out bench/results.json]

Writes the figures (no texts) under "danger_first" in bench/results.json, keeping the other keys.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.actions.nlg import DANGER_SCORE  # noqa: E402
from bot.content.danger import DangerNet  # noqa: E402
from bot.content.schema import DANGER_INTENT  # noqa: E402

HELD_OUT = ROOT / "tests" / "nlu"
UNSEEN = ROOT / "bench" / "danger-unseen"
THRESHOLDS = (0.1, 0.15, 0.2, 0.3, 0.5)


@dataclass(frozen=True)
class Example:
    lang: str
    text: str
    danger: bool


def held_out(directory: Path) -> list[Example]:
    """Every example of the held-out split; danger = its intent is `immediate_danger`."""
    found = []
    for path in sorted(directory.glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            for line in str(block.get("examples", "")).splitlines():
                if line.strip().startswith("- "):
                    found.append(
                        Example(path.stem, line.strip()[2:].strip(), block["intent"] == DANGER_INTENT)
                    )
    return found


def unseen(directory: Path) -> list[Example]:
    """The independent set: `danger` or `safe`, a tab, the message."""
    found = []
    for path in sorted(directory.glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            label, tab, text = line.partition("\t")
            if tab and text.strip():
                found.append(Example(path.stem, text.strip(), label.strip() == "danger"))
    return found


def predictions(examples: list[Example]) -> list[tuple[str, float]]:
    """(intent, danger score) of each example from the live model, in order."""
    lines = "".join(f"{example.lang}\t{' '.join(example.text.split())}\n" for example in examples)
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "helpline"), "nlu", "predict"],
        input=lines,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    if len(rows) != len(examples):
        raise SystemExit(f"expected {len(examples)} predictions, got {len(rows)}")
    return [(str(row["intent"]), float(row.get("danger", 0.0))) for row in rows]


def rates(flags: list[tuple[Example, bool]]) -> dict[str, float | int]:
    """Recall on danger and false-alarm rate on the rest, with the counts."""
    danger = [flag for example, flag in flags if example.danger]
    others = [flag for example, flag in flags if not example.danger]
    return {
        "danger": len(danger),
        "recall": round(sum(danger) / len(danger), 4) if danger else 0.0,
        "others": len(others),
        "false_alarm_rate": round(sum(others) / len(others), 4) if others else 0.0,
    }


def measure(examples: list[Example], net: DangerNet) -> dict[str, object]:
    """Per language and overall: the net, the model's intent, the model with its score, all together."""
    predicted = predictions(examples)
    ways: dict[str, list[bool]] = {
        "net": [net.assess(example.text) is not None for example in examples],
        "model_intent": [intent == DANGER_INTENT for intent, _ in predicted],
        "model_with_score": [intent == DANGER_INTENT or score >= DANGER_SCORE for intent, score in predicted],
    }
    ways["together"] = [any(flags) for flags in zip(*ways.values(), strict=True)]
    figures: dict[str, object] = {}
    by_lang: dict[str, list[int]] = defaultdict(list)
    for index, example in enumerate(examples):
        by_lang[example.lang].append(index)
    for way, flags in ways.items():
        figures[way] = {
            "all": rates(list(zip(examples, flags, strict=True))),
            "languages": {
                lang: rates([(examples[i], flags[i]) for i in indexes])
                for lang, indexes in sorted(by_lang.items())
            },
        }
    figures["threshold_sweep"] = {
        str(threshold): rates(
            [
                (example, net_flag or intent == DANGER_INTENT or score >= threshold)
                for example, net_flag, (intent, score) in zip(examples, ways["net"], predicted, strict=True)
            ]
        )
        for threshold in THRESHOLDS
    }
    figures["danger_score"] = DANGER_SCORE
    return figures


def show(name: str, figures: dict[str, object]) -> None:
    """A table per way: language, recall, false alarms."""
    print(f"\n== {name} (DANGER_SCORE {DANGER_SCORE})")
    for way in ("net", "model_intent", "model_with_score", "together"):
        table = figures[way]
        assert isinstance(table, dict)
        row = table["all"]
        recall, alarms = row["recall"], row["false_alarm_rate"]
        print(f"  {way:17} recall {recall:.3f} ({row['danger']})  false alarms {alarms:.3f}")
        if way == "together":
            for lang, cell in table["languages"].items():
                print(f"    {lang}: recall {cell['recall']:.3f}  false alarms {cell['false_alarm_rate']:.3f}")
    sweep = figures["threshold_sweep"]
    assert isinstance(sweep, dict)
    for threshold, row in sweep.items():
        recall, alarms = row["recall"], row["false_alarm_rate"]
        print(f"  together at score {threshold}: recall {recall:.3f}, false alarms {alarms:.3f}")


def main() -> int:
    """Measure both sets and record the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args()
    net = DangerNet.load(ROOT / "content" / "danger")
    results = {"held_out": measure(held_out(HELD_OUT), net)}
    show("held-out split (tests/nlu)", results["held_out"])
    if any(UNSEEN.glob("*.tsv")):
        results["unseen"] = measure(unseen(UNSEEN), net)
        show("independent set (bench/danger-unseen)", results["unseen"])
    existing = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else {}
    existing["danger_first"] = results
    args.out.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
