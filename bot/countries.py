"""Countries by ISO 3166-1 alpha-2 code, named in the person's language and recognised in short answers."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from babel import Locale, UnknownLocaleError

from bot.country_words import (
    ALIASES,
    ALSO_NAMED_IN,
    CAPITALISED_ONLY,
    CYRILLIC_CONSONANT,
    ENDINGS,
    ENDONYMS,
    EVERYDAY_WORDS,
)
from bot.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES, UNSPACED_LETTER, babel_locale

# Babel territories that are not countries: unions, world regions, pseudo-locales and "unknown region".
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"})
# Codes ISO 3166-1 only reserves (Ascension, Canaries, Ceuta...): their people are served by the country.
_RESERVED_CODES = frozenset({"AC", "CP", "CQ", "DG", "EA", "IC", "TA"})

# Only answers to "Which country are you in?" are read; longer texts are conversation, not an answer.
_MAX_CHARS = 60
_MAX_WORDS = 8

# An inflected form must keep at least this much of the name, so "Чехии" is found but no 3-letter stem is.
_MIN_SHARED = 4
COUNTRY_PAYLOAD_PREFIX = "/country_"
# Buttons are forgeable: a code of two letters, then at most an intent name (Telegram allows 64 bytes).
_COUNTRY_PAYLOAD = re.compile(r"^/country_([a-z]{2})(?:_([a-z][a-z_]{0,48}))?$")

_CYRILLIC_VOWELS = frozenset("аеёиоуыэюяіїєьй")

# Arabic writes "in", "to", "and" as letters joined to the next word (بإيطاليا = "in Italy"); longest first.
_ARABIC_PREFIXES = ("وفي", "في", "وب", "ول", "ب", "ل", "و", "ف")
# Spelling variants of the same Arabic letters (hamza on alef is removed with the other marks).
_ARABIC_LETTERS = str.maketrans({"ة": "ه", "ى": "ي", "ـ": None})
# Apostrophes split words (l'Italie, I'm, Мʼянма) so the country name stands alone.
_APOSTROPHES = str.maketrans({"'": " ", "’": " ", "ʼ": " ", "`": " ", "´": " "})
# A word; in scripts written without spaces (Chinese, Thai) each letter is a word, so "我在英国" is read
# as 我 在 英 国 and holds the name 英国 (英 国), as "I am in the UK" holds "UK".
_WORD = re.compile(rf"{UNSPACED_LETTER}|(?:(?!{UNSPACED_LETTER})\w)+")
_UNSPACED = re.compile(UNSPACED_LETTER)
# A combining mark that is part of a letter in Russian and Ukrainian, so it is kept: й, ї.
_KEPT_MARKS = frozenset({("и", "\u0306"), ("і", "\u0308"), ("И", "\u0306"), ("І", "\u0308")})


def is_country_code(code: str) -> bool:
    """Whether this is the upper-case ISO 3166-1 alpha-2 code of a real country or territory."""
    return (
        len(code) == 2
        and code.isascii()
        and code.isalpha()
        and code.isupper()
        and code not in _NOT_COUNTRIES
        and code not in _RESERVED_CODES
        and code in _babel_territories()
    )


def country_name(code: str, locale: str) -> str:
    """The country's name in this locale (English if the locale is unknown), or the code if not a country."""
    if not is_country_code(code):
        return code
    try:
        territories = babel_locale(locale).territories
    except (UnknownLocaleError, ValueError):
        territories = Locale.parse(DEFAULT_LOCALE).territories
    return str(territories.get(code, code))


def country_flag(code: str) -> str:
    """The flag emoji of a country (two regional indicator letters), a help for people who read little."""
    return "".join(chr(0x1F1E6 + ord(letter) - ord("A")) for letter in code.upper())


def country_payload(code: str, then_intent: str | None = None) -> str:
    """What a country button sends back: `/country_ro`, or `/country_ro_ask_shelter` to answer that next."""
    return f"{COUNTRY_PAYLOAD_PREFIX}{code.lower()}" + (f"_{then_intent}" if then_intent else "")


def country_from_payload(text: str) -> tuple[str, str | None] | None:
    """The country (and the intent to answer next) of a country button; None if it is not a real one."""
    found = _COUNTRY_PAYLOAD.match(text)
    if found is None or not is_country_code(found.group(1).upper()):
        return None
    return found.group(1).upper(), found.group(2)


def match_country(text: str, locales: Sequence[str] = SUPPORTED_LOCALES) -> str | None:
    """The code of the one country a short answer names, or None when it names none or several."""
    if len(text) > _MAX_CHARS or len(text.split()) > _MAX_WORDS:
        return None
    words = _words(text)
    index = _name_index(tuple(locales))
    matches: list[_Match] = []
    for start, word in enumerate(words):
        for key, guesses in _lookup_keys(word):
            for name in index.get(key, ()):
                found = name.match(words, start, key, guesses)
                if found is not None:
                    matches.append(found)
    codes = {match.code for match in matches if not any(other.beats(match) for other in matches)}
    return codes.pop() if len(codes) == 1 else None


@dataclass(frozen=True)
class _Word:
    """One word of a country name: its written form and the inflected forms that also count."""

    exact: str
    inflected: frozenset[str]


@dataclass(frozen=True)
class _Match:
    """Where a country name was found in the text, and how many of its words had to be guessed at."""

    code: str
    start: int
    end: int
    guesses: int

    def beats(self, other: _Match) -> bool:
        """Whether this match makes the other one moot: a longer name around it, or a closer reading."""
        if self.code == other.code or not (self.start <= other.start and other.end <= self.end):
            return False
        longer = self.end - self.start > other.end - other.start
        return longer or self.guesses < other.guesses


@dataclass(frozen=True)
class _Name:
    """One way of naming a country, word by word."""

    code: str
    words: tuple[_Word, ...]

    def match(self, text: Sequence[str], start: int, first: str, guesses: int) -> _Match | None:
        """This name read at this position of the text (its first word read as `first`), if all words fit."""
        end = start + len(self.words)
        if end > len(text):
            return None
        for found, word in zip((first, *text[start + 1 : end]), self.words, strict=True):
            if found != word.exact:
                if found not in word.inflected:
                    return None
                guesses += 1
        return _Match(self.code, start, end, guesses)


def _lookup_keys(word: str) -> list[tuple[str, int]]:
    """The forms under which a text word may be indexed, each with how much of a guess it is."""
    keys = [(word, 0)]
    for prefix in _ARABIC_PREFIXES:
        # A remainder of three letters still names a country (مصر), shorter ones are particles.
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            keys.append((word[len(prefix) :], 1))
    return keys


@lru_cache(maxsize=1)
def _babel_territories() -> frozenset[str]:
    """Every territory code Babel knows, countries or not."""
    return frozenset(Locale.parse(DEFAULT_LOCALE).territories)


@lru_cache(maxsize=8)
def _name_index(locales: tuple[str, ...]) -> dict[str, tuple[_Name, ...]]:
    """Every name of every country in these locales, indexed by the forms of its first word."""
    names: set[_Name] = set()
    for locale in locales:
        for named_in in (locale, *ALSO_NAMED_IN.get(locale, ())):
            try:
                territories = babel_locale(named_in).territories
            except (UnknownLocaleError, ValueError):
                continue
            for code, babel_name in territories.items():
                if is_country_code(code):
                    names.update(_names(code, str(babel_name), locale))
        for code, aliases in ALIASES.get(locale, {}).items():
            for alias in aliases:
                names.update(_names(code, alias, locale))
    for code, endonyms in ENDONYMS.items():
        for endonym in endonyms:
            names.update(_names(code, endonym, ""))
    index: dict[str, list[_Name]] = {}
    for name in names:
        first = name.words[0]
        for key in {first.exact, *first.inflected}:
            index.setdefault(key, []).append(name)
    return {key: tuple(found) for key, found in index.items()}


def _names(code: str, name: str, locale: str) -> list[_Name]:
    """The name as written, and its short form without a parenthesis or a qualifier after a comma or dash."""
    variants = {name, re.sub(r"\s*\(.*?\)", "", name)}
    variants |= {re.split(r",| [-–—] ", variant)[0] for variant in set(variants)}
    result = []
    for variant in variants:
        words = _words(variant)
        if words and "".join(words) not in EVERYDAY_WORDS:
            result.append(_Name(code, tuple(_Word(word, _inflected(word, locale)) for word in words)))
    return result


def _inflected(word: str, locale: str) -> frozenset[str]:
    """The declined forms of a name word in this locale (none in languages that do not decline names)."""
    for ending, replacements in ENDINGS.get(locale, ()):
        if ending == CYRILLIC_CONSONANT and word[-1:] in _CYRILLIC_VOWELS:
            continue
        if word.endswith(ending):
            stem = word[: len(word) - len(ending)]
            forms = (stem + replacement for replacement in replacements)
            return frozenset(form for form in forms if _shared_length(word, form) >= _MIN_SHARED)
    return frozenset()


def _shared_length(first: str, second: str) -> int:
    """How many letters two words share from the start."""
    pairs = zip(first, second, strict=False)
    return next((i for i, (a, b) in enumerate(pairs) if a != b), min(len(first), len(second)))


def word_count(words: Iterable[str]) -> float:
    """How many words these are; two letters of an unspaced script count as one ("我住在希腊": 2.5)."""
    return sum(0.5 if _UNSPACED.fullmatch(word) else 1 for word in words)


def folded_words(text: str) -> tuple[str, ...]:
    """The words of a text without accents or punctuation, Arabic letters unified, case kept."""
    return tuple(_WORD.findall(_fold(text)))


def _words(text: str) -> tuple[str, ...]:
    """The words of a text, lower-cased, without accents or punctuation, Arabic letters unified."""
    return tuple(word if word in CAPITALISED_ONLY else word.lower() for word in _WORD.findall(_fold(text)))


def _fold(text: str) -> str:
    """The text without accents (so "espana" finds "España"), keeping the letters й and ї."""
    kept: list[str] = []
    for char in unicodedata.normalize("NFD", text.translate(_APOSTROPHES)):
        if unicodedata.combining(char) and not (kept and (kept[-1], char) in _KEPT_MARKS):
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept)).translate(_ARABIC_LETTERS)
