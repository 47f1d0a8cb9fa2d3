"""How long a topic answer may be: a frightened person on a cheap phone reads a few short sentences.

Pure functions over one text, so the content check can measure every topic variant in every language.
Words are whitespace-separated tokens with a letter or digit in them; a link, an e-mail address or a
phone number ("0800 800 678") is one word however it is spaced or punctuated. Scripts written without
spaces between words (Chinese, Thai) are measured in characters instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from bot.i18n import ETHIOPIC_SENTENCE_ENDS, UNSPACED_LETTER, ethiopic_spaced

MAX_TOPIC_WORDS = 100  # before the list of services and the review date, which the bot appends
MAX_SENTENCE_WORDS = 20  # a bullet counts as a sentence
# A word of English carries about as much as two Chinese characters or two Thai letters (vowel and tone
# marks not counted), so scripts without spaces get twice as many characters as other scripts get words.
CHARS_PER_WORD = 2
MAX_TOPIC_CHARS = MAX_TOPIC_WORDS * CHARS_PER_WORD  # 200
MAX_SENTENCE_CHARS = MAX_SENTENCE_WORDS * CHARS_PER_WORD  # 40
# Thai spells a word with more letters than Chinese writes characters: measured on the Thai translation of
# every topic, one English word is 3.5 Thai letters on average (4.1 at most), so Thai gets four per word.
THAI_CHARS_PER_WORD = 4
# Languages written without spaces between words (Japanese too, should it ever be added).
NO_SPACE_LOCALES = frozenset({"ja", "th", "zh"})
# Scripts whose every letter is a unit in those languages (bot.i18n.UNSPACED_LETTER); a run of Latin
# letters or digits among them (a name, "T visa") is one unit, as it would be one word elsewhere.
_UNSPACED = re.compile(UNSPACED_LETTER)
_EXCERPT_WORDS = 8
_EXCERPT_CHARS = 16

# Stands for a link, e-mail address or number while sentences are split and units counted: a character
# from Unicode's private use area, which no reviewed text contains.
_TOKEN = "\ue000"
_TRAILING = r"[^\s.,;:!?…)\]}\"'»”。！？؟]"
_ONE_WORD = re.compile(
    "|".join(
        (
            rf"(?:https?://|www\.)\S*{_TRAILING}",  # a link
            r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",  # an e-mail address
            r"\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b(?:/\S*" + _TRAILING + r")?",  # humantraffickinghotline.org
            r"\+?\d+(?:[ \u00a0./:-]\d+)*",  # 0800 800 678, +1 888 373 7888, 24/7, 15:00
        )
    )
)
# A sentence ends at . ! ? … ؟ followed by a space, a closing quote or the end; at 。！？ or the Ethiopic
# ። ፧ ፨ (a space need not follow them); at a line break; or at a bullet.
_SENTENCE_END = re.compile(rf"[.!?…؟]+(?=[\s\"'”»)]|$)|[。！？{ETHIOPIC_SENTENCE_ENDS}]+|\n|•")


@dataclass(frozen=True)
class Limits:
    """The longest a topic text and one of its sentences may be, in a language's unit."""

    text: int
    sentence: int
    unit: str  # "words" or "characters", as the problems say it


WORD_LIMITS = Limits(text=MAX_TOPIC_WORDS, sentence=MAX_SENTENCE_WORDS, unit="words")
CHARACTER_LIMITS = Limits(text=MAX_TOPIC_CHARS, sentence=MAX_SENTENCE_CHARS, unit="characters")
# Vietnamese puts a space between syllables, not between words ("luật sư" is one word): a word of English
# carries about as much as one and a half Vietnamese syllables, so a syllable counts as two thirds of a word.
SYLLABLE_LOCALES = frozenset({"vi"})
SYLLABLE_LIMITS = Limits(
    text=MAX_TOPIC_WORDS * 3 // 2, sentence=MAX_SENTENCE_WORDS * 3 // 2, unit="syllables"
)
THAI_LIMITS = Limits(
    text=MAX_TOPIC_WORDS * THAI_CHARS_PER_WORD,
    sentence=MAX_SENTENCE_WORDS * THAI_CHARS_PER_WORD,
    unit="characters",
)


def counts_characters(locale: str) -> bool:
    """Whether a locale ("zh", "zh_TW", "th") is written without spaces, so measured in characters."""
    return re.split(r"[_-]", locale, maxsplit=1)[0].lower() in NO_SPACE_LOCALES


def limits_for(locale: str) -> Limits:
    """The limits a topic text in this locale must keep."""
    language = re.split(r"[_-]", locale, maxsplit=1)[0].lower()
    if language in SYLLABLE_LOCALES:
        return SYLLABLE_LIMITS
    if not counts_characters(locale):
        return WORD_LIMITS
    return THAI_LIMITS if language == "th" else CHARACTER_LIMITS


def length(text: str, locale: str) -> int:
    """How long a text is in its locale's unit: words, or characters for scripts without spaces."""
    return _units(_ONE_WORD.sub(_TOKEN, ethiopic_spaced(text)), counts_characters(locale))


def sentences(text: str) -> list[str]:
    """The sentences of a text, bullets and lines included, with links and numbers kept whole."""
    kept = iter(match.group() for match in _ONE_WORD.finditer(text))
    return [_restore(part, kept) for part in _split(_ONE_WORD.sub(_TOKEN, text))]


def text_problems(text: str, locale: str) -> list[str]:
    """What makes a topic text too long to read in danger: over 100 words, or a sentence over 20.

    Scripts without spaces are held to 200 characters and 40 per sentence (Thai: 400 and 80). Each
    problem is a sentence staff can act on; an empty list means the text keeps the limits.
    """
    limits = limits_for(locale)
    by_characters = limits.unit == "characters"
    problems: list[str] = []
    total = length(text, locale)
    if total > limits.text:
        problems.append(
            f"{total} {limits.unit}: a topic text may have at most {limits.text} {limits.unit} "
            "before the list of services; shorten it"
        )
    for sentence in sentences(text):
        size = length(sentence, locale)
        if size > limits.sentence:
            problems.append(
                f"a sentence of {size} {limits.unit} (at most {limits.sentence}): "
                f'"{_excerpt(sentence, by_characters)}"; split it'
            )
    return problems


def _split(text: str) -> Iterator[str]:
    """The non-empty sentences of a text whose links and numbers are already replaced by `_TOKEN`."""
    for part in _SENTENCE_END.split(text):
        if part.strip():
            yield part.strip()


def _restore(part: str, kept: Iterator[str]) -> str:
    """A sentence with its links and numbers put back, in the order they were taken out."""
    return re.sub(_TOKEN, lambda _: next(kept), part)


def _units(text: str, by_characters: bool) -> int:
    """Words (tokens with a letter or digit) or, for scripts without spaces, characters."""
    if not by_characters:
        return sum(1 for token in text.split() if _TOKEN in token or any(ch.isalnum() for ch in token))
    units, in_run = 0, False
    for char in text:
        if char == _TOKEN or (char.isalnum() and _unspaced(char)):
            units, in_run = units + 1, False
        elif char.isalnum():  # a Latin or other spaced-script run counts once
            units, in_run = units + (not in_run), True
        else:  # spaces, punctuation, and vowel or tone marks (not alphanumeric)
            in_run = False
    return units


def _unspaced(char: str) -> bool:
    """Whether a letter belongs to a script written without spaces (Chinese, Japanese kana, Thai)."""
    return _UNSPACED.match(char) is not None


def _excerpt(sentence: str, by_characters: bool) -> str:
    """The start of a sentence, enough for staff to find it."""
    if by_characters:
        return sentence if len(sentence) <= _EXCERPT_CHARS else sentence[:_EXCERPT_CHARS] + "…"
    words = sentence.split()
    return " ".join(words[:_EXCERPT_WORDS]) + (" …" if len(words) > _EXCERPT_WORDS else "")
