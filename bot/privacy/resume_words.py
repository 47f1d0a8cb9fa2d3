"""The words of resume codes: a reviewed list per language (content/resume/<locale>.yml), pure functions.

A resume code is a few common words drawn at random from the person's language list, enough of them for
at least 2^30 codes (3 words from 1,024; 4 from 256). What the person types is normalised before it is
compared: case, accents, Arabic letter variants, punctuation and extra spaces do not matter; the ORDER of
the words does (keeping the 2^30 against guessing: in any order, 3 words would give 6 times fewer codes).
Chinese and Thai are written without spaces (bot.i18n.UNSPACED_LETTER): their codes are shown with spaces
and read with or without them ("苹果 西瓜" and "苹果西瓜" are the same code).
"""

from __future__ import annotations

import math
import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from bot.i18n import UNSPACED_LETTER

RESUME_DIR = "resume"  # under content/
MIN_CODES_LOG2 = 30  # every language's codes number at least 2^30
# People type Arabic letters in several equivalent ways: one form each before comparing.
_ARABIC_FORMS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ـ": None})
_APOSTROPHES = str.maketrans({"'": None, "’": None, "ʼ": None, "`": None})
_SEPARATORS = re.compile(r"[\W_]+", re.UNICODE)
# A space between two letters of a script written without spaces is not kept: typed or not, one code.
_UNSPACED_GAP = re.compile(rf"(?<={UNSPACED_LETTER}) (?={UNSPACED_LETTER})")
_UNSPACED_RUN = re.compile(rf"(?:{UNSPACED_LETTER})+")


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
    """Lower case, no accents or Arabic variants, words separated by one space ("Río-Casa" → "rio casa"),
    and none between letters of an unspaced script ("苹果 西瓜" → "苹果西瓜")."""
    folded = text.casefold().translate(_ARABIC_FORMS).translate(_APOSTROPHES)
    plain = "".join(char for char in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(char))
    return _UNSPACED_GAP.sub("", " ".join(part for part in _SEPARATORS.split(plain) if part))


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

    @cached_property
    def forms(self) -> frozenset[str]:
        """The normalised words."""
        return frozenset(normalise(word) for word in self.words)

    @cached_property
    def longest(self) -> int:
        """Letters in the longest normalised word."""
        return max(len(form) for form in self.forms)

    def draw(self) -> str:
        """A new code, as the person reads it: `length` random words (a CSPRNG), one space apart."""
        return " ".join(secrets.choice(self.words) for _ in range(self.length))

    def reads(self, typed: Sequence[str]) -> bool:
        """True when normalised words are exactly one code's words of this list; a run of unspaced letters
        may hold several of them ("苹果西瓜" is two)."""
        if sum(len(word) for word in typed) > self.length * self.longest:
            return False  # a long message is never a code: no need to look into it
        counts = {0}
        for word in typed:
            counts = {total + more for total in counts for more in self._readings(word)}
        return self.length in counts

    def _readings(self, word: str) -> set[int]:
        """How many list words `word` can be read as: 1 if it is one; a run of unspaced letters, split
        anywhere."""
        if not _UNSPACED_RUN.fullmatch(word):
            return {1} if word in self.forms else set()
        counts: list[set[int]] = [{0}] + [set() for _ in word]  # counts[i]: readings of word[:i]
        for end in range(1, len(word) + 1):
            for start in range(max(0, end - self.longest), end):
                if counts[start] and word[start:end] in self.forms:
                    counts[end] |= {count + 1 for count in counts[start]}
        return counts[-1]


class CodeWords:
    """Every language's list: draws codes, tells a typed code from other messages, and requests for one."""

    def __init__(self, lists: Mapping[str, WordList]) -> None:
        self._lists = dict(lists)
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
        typed = normalise(text).split()
        return any(word_list.reads(typed) for word_list in self._lists.values())
