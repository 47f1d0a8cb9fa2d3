"""The words of resume codes: a reviewed list per language (content/resume/<locale>.yml), pure functions.

A resume code is a few common words drawn at random from the person's language list, enough of them for
at least 2^30 codes (3 words from 1,024; 4 from 256). What the person types is normalised before it is
compared: case, accents, Arabic letter variants, punctuation and extra spaces do not matter; the ORDER of
the words does (keeping the 2^30 against guessing: in any order, 3 words would give 6 times fewer codes).
Thai is written without spaces between words, so a code typed without them ("แมวต้นไม้") is split back
into its list's words (`CodeWords.spaced`); a list read that way is prefix-free, so the split is unique.
"""

from __future__ import annotations

import math
import secrets
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

RESUME_DIR = "resume"  # under content/
MIN_CODES_LOG2 = 30  # every language's codes number at least 2^30
# People type Arabic letters in several equivalent ways: one form each before comparing.
_ARABIC_FORMS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ـ": None})
_APOSTROPHES = str.maketrans({"'": None, "’": None, "ʼ": None, "`": None})


class _Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str
    url: str | None = None


class WordListFile(BaseModel):
    """`content/resume/<locale>.yml`: the words of codes, and the phrases that ask for one."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    locale: str
    reviewed: date
    machine_drafted: bool = False
    reviewer: str | None = None
    sources: list[_Source] = Field(min_length=1)
    # Whole messages that ask for a code ("give me a code"), compared normalised; commands work anyway.
    request_phrases: list[str] = Field(min_length=1)
    words: list[str] = Field(min_length=16)


def normalise(text: str) -> str:
    """Lower case, no accents or Arabic variants, words separated by one space ("Río-Casa" → "rio casa")."""
    folded = text.casefold().translate(_ARABIC_FORMS).translate(_APOSTROPHES)
    plain = "".join(char for char in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(char))
    # Thai vowel signs are marks that stay (not combining in Unicode's sense, so not stripped above): a
    # separator is anything that is neither a letter, a digit nor a mark.
    kept = "".join(char if char.isalnum() or unicodedata.category(char)[0] == "M" else " " for char in plain)
    return " ".join(kept.split())


def words_per_code(list_size: int) -> int:
    """How many words a code needs from a list of this size for at least 2^30 codes."""
    if list_size < 2:
        raise ValueError("a word list needs at least two words")
    return math.ceil(MIN_CODES_LOG2 / math.log2(list_size) - 1e-9)


@dataclass(frozen=True)
class WordList:
    """One language's code words (as shown), their normalised forms, and its request phrases."""

    locale: str
    words: tuple[str, ...]
    request_phrases: frozenset[str]

    def __post_init__(self) -> None:
        forms = [normalise(word) for word in self.words]
        if any(len(form.split()) != 1 for form in forms) or len(set(forms)) != len(forms):
            raise ValueError(f"{self.locale}: each code word must be one word, unique once normalised")

    @property
    def length(self) -> int:
        """Words in one code of this language."""
        return words_per_code(len(self.words))

    @property
    def forms(self) -> frozenset[str]:
        """The normalised words."""
        return frozenset(normalise(word) for word in self.words)

    def draw(self) -> str:
        """A new code, as the person reads it: `length` random words (a CSPRNG), one space apart."""
        return " ".join(secrets.choice(self.words) for _ in range(self.length))


class CodeWords:
    """Every language's list: draws codes, tells a typed code from other messages, and requests for one."""

    def __init__(self, lists: Mapping[str, WordList]) -> None:
        self._lists = dict(lists)
        self._forms = {locale: word_list.forms for locale, word_list in self._lists.items()}
        self._longest = {locale: max(map(len, forms)) for locale, forms in self._forms.items()}
        self._requests = frozenset(
            phrase for word_list in self._lists.values() for phrase in word_list.request_phrases
        )

    @classmethod
    def load(cls, content_dir: Path, locales: Iterable[str] | None = None) -> CodeWords:
        """The lists in `content/resume/` (those of `locales` only, when given)."""
        wanted = set(locales) if locales is not None else None
        lists = {}
        for path in sorted((content_dir / RESUME_DIR).glob("*.yml")):
            parsed = WordListFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
            if wanted is None or parsed.locale in wanted:
                lists[parsed.locale] = WordList(
                    parsed.locale,
                    tuple(parsed.words),
                    frozenset(normalise(phrase) for phrase in parsed.request_phrases),
                )
        return cls(lists)

    def list_for(self, locale: str) -> WordList:
        """The list of `locale`, else English's."""
        return self._lists.get(locale) or self._lists["en"]

    @property
    def locales(self) -> Sequence[str]:
        """The languages with a list."""
        return tuple(self._lists)

    def draw(self, locale: str) -> str:
        """A new code in the person's language."""
        return self.list_for(locale).draw()

    def is_request(self, text: str) -> bool:
        """True when the whole message asks for a code in one of the listed phrases."""
        return normalise(text) in self._requests

    def looks_like_code(self, text: str) -> bool:
        """True when the message is exactly a code's words of one language's list (an attempt to resume)."""
        return self.spaced(text) is not None

    def spaced(self, text: str) -> str | None:
        """The code typed in `text`, normalised with one space between its words, or None when it is not
        exactly a code's words of one list; typed without spaces (as Thai is written), it is split back
        into that list's words."""
        typed = normalise(text).split()
        for locale, forms in self._forms.items():
            length = self._lists[locale].length
            if len(typed) == length and all(word in forms for word in typed):
                return " ".join(typed)
        unspaced = "".join(typed)
        for locale, forms in self._forms.items():
            words = _split(unspaced, forms, self._lists[locale].length, self._longest[locale])
            if words is not None:
                return " ".join(words)
        return None


def _split(text: str, forms: frozenset[str], count: int, longest: int) -> list[str] | None:
    """`text` as exactly `count` words of `forms` (the first split found, longest words first), else None."""
    if count == 0 or len(text) > count * longest:
        return [] if not text else None
    for end in range(min(len(text), longest), 0, -1):
        if text[:end] in forms:
            rest = _split(text[end:], forms, count - 1, longest)
            if rest is not None:
                return [text[:end], *rest]
    return None
