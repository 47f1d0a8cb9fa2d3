"""The training data of every language covers the intent contract, and the held-out split stays unseen."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from bot.content import CONTRACT_INTENTS, FALLBACK_INTENT
from bot.i18n import SUPPORTED_LOCALES

ROOT = Path(__file__).resolve().parents[2]
INTENTS = [intent for intent in CONTRACT_INTENTS if intent != FALLBACK_INTENT]
MIN_TRAINING_EXAMPLES = 20
MIN_HELD_OUT_EXAMPLES = 5


def examples(path: Path) -> dict[str, list[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    found: dict[str, list[str]] = defaultdict(list)
    for block in data["nlu"]:
        found[block["intent"]] += [
            line.strip()[2:].strip() for line in block["examples"].splitlines() if line.strip()
        ]
    return found


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_intent_has_enough_examples_in_every_language(locale: str) -> None:
    training, held_out = (
        examples(ROOT / "nlu" / f"{locale}.yml"),
        examples(ROOT / "tests" / "nlu" / f"{locale}.yml"),
    )
    assert {
        intent: len(training[intent]) for intent in INTENTS if len(training[intent]) < MIN_TRAINING_EXAMPLES
    } == {}
    assert {
        intent: len(held_out[intent]) for intent in INTENTS if len(held_out[intent]) < MIN_HELD_OUT_EXAMPLES
    } == {}
    assert set(training) == set(held_out) == set(INTENTS)


def test_no_held_out_example_is_trained_on() -> None:
    trained = {
        text.lower()
        for locale in SUPPORTED_LOCALES
        for texts in examples(ROOT / "nlu" / f"{locale}.yml").values()
        for text in texts
    }
    seen = [
        text
        for locale in SUPPORTED_LOCALES
        for texts in examples(ROOT / "tests" / "nlu" / f"{locale}.yml").values()
        for text in texts
        if text.lower() in trained
    ]
    assert seen == []


def test_no_example_means_two_things_across_languages() -> None:
    """One model learns all languages: "ey" cannot be a greeting in Spanish and a yes in Arabic."""
    intents_of: dict[str, set[str]] = defaultdict(set)
    for locale in SUPPORTED_LOCALES:
        for intent, texts in examples(ROOT / "nlu" / f"{locale}.yml").items():
            for text in texts:
                intents_of[text].add(intent)
    assert {text: intents for text, intents in intents_of.items() if len(intents) > 1} == {}
