"""On SMS every text costs money: a topic is answered in its short `<topic>_sms` words, with the country's
services one line each and its emergency number, in every language; elsewhere the full answer stays."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.sms_segments import count_segments
from bot.channels.sms_text import plain
from bot.content import ContentLibrary
from bot.content.check import MAX_SMS_SEGMENTS, sms_length_problems
from bot.content.pack import read_pack
from bot.i18n import SUPPORTED_LOCALES

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ContentLibrary.load(ROOT / "content")
TOPICS = sorted(
    {
        entry.id
        for entry in map(LIBRARY.entry_for_intent, LIBRARY.intents())
        if entry and entry.kind == "topic"
    }
)


def test_every_topic_has_short_words_for_sms() -> None:
    for topic in TOPICS:
        assert LIBRARY.for_channel(topic, "sms") == f"{topic}_sms"


def test_a_shelter_answer_by_sms_is_short_and_gives_the_countrys_numbers() -> None:
    full = LIBRARY.reply("shelter", "en", "GB", channel="telegram")
    short = LIBRARY.reply("shelter", "en", "GB", channel="sms")

    assert short.entry_id == "shelter_sms"
    assert "08000 121 700" in short.text and "08000 121 700" in full.text
    assert "In an emergency, call 999." in short.text
    assert len(short.text) < len(full.text) / 2
    assert count_segments(plain(short.text)).segments <= 3


def test_the_sms_answer_keeps_the_topics_buttons_and_country_question() -> None:
    asking = LIBRARY.reply("legal_aid", "es", None, channel="sms")
    assert asking.buttons == LIBRARY.reply("legal_aid", "es", None).buttons  # a numbered country list
    answered = LIBRARY.reply("legal_aid", "en", "RO", channel="sms")
    assert [button.payload for button in answered.buttons] == [
        button.payload for button in LIBRARY.reply("legal_aid", "en", "RO").buttons
    ]


def test_an_sms_answer_follows_the_persons_country_variant() -> None:
    assert "911" in LIBRARY.reply("shelter", "en", "US", channel="sms").text
    assert LIBRARY.reply("identification", "en", "GB", channel="sms").jurisdiction == "GB"


def test_the_sms_directory_lists_at_most_three_services_with_numbers_only() -> None:
    text = LIBRARY.reply("legal_aid", "en", "US", channel="sms").text
    services = [line for line in text.splitlines() if line.startswith("▪")]
    assert 1 <= len(services) <= 3
    assert all(":" in line for line in services)
    assert "Languages:" not in text and "Last checked" not in text


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_short_sms_words_are_written_in_every_language(locale: str) -> None:
    for topic in TOPICS:
        reply = LIBRARY.reply(topic, locale, "RO", channel="sms")
        assert not reply.fallback_locale, f"{topic}_sms has no {locale} text"


def test_the_content_check_refuses_a_long_sms_answer(tmp_path: Path) -> None:
    pack, _ = read_pack(ROOT / "content")
    entry = pack.entries["shelter_sms"]
    long_variant = entry.variants[0].model_copy(update={"text": {"en": "A long sentence. " * 60}})
    pack.entries["shelter_sms"] = entry.model_copy(update={"variants": [long_variant]})

    problems = sms_length_problems(pack)

    assert [problem.file for problem in problems] == [pack.files["shelter_sms"]]
    assert f"at most {MAX_SMS_SEGMENTS}" in problems[0].message
