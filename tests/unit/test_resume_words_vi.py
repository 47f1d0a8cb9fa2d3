"""Vietnamese resume codes: people often type without tone marks, so a code typed plain is the same code, and
no two words of the list are the same syllable once the marks are gone."""

from __future__ import annotations

from pathlib import Path

from bot.privacy.resume_codes import code_hash
from bot.privacy.resume_words import CodeWords, normalise

ROOT = Path(__file__).resolve().parents[2]
WORDS = CodeWords.load(ROOT / "content", ["en", "vi"])
VIETNAMESE = WORDS.list_for("vi")


def test_a_code_typed_without_tone_marks_is_the_same_code() -> None:
    assert normalise("Vịt HEO ngựa-tôm") == "vit heo ngua tom"
    code = WORDS.draw("vi")
    plain = normalise(code)
    assert WORDS.looks_like_code(plain)
    secret = b"k" * 32
    assert code_hash(plain, secret) == code_hash(code, secret)


def test_each_word_is_one_syllable_of_its_own_once_the_marks_are_gone() -> None:
    forms = [normalise(word) for word in VIETNAMESE.words]
    assert all(len(form.split()) == 1 for form in forms)
    assert len(set(forms)) == len(forms)


def test_no_word_has_a_d_with_a_stroke_which_plain_typing_writes_as_d() -> None:
    assert [word for word in VIETNAMESE.words if "đ" in word.casefold()] == []


def test_a_code_is_four_words() -> None:
    assert VIETNAMESE.length == 4
    assert len(WORDS.draw("vi").split()) == 4


def test_asking_for_a_code_without_tone_marks_is_a_request() -> None:
    assert WORDS.is_request("cho toi ma")
    assert WORDS.is_request("Cho tôi một mã!")
    assert not WORDS.is_request("ma")  # "mã" alone is "ma"/"má" (ghost, mum) when typed plain
