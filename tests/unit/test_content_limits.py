"""A topic answer stays short enough to read in danger: 100 words, 20 per sentence, or characters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.content.limits import (
    MAX_SENTENCE_CHARS,
    MAX_SENTENCE_WORDS,
    MAX_TOPIC_CHARS,
    MAX_TOPIC_WORDS,
    NO_SPACE_LOCALES,
    counts_characters,
    length,
    sentences,
    text_problems,
)

TOPICS = Path(__file__).resolve().parents[2] / "content" / "topics"


def words(count: int) -> str:
    """A sentence of `count` distinct words, without a full stop."""
    return " ".join(f"word{index}" for index in range(count))


def english_topic_variants() -> list[tuple[str, str, str]]:
    """(entry id, jurisdiction, English text) of every topic, read straight from the YAML files."""
    found = []
    for path in sorted(TOPICS.glob("*.yml")):
        entry: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        for variant in entry["variants"]:
            found.append((entry["id"], variant["jurisdiction"], variant["text"]["en"]))
    return found


def test_words_are_tokens_with_a_letter_or_a_digit() -> None:
    assert length("Call 112 now — • it is free!", "en") == 6


def test_a_phone_number_link_or_address_is_one_word() -> None:
    text = "Call 0800 800 678, +1 888 373 7888, https://example.org/help or trata@policia.es."
    assert length(text, "en") == 6
    assert length("Open 24/7 at humantraffickinghotline.org.", "en") == 4


def test_a_text_of_100_words_passes_and_101_fails() -> None:
    exactly = ". ".join(words(10) for _ in range(10)) + "."
    assert length(exactly, "en") == MAX_TOPIC_WORDS
    assert text_problems(exactly, "en") == []
    problems = text_problems(exactly + " One more.", "en")
    assert len(problems) == 1 and problems[0].startswith("102 words")


def test_a_sentence_over_20_words_is_named_by_its_start() -> None:
    assert text_problems(words(MAX_SENTENCE_WORDS) + ".", "en") == []
    problems = text_problems("Short one. " + words(MAX_SENTENCE_WORDS + 1) + ". Another.", "en")
    assert problems == [f'a sentence of 21 words (at most 20): "{words(8)} …"; split it']


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two! Three? Four… Five", ["One", "Two", "Three", "Four", "Five"]),
        ("هل أنت بأمان؟ اتصل الآن", ["هل أنت بأمان", "اتصل الآن"]),
        ("你安全吗。请打电话", ["你安全吗", "请打电话"]),
        ("Rights:\n• a safe place\n• a lawyer", ["Rights:", "a safe place", "a lawyer"]),
        ('Tap "Free legal help". Then wait.', ['Tap "Free legal help"', "Then wait"]),
        (
            "Write to trata@policia.es. See humantraffickinghotline.org. Call 0800 800 678.",
            ["Write to trata@policia.es", "See humantraffickinghotline.org", "Call 0800 800 678"],
        ),
        ("Art. 13 of the Convention, 1.5 days", ["Art", "13 of the Convention, 1.5 days"]),
        ("ውሑስ ዲኹም፧ ሕጂ ናብ 112 ደውሉ።ሓገዝ ኣሎ፨", ["ውሑስ ዲኹም", "ሕጂ ናብ 112 ደውሉ", "ሓገዝ ኣሎ"]),
    ],
    ids=["punctuation", "arabic", "chinese", "bullets", "quoted button", "links", "abbreviation", "geez"],
)
def test_sentences_end_at_punctuation_line_breaks_and_bullets(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_a_long_bullet_counts_as_one_long_sentence() -> None:
    text = "What you should get:\n• " + words(MAX_SENTENCE_WORDS + 1) + "\n• a lawyer"
    assert [problem.split(":")[0] for problem in text_problems(text, "en")] == [
        "a sentence of 21 words (at most 20)"
    ]


def test_geez_is_counted_in_words_and_its_wordspace_is_a_space() -> None:
    assert not counts_characters("ti")
    assert length("ሓገዝ ደልየ", "ti") == length("ሓገዝ፡ደልየ", "ti") == 2
    assert length("ናብ 112 ደውሉ።", "ti") == 3


def test_scripts_without_spaces_count_characters() -> None:
    assert {"zh", "th"} <= NO_SPACE_LOCALES
    assert counts_characters("zh") and counts_characters("zh_TW") and counts_characters("th")
    assert not counts_characters("en") and not counts_characters("ar") and not counts_characters("uk")
    # 2 + 1 (the number) + 2 + 1 ("T") + 1 ("visa") + 2: a Latin word counts once, as a word would.
    assert length("拨打112报警。T visa 签证", "zh") == 9
    # Thai vowel and tone marks are not counted; its letters are.
    assert length("ที่", "th") == 1


def test_chinese_is_held_to_200_characters_and_40_per_sentence() -> None:
    sentence = "请" * MAX_SENTENCE_CHARS
    assert text_problems(sentence + "。", "zh") == []
    assert text_problems("请" * (MAX_SENTENCE_CHARS + 1), "zh") == [
        f'a sentence of 41 characters (at most 40): "{"请" * 16}…"; split it'
    ]
    five = "。".join(sentence for _ in range(5)) + "。请"
    assert text_problems(five, "zh") == [
        f"{MAX_TOPIC_CHARS + 1} characters: a topic text may have at most 200 characters before the list "
        "of services; shorten it"
    ]


def test_vietnamese_counts_syllables_and_is_held_to_150_and_30_per_sentence() -> None:
    # "Luật sư miễn phí" (a free lawyer) is two words of four syllables, each written apart.
    assert length("Luật sư miễn phí.", "vi") == 4
    syllables = " ".join(["tiếng"] * 30)
    assert text_problems(syllables + ".", "vi") == []
    assert [problem.split(":")[0] for problem in text_problems(syllables + " nữa.", "vi")] == [
        "a sentence of 31 syllables (at most 30)"
    ]
    assert text_problems(". ".join([syllables] * 5) + ". Gọi 112.", "vi")[0].startswith("152 syllables")


def test_thai_spells_a_word_with_more_letters_so_it_is_held_to_400_and_80_per_sentence() -> None:
    line = "ก" * 80
    assert text_problems(line, "th") == []
    assert text_problems(line + "ก", "th") == [
        f'a sentence of 81 characters (at most 80): "{"ก" * 16}…"; split it'
    ]
    five = "\n".join(line for _ in range(5)) + "\nก"
    assert text_problems(five, "th")[0].startswith(
        "401 characters: a topic text may have at most 400 characters"
    )


def test_a_spaced_language_is_not_counted_in_characters() -> None:
    assert text_problems("Вам потрібна допомога? Зателефонуйте 527.", "uk") == []


@pytest.mark.parametrize(
    ("entry_id", "jurisdiction", "text"),
    english_topic_variants(),
    ids=[f"{entry_id}-{jurisdiction}" for entry_id, jurisdiction, _ in english_topic_variants()],
)
def test_every_english_topic_variant_keeps_the_limits(entry_id: str, jurisdiction: str, text: str) -> None:
    assert text_problems(text, "en") == []
