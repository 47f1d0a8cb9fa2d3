"""The reviewed follow-up lexicon (content/follow_ups.yml): what a short follow-up asks about the last topic.

"and if I have no papers?", "what about for my sister?", "how?" are read the way a person would, against
the topic before them: a message counts only when it is short, holds a cue, and every other word is one of
the small words follow-ups are made of (content/places.yml's `follow_up_words` and this file's `words`), a
place, or a number. Anything longer is a question of its own, for the model. Nothing of the text is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.content.pack import Problem, error
from bot.content.places import Gazetteer
from bot.countries import folded_words, word_count

FOLLOW_UPS_FILE = "follow_ups.yml"
NO_PAPERS, SOMEONE_ELSE, HOW, CHILD = "no_papers", "someone_else", "how", "child"
# What a follow-up may ask about the last topic; each has a note in content/messages/follow_up_<kind>.yml.
ASKS = (NO_PAPERS, SOMEONE_ELSE, HOW)
KINDS = (*ASKS, CHILD)
# The answer to a follow-up about a child: the child-protection topic, whatever the topic before.
CHILD_TOPIC = "ask_child_protection"
# An age under this, beside a word for someone else ("my sister is 15"), says the person is a child.
ADULT_AGE = 18
# Longer messages are questions of their own (two letters of Chinese or Thai count as one word).
MAX_WORDS = 10
MIN_STEM = 4
# Arabic joins "and", "so", "for", "with", "the" to the next word (وأختي, ولصديقي); longest first.
_ARABIC_PREFIXES = ("وبال", "وال", "بال", "ولل", "لل", "ال", "وب", "ول", "فل", "و", "ف", "ل", "ب")


def note_entry(kind: str) -> str:
    """The content entry said before the last topic's answer for a follow-up of this kind."""
    return f"follow_up_{kind}"


@dataclass(frozen=True)
class FollowUp:
    """What a short follow-up asks: notes for the last topic (`asks`), or a child's case (`child`)."""

    asks: tuple[str, ...] = ()
    child: bool = False


@dataclass(frozen=True)
class _Cue:
    words: tuple[str, ...]
    kind: str

    def fits(self, tokens: Sequence[str], start: int) -> bool:
        end = start + len(self.words)
        if end > len(tokens):
            return False
        return all(_word_fits(token, word) for token, word in zip(tokens[start:end], self.words, strict=True))


@dataclass(frozen=True)
class FollowUps:
    """Every reviewed cue, longest first, with the small words allowed around them."""

    cues: tuple[_Cue, ...] = ()
    words: frozenset[str] = frozenset()
    _by_first: dict[str, list[_Cue]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for cue in self.cues:  # longest first within each first word, as in `cues`
            first = cue.words[0]
            self._by_first.setdefault(first[:MIN_STEM] if first.endswith("*") else first, []).append(cue)

    @classmethod
    def load(cls, path: Path) -> FollowUps:
        """The lexicon of a follow-ups file; an empty one (nothing is a follow-up) when there is none."""
        if not path.exists():
            return cls()
        return cls.from_data(yaml.safe_load(path.read_text(encoding="utf-8")) or {})

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> FollowUps:
        """The lexicon of parsed YAML (see content/follow_ups.yml)."""
        cues = [
            _Cue(cue_words, str(kind))
            for kind, languages in (data.get("cues") or {}).items()
            for written in _all_written(languages)
            if (cue_words := _cue_words(written))
        ]
        cues.sort(key=lambda cue: -len(cue.words))
        small = frozenset(word for written in _all_written(data.get("words")) for word in _tokens(written))
        return cls(tuple(cues), small)

    def read(self, text: str, places: Gazetteer) -> FollowUp | None:
        """What a short follow-up asks, or None when the message is not one."""
        tokens = list(_tokens(text))
        if not tokens or word_count(tokens) > MAX_WORDS:
            return None
        covered = {i for mention in places.mentions(text) for i in range(mention.start, mention.end)}
        kinds: list[str] = []
        ages: list[int] = []
        start = 0
        while start < len(tokens):
            if start in covered:
                start += 1
                continue
            cue = self._cue_at(tokens, start)
            if cue is not None:
                kinds.append(cue.kind)
                start += len(cue.words)
                continue
            token = tokens[start]
            if token.isdecimal():
                ages.append(int(token))
            elif not self._is_small_word(token, places):
                return None
            start += 1
        if CHILD in kinds or (SOMEONE_ELSE in kinds and any(age < ADULT_AGE for age in ages)):
            return FollowUp(child=True)
        asks = tuple(kind for kind in ASKS if kind in kinds)
        if len(asks) > 1:  # "how about my sister?" asks for her, not for the steps
            asks = tuple(kind for kind in asks if kind != HOW)
        return FollowUp(asks) if asks else None

    def _cue_at(self, tokens: Sequence[str], start: int) -> _Cue | None:
        for reading in _readings(tokens[start]):
            read = [reading, *tokens[start + 1 :]]
            candidates: list[_Cue] = [
                *self._by_first.get(reading, []),
                *self._by_first.get(reading[:MIN_STEM], []),
            ]
            for cue in sorted(candidates, key=lambda cue: -len(cue.words)):
                if cue.fits(read, 0):
                    return cue
        return None

    def _is_small_word(self, token: str, places: Gazetteer) -> bool:
        return any(reading in self.words or places.is_follow_up_word(reading) for reading in _readings(token))


def follow_up_problems(path: Path, locales: Sequence[str]) -> list[Problem]:
    """What is wrong with the follow-ups file: an unknown kind, a stem too short to be safe; a language
    without cues is a warning (its follow-ups are read as questions of their own)."""
    if not path.exists():
        return [Problem("warning", path.name, "no follow-up lexicon: only country follow-ups are read")]
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    problems: list[Problem] = [
        error(path.name, f"words.{locale}", f"{item!r} is not text (quote it: no, yes, on)")
        for locale, written in (data.get("words") or {}).items()
        for item in written or ()
        if not isinstance(item, str)
    ]
    cues = data.get("cues") or {}
    for kind, languages in cues.items():
        if kind not in KINDS:
            problems.append(error(path.name, f"cues.{kind}", f"not one of {', '.join(KINDS)}"))
            continue
        for locale, written in (languages or {}).items():
            for item in written or ():
                if not isinstance(item, str):
                    problems.append(error(path.name, f"cues.{kind}.{locale}", f"{item!r} is not text"))
                elif item.rstrip().endswith("*") and len(_cue_words(item)[-1]) - 1 < MIN_STEM:
                    problems.append(error(path.name, f"cues.{kind}.{locale}", f"stem '{item}' is too short"))
    for kind in KINDS:
        for locale in locales:
            if not (cues.get(kind) or {}).get(locale):
                problems.append(
                    Problem("warning", path.name, f"no '{kind}' follow-ups in '{locale}'", f"cues.{kind}")
                )
    return problems


def _all_written(per_language: Mapping[str, Sequence[Any]] | None) -> Iterable[str]:
    return (str(item) for items in (per_language or {}).values() for item in items or ())


def _tokens(text: str) -> tuple[str, ...]:
    return tuple(word.lower() for word in folded_words(text))


def _cue_words(written: str) -> tuple[str, ...]:
    words = _tokens(written)
    if written.rstrip().endswith("*") and words:
        words = (*words[:-1], words[-1] + "*")
    return words


def _word_fits(token: str, word: str) -> bool:
    return token.startswith(word[:-1]) if word.endswith("*") else token == word


def _readings(token: str) -> list[str]:
    """A word as written, and without each Arabic prefix it may carry (وأختي → اختي)."""
    readings = [token]
    for prefix in _ARABIC_PREFIXES:
        if token.startswith(prefix) and len(token) - len(prefix) >= 2:
            readings.append(token[len(prefix) :])
    return readings
