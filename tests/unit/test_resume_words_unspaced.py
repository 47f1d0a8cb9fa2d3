"""Resume codes in Chinese, written without spaces: shown with spaces, read with or without them, with Chinese
punctuation between the words or not; the order of the words still matters."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.privacy.resume_codes import code_hash
from bot.privacy.resume_words import CodeWords

ROOT = Path(__file__).resolve().parents[2]
WORDS = CodeWords.load(ROOT / "content")
SECRET = b"k" * 32
CODE = "苹果 熊猫 雪花 铅笔"  # four words of content/resume/zh.yml


def as_read(typed: str) -> str:
    """The code as the resume desk redeems it (bot.privacy.resume.ResumeDesk)."""
    return WORDS.spaced(typed) or typed


def test_the_chinese_code_is_one_list_s_words() -> None:
    assert WORDS.list_for("zh").length == len(CODE.split())
    assert set(CODE.split()) <= set(WORDS.list_for("zh").words)


@pytest.mark.parametrize(
    "typed",
    [
        CODE,
        "苹果熊猫雪花铅笔",
        "苹果，熊猫，雪花，铅笔。",
        "苹果熊猫 雪花铅笔",
        "苹果\u3000熊猫\u3000雪花\u3000铅笔",
    ],
)
def test_a_chinese_code_is_the_same_code_however_it_is_spaced(typed: str) -> None:
    assert WORDS.looks_like_code(typed)
    assert code_hash(as_read(typed), SECRET) == code_hash(CODE, SECRET)


def test_a_chinese_code_in_another_order_is_another_code() -> None:
    assert code_hash(as_read("熊猫苹果雪花铅笔"), SECRET) != code_hash(CODE, SECRET)


@pytest.mark.parametrize(
    "text",
    [
        "苹果熊猫雪花",
        "苹果熊猫雪花铅笔苹果",
        "我的代码是苹果熊猫雪花铅笔",
        "苹果熊猫雪花铅",
        "我想吃苹果和香蕉",
    ],
)
def test_chinese_text_that_is_not_exactly_a_code_is_not_one(text: str) -> None:
    assert not WORDS.looks_like_code(text)


def test_a_drawn_chinese_code_is_read_back_without_its_spaces() -> None:
    code = WORDS.draw("zh")
    assert WORDS.spaced(code.replace(" ", "")) == code


def test_every_chinese_word_has_two_letters_so_an_unspaced_code_splits_one_way() -> None:
    assert {len(word) for word in WORDS.list_for("zh").words} == {2}


@pytest.mark.parametrize("typed", ["给我一个代码", "给我一个代码！", "我要代码", "新代码", "給我一個代碼"])
def test_chinese_requests_for_a_code(typed: str) -> None:
    assert WORDS.is_request(typed)
    assert not WORDS.looks_like_code(typed)
