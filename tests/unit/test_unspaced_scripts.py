"""Chinese and Thai are written without spaces between words: the danger net, country names and the
gazetteer find what they look for inside unspaced text, while other scripts keep whole-word matching."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.content.danger import DangerNet, DangerSignal
from bot.content.danger_patterns import PatternError, compile_pattern, normalise
from bot.content.limits import length
from bot.content.places import Gazetteer
from bot.countries import folded_words, match_country, word_count


def net_of(tmp_path: Path, locale: str, cues: dict[str, list[str]]) -> DangerNet:
    data = {
        "locale": locale,
        "reviewed": "2026-12-02",
        "sources": [{"title": "Helpline team (conversation design)"}],
        "cues": cues,
    }
    text = yaml.safe_dump(data, allow_unicode=True).replace("'2026-12-02'", "2026-12-02")
    (tmp_path / f"{locale}.yml").write_text(text, encoding="utf-8")
    return DangerNet.load(tmp_path)


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("我被锁在房间里，没有水！", " 我 被 锁 在 房 间 里 没 有 水 "),
        ("他们有GUN", " 他 们 有 gun "),
        ("我要找lawyer", " 我 要 找 lawyer "),
        ("救命 救命", " 救 命 救 命 "),
        ("ช่วยด้วย", " ช ว ย ด ว ย "),
    ],
)
def test_every_letter_of_an_unspaced_script_is_a_word_of_its_own(text: str, normal: str) -> None:
    assert normalise(text) == normal


@pytest.mark.parametrize(
    "text",
    [
        "我被锁在房间里",
        "他们把我锁起来了 我被锁住了",
        "我 被锁 了",  # people sometimes put spaces in
        "救命！我被鎖住了",  # a traditional character in the pattern's alternatives
        "老板说要杀了我",
        "老板说他会杀我",
        "help 我被锁",
    ],
)
def test_a_chinese_pattern_is_found_inside_unspaced_text(tmp_path: Path, text: str) -> None:
    net = net_of(tmp_path, "zh", {"locked_in": ["(被锁|被鎖)"], "death_threat": ["要 杀", "说 ... 杀 我"]})
    assert net.assess(text) is not None


@pytest.mark.parametrize("text", ["我被关心", "锁匠在哪里", "他说了很多话", "杀虫剂在哪买"])
def test_a_chinese_pattern_needs_all_its_letters_in_order(tmp_path: Path, text: str) -> None:
    net = net_of(tmp_path, "zh", {"locked_in": ["被锁"], "death_threat": ["要 杀", "说 ... 杀 我"]})
    assert net.assess(text) is None


def test_a_thai_pattern_is_found_inside_unspaced_text_with_or_without_tone_marks(tmp_path: Path) -> None:
    net = net_of(tmp_path, "th", {"locked_in": ["ถูกขัง"]})
    assert net.assess("ผมถูกขังอยู่ในห้อง") == DangerSignal("th", "locked_in")
    assert net.assess("ผม ถูก ขัง") is not None
    assert net.assess("ผมถกขง") is not None  # typed without the vowel marks
    assert net.assess("ผมอยู่ในห้อง") is None


def test_english_among_chinese_is_read_word_by_word(tmp_path: Path) -> None:
    net = net_of(tmp_path, "en", {"weapon": ["(gun|knife)"]})
    assert net.assess("他有gun") == DangerSignal("en", "weapon")
    assert net.assess("他有GUN在车里") is not None
    assert net.assess("he has a gunshot wound") is None  # other scripts keep whole words
    assert net.assess("我没有枪") is None


def test_a_wildcard_beside_a_chinese_or_thai_letter_is_refused() -> None:
    for pattern in ("被*锁", "锁*", "*ขัง"):
        with pytest.raises(PatternError, match=r"\.\.\."):
            compile_pattern(pattern, {})
    assert compile_pattern("lock* 锁", {})  # a wildcard in a Latin word beside it is fine


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("英国", "GB"),
        ("我在英国", "GB"),
        ("我现在在美国纽约", "US"),
        ("在西班牙", "ES"),
        ("我在UK", "GB"),
        ("ไทย", "TH"),
        ("ฉันอยู่ที่ประเทศไทย", "TH"),
    ],
)
def test_a_country_is_found_inside_unspaced_text(text: str, code: str) -> None:
    assert match_country(text, ("en", "zh", "th")) == code


def test_two_countries_in_unspaced_text_are_not_guessed() -> None:
    assert match_country("我在法国和德国", ("zh",)) is None


def test_unspaced_text_is_read_letter_by_letter_and_other_words_whole() -> None:
    assert folded_words("我在London打工") == ("我", "在", "London", "打", "工")


def test_a_gazetteer_place_is_found_inside_unspaced_text() -> None:
    places = Gazetteer.from_data(
        {
            "countries": {
                "GB": {"zh": {"names": ["英国", "英國"], "cities": ["伦敦"]}},
                "IT": {"zh": {"names": ["意大利"], "cities": ["米兰"]}},
            },
            "follow_up_words": {"zh": ["那", "在", "呢"]},
        }
    )
    assert places.country_in("我在伦敦的餐馆打工，老板不给工资") == "GB"
    assert places.country_in("我在英國") == "GB"
    assert places.country_in("我从意大利来到英国") is None  # two countries: ask
    assert places.only_country("那在米兰呢？") == "IT"
    assert places.only_country("我在米兰需要律师") is None


def test_unspaced_scripts_are_measured_in_characters() -> None:
    assert length("我被锁在房间里。", "zh") == 7
    assert length("ผมถูกขัง", "th") == 6  # the vowel and tone marks are not letters
    assert length("打电话 0800 800 678", "zh") == 4


def test_two_letters_of_an_unspaced_script_count_as_one_word() -> None:
    assert word_count(folded_words("我住在希腊")) == 2.5
    assert word_count(folded_words("I live in Greece")) == 4
