"""The reviewed lists for two needs in one message (content/needs.yml): joining words, and urgency.

A message is cut into parts at its joining words ("and", "y también", Arabic و joined to the next word,
Chinese 还有 inside unspaced text); the conversation core reads each part on its own
(bot/conversation/two_needs.py). Two topics are answered in the one urgency order written in the file.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.content.pack import Problem, error, not_text

NEEDS_FILE = "needs.yml"
# The rest of a word after a joining prefix keeps at least this many letters ("ومحامي", not "وين").
PREFIX_REST = 3
# A message is cut at most this many times: the model reads each part, so each cut costs a parse.
MAX_PARTS = 4
_UNSPACED_LOCALES = frozenset({"zh", "th"})
_EDGES = " \t\n,.;:!?،؟。，！？፣።፧፨፡"  # what a part loses at its ends after a cut
SENTENCE_END = re.compile(r"(?<=[.!?。！？؟።፧፨])\s*")
QUESTION_MARKS = ("?", "？", "؟", "፧")  # Ge'ez: ፧
# Thai ends a sentence with a space, and a question with a particle (ไหม), not a question mark.
_SPACE_ENDS_SENTENCE = frozenset({"th"})


@dataclass(frozen=True)
class NeedWords:
    """Joining words per language and the topics' urgency order, ready to cut messages."""

    urgency: tuple[str, ...] = ()
    joining: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    prefixes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    question_endings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    _cutters: dict[str, re.Pattern[str]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for locale in set(self.joining) | set(self.prefixes):
            cutter = _cutter(locale, self.joining.get(locale, ()), self.prefixes.get(locale, ()))
            if cutter is not None:
                self._cutters[locale] = cutter

    @classmethod
    def load(cls, path: Path) -> NeedWords:
        """The lists of a needs file; empty ones (no message is ever cut) when the file does not exist."""
        if not path.exists():
            return cls()
        return cls.from_data(yaml.safe_load(path.read_text(encoding="utf-8")) or {})

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> NeedWords:
        """The lists of parsed YAML (see content/needs.yml)."""
        return cls(
            urgency=tuple(str(topic) for topic in data.get("urgency") or ()),
            joining=_word_lists(data.get("joining_words")),
            prefixes=_word_lists(data.get("prefixes")),
            question_endings=_word_lists(data.get("question_endings")),
        )

    def parts(self, text: str, locale: str) -> tuple[str, ...]:
        """The parts of a message between its joining words (the whole text alone when it has none)."""
        cutter = self._cutters.get(locale)
        if cutter is None:
            return (text.strip(),)
        pieces = [piece.strip(_EDGES) for piece in cutter.split(text, maxsplit=MAX_PARTS - 1)]
        return tuple(piece for piece in pieces if piece) or (text.strip(),)

    def closing_question(self, text: str, locale: str) -> str | None:
        """The last sentence of a message of several sentences, when it is a question (a question mark,
        or a question particle of the language at its end); None otherwise."""
        sentences = [sentence.strip() for sentence in SENTENCE_END.split(text.strip()) if sentence.strip()]
        if locale in _SPACE_ENDS_SENTENCE:
            sentences = [piece for sentence in sentences for piece in sentence.split()]
        if len(sentences) < 2:
            return None
        last = sentences[-1]
        asks = last.endswith(QUESTION_MARKS) or last.endswith(self.question_endings.get(locale, ()))
        return last if asks else None

    def most_urgent_first(self, topics: Iterable[str]) -> list[str]:
        """Topics in the reviewed urgency order; a topic missing from the order comes after the others."""
        rank = {topic: position for position, topic in enumerate(self.urgency)}
        return sorted(dict.fromkeys(topics), key=lambda topic: rank.get(topic, len(rank)))


def _word_lists(data: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(data, Mapping):
        return {}
    return {str(locale): tuple(str(word) for word in words or ()) for locale, words in data.items()}


def _cutter(locale: str, words: Sequence[str], prefixes: Sequence[str]) -> re.Pattern[str] | None:
    """One pattern matching every joining word of a language (longest first) and its joining prefixes."""
    alternatives: list[str] = []
    for word in sorted(words, key=len, reverse=True):
        spaced = r"\s+".join(re.escape(part) for part in word.split())
        alternatives.append(spaced if locale in _UNSPACED_LOCALES else rf"(?<!\w){spaced}(?!\w)")
    # A joining prefix cuts before the rest of its word: "ومحامي مجاني" leaves "محامي مجاني".
    alternatives += [rf"(?<!\w){re.escape(prefix)}(?=\w{{{PREFIX_REST},}})" for prefix in prefixes]
    return re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None


def needs_problems(path: Path, topics: Collection[str], locales: Sequence[str]) -> list[Problem]:
    """What is wrong with the needs file: an unknown or repeated topic in the order, a topic missing from
    it, a language without joining words (a warning: its messages are never cut)."""
    if not path.exists():
        return [Problem("warning", path.name, "no needs file: two needs in one message get one answer")]
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    words = NeedWords.from_data(data)
    problems: list[Problem] = []
    for topic in words.urgency:
        if topic not in topics:
            problems.append(error(path.name, "urgency", f"'{topic}' is not a topic any entry answers"))
    for topic in sorted(set(topics) - set(words.urgency)):
        problems.append(error(path.name, "urgency", f"topic '{topic}' has no place in the order"))
    if len(set(words.urgency)) != len(words.urgency):
        problems.append(error(path.name, "urgency", "a topic is listed twice"))
    for locale in locales:
        if not words.joining.get(locale) and not words.prefixes.get(locale):
            problems.append(Problem("warning", path.name, f"joining_words.{locale}: none, never cut"))
    for where, value in not_text(data):
        problems.append(error(path.name, where, f"{value!r} is not text (quote it: YAML reads no, yes)"))
    return problems
