"""Resume code words and hashes: every language's list gives at least 2^30 codes of harmless words, typing is
forgiving about case, accents, Arabic letter forms and spacing, even none between Thai words (not about
order), and only a keyed hash is kept."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from bot.content.danger import DangerNet
from bot.i18n import SUPPORTED_LOCALES
from bot.privacy.resume_codes import code_hash
from bot.privacy.resume_words import CodeWords, WordList, normalise, words_per_code

ROOT = Path(__file__).resolve().parents[2]
WORDS = CodeWords.load(ROOT / "content")


def test_every_language_has_a_reviewed_list() -> None:
    assert set(WORDS.locales) == set(SUPPORTED_LOCALES)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_each_list_gives_at_least_two_to_the_thirty_codes(locale: str) -> None:
    words = WORDS.list_for(locale)
    assert words.length * math.log2(len(words.words)) >= 30
    assert words.length <= 4  # short enough to write down and type on a phone


@pytest.mark.parametrize(
    ("size", "words"), [(1024, 3), (2048, 3), (1023, 4), (256, 4), (255, 4), (32, 6), (31, 7)]
)
def test_a_smaller_list_needs_more_words(size: int, words: int) -> None:
    assert words_per_code(size) == words


@pytest.fixture(scope="module")
def net() -> DangerNet:
    """The real danger net, loaded once."""
    return DangerNet.load(ROOT / "content" / "danger")


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_no_code_word_is_read_as_danger(net: DangerNet, locale: str) -> None:
    assert [word for word in WORDS.list_for(locale).words if net.assess(word) is not None] == []


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_no_request_phrase_is_typed_like_a_code(locale: str) -> None:
    for phrase in WORDS.list_for(locale).request_phrases:
        assert WORDS.is_request(phrase)
        assert not WORDS.looks_like_code(phrase)


def test_a_list_with_a_word_twice_once_normalised_is_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        WordList("es", ("Árbol", "arbol", "casa"), frozenset())


@pytest.mark.parametrize(
    ("typed", "plain"),
    [
        ("  Árbol   CASA-río. ", "arbol casa rio"),
        ("ÉTÉ,  château", "ete chateau"),
        ("Їжак  ялинка", "іжак ялинка"),
        ("أرنب  شجرة", "ارنب شجره"),
        ("إوزة", "اوزه"),
        ("سـمـكة", "سمكه"),
        ("ผีเสื้อ  นกพิราบ!", "ผีเสือ นกพิราบ"),  # Thai vowel signs stay in the word; tone marks do not count
    ],
)
def test_typing_is_forgiving(typed: str, plain: str) -> None:
    assert normalise(typed) == plain


def test_a_code_looks_like_a_code_however_it_is_typed_but_not_in_another_order() -> None:
    code = WORDS.draw("es")
    shouting = code.upper().replace(" ", "  -  ")
    assert WORDS.looks_like_code(code) and WORDS.looks_like_code(shouting)
    secret = b"k" * 32
    assert code_hash(shouting, secret) == code_hash(code, secret)
    reordered = " ".join(reversed(code.split()))
    if reordered != code:
        assert code_hash(reordered, secret) != code_hash(code, secret)


def test_a_thai_code_typed_without_spaces_is_the_same_code() -> None:
    """Thai is written without spaces between words: the code's words are found again in the list."""
    code = WORDS.draw("th")
    secret = b"k" * 32
    unspaced = code.replace(" ", "")
    assert WORDS.looks_like_code(unspaced)
    assert code_hash(WORDS.spaced(unspaced) or "", secret) == code_hash(code, secret)
    half = code.split()
    assert WORDS.spaced(f"{half[0]}{half[1]} {half[2]}{half[3]}") == WORDS.spaced(code)


def test_no_thai_code_word_begins_another_so_an_unspaced_code_splits_one_way() -> None:
    forms = WORDS.list_for("th").forms
    assert [(a, b) for a in forms for b in forms if a != b and b.startswith(a)] == []


def test_the_hash_is_keyed_and_never_the_words() -> None:
    code = WORDS.draw("en")
    one, other = code_hash(code, b"a" * 32), code_hash(code, b"b" * 32)
    assert one != other and len(one) == 64
    assert not any(word in one for word in code.split())
    with pytest.raises(ValueError):
        code_hash(code, b"")


def test_nothing_people_write_to_the_bot_looks_like_a_code() -> None:
    """A message taken for a code is answered "I don't know this code": it must never be one of the
    examples the bot learns from or is tested on (code words leave out every word of them)."""
    examples = [*ROOT.joinpath("nlu").rglob("*.yml"), *ROOT.joinpath("tests", "nlu").glob("*.yml")]
    examples += [*ROOT.joinpath("tests", "conversations").glob("*.yml")]
    lines = (line for path in examples for line in path.read_text(encoding="utf-8").splitlines())
    texts = (re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", line.strip().removeprefix("- ")) for line in lines)
    assert [text for text in texts if WORDS.looks_like_code(text)] == []


def test_ordinary_messages_do_not_look_like_codes() -> None:
    for text in (
        "I need help",
        "where can I sleep tonight",
        "hola",
        "/start",
        "necesito un abogado ahora",
        "ช่วยด้วย",
    ):
        assert not WORDS.looks_like_code(text)


def test_requests_are_whole_messages_in_any_language() -> None:
    assert WORDS.is_request("Give me a CODE!")
    assert WORDS.is_request("quiero un código")
    assert WORDS.is_request("أريد رمزا")
    assert WORDS.is_request("ขอรหัส") and WORDS.is_request("ขอ รหัส")
    assert not WORDS.is_request("what is a code of conduct")


def test_a_tigrinya_code_typed_with_the_ethiopic_wordspace_is_the_same_code() -> None:
    """Ge'ez may separate words with ፡ instead of a space, and end a sentence with ።."""
    code = WORDS.draw("ti")
    secret = b"k" * 32
    typed = "፡".join(code.split()) + "።"
    assert WORDS.looks_like_code(typed)
    assert code_hash(typed, secret) == code_hash(code, secret)
    assert WORDS.is_request("ኮድ ሃበኒ")
