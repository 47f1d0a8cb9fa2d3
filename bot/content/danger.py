"""The danger net: a reviewed lexicon of imminent harm, checked on every message beside the model.

The model can read "they locked me in the room and there is no food or water" as a description of the
situation; a person in danger must still get the emergency number first. So every message is also
matched against the patterns in `content/danger/<locale>.yml` (locked in, followed, threatened with
death, hurt now, a weapon, taken somewhere, ...) of every language at once, because people mix languages
and scripts. Matching is pure and fast (`danger_patterns`).

A match is ignored when the message says the harm is over or asks "what if" (`finished`), unless it also
says it is happening now (`ongoing`). This module never logs or returns the message's text.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.content.danger_patterns import (
    Pattern,
    PatternError,
    PhraseSet,
    Scanner,
    compile_pattern,
    normalise,
    parse_set,
)
from bot.content.pack import Problem
from bot.i18n import SUPPORTED_LOCALES

_FIELDS = frozenset(
    {
        "locale",
        "reviewed",
        "sources",
        "machine_drafted",
        "reviewer",
        "drafted_by",
        "sets",
        "cues",
        "finished",
        "ongoing",
    }
)
_REQUIRED = ("locale", "reviewed", "sources", "cues")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_LOCALE = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True)
class DangerSignal:
    """A message that may mean danger now: which language's lexicon matched and which cue, never text."""

    locale: str
    cue: str


class LexiconError(ValueError):
    """A danger lexicon that cannot be loaded; the message lists every problem found."""


@dataclass(frozen=True)
class Lexicon:
    """One language's reviewed cues of imminent harm, each pattern compiled to a regular expression.

    `machine_drafted` says no native speaker has reviewed the lexicon yet (`machine_drafted: true`).
    """

    locale: str
    reviewed: date
    cues: Mapping[str, tuple[Pattern, ...]]
    finished: tuple[Pattern, ...] = ()
    ongoing: tuple[Pattern, ...] = ()
    machine_drafted: bool = False


@dataclass
class _FileReader:
    """Reads one lexicon file, collecting every problem rather than stopping at the first."""

    name: str
    problems: list[Problem] = field(default_factory=list)

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem("error", self.name, message, where))

    def read(self, path: Path) -> Lexicon | None:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            self.problem("", f"not readable as YAML: {error}")
            return None
        if not isinstance(data, dict):
            self.problem("", "must be a mapping with locale, reviewed, sources and cues")
            return None
        for key in sorted(set(map(str, data)) - _FIELDS):
            self.problem(key, "unknown field")
        for key in _REQUIRED:
            if not data.get(key):
                self.problem(key, "required")
        locale = data.get("locale")
        if locale and (not isinstance(locale, str) or not _LOCALE.match(locale) or locale != path.stem):
            self.problem("locale", f"must be the file name's language code '{path.stem}'")
        reviewed = data.get("reviewed")
        if reviewed and not isinstance(reviewed, date):
            self.problem("reviewed", "must be a date: YYYY-MM-DD")
        machine_drafted = data.get("machine_drafted", False)
        if not isinstance(machine_drafted, bool):
            self.problem(
                "machine_drafted", "true, or leave it out once a native speaker has reviewed the file"
            )
        reviewer = data.get("reviewer")
        if reviewer is not None and not (isinstance(reviewer, str) and reviewer.strip()):
            self.problem("reviewer", "a note of who reviewed the file (a role or initials)")
        self._check_sources(data.get("sources"))
        sets = self._sets(data.get("sets") or {})
        cues = self._cues(data.get("cues") or {}, sets)
        finished = self._patterns("finished", data["finished"], sets) if "finished" in data else ()
        ongoing = self._patterns("ongoing", data["ongoing"], sets) if "ongoing" in data else ()
        if self.problems or not isinstance(reviewed, date):
            return None
        return Lexicon(path.stem, reviewed, cues, finished, ongoing, machine_drafted is True)

    def _check_sources(self, sources: Any) -> None:
        if sources is None:
            return
        if not isinstance(sources, list) or not all(
            isinstance(source, dict) and isinstance(source.get("title"), str) and source["title"].strip()
            for source in sources
        ):
            self.problem("sources", "a list of sources, each with a title")

    def _sets(self, raw: Any) -> dict[str, PhraseSet]:
        sets: dict[str, PhraseSet] = {}
        if not isinstance(raw, dict):
            self.problem("sets", "a mapping of names to lists of words or phrases")
            return sets
        for name, words in raw.items():
            where = f"sets.{name}"
            if not isinstance(name, str) or not _ID.match(name):
                self.problem(where, "a name in lower case letters, digits and _")
            elif not isinstance(words, list) or not words or not all(isinstance(w, str) for w in words):
                self.problem(where, "a non-empty list of words or phrases (quote yes, no, on, off)")
            else:
                sets[name], errors = parse_set(words)
                for index, message in errors:
                    self.problem(f"{where}[{index}]", f"'{words[index]}': {message}")
        return sets

    def _cues(self, raw: Any, sets: Mapping[str, PhraseSet]) -> dict[str, tuple[Pattern, ...]]:
        if not isinstance(raw, dict):
            self.problem("cues", "a mapping of cue ids to lists of patterns")
            return {}
        cues: dict[str, tuple[Pattern, ...]] = {}
        for cue, patterns in raw.items():
            if not isinstance(cue, str) or not _ID.match(cue):
                self.problem(f"cues.{cue}", "a cue id in lower case letters, digits and _")
            else:
                cues[cue] = self._patterns(f"cues.{cue}", patterns, sets)
        return cues

    def _patterns(self, where: str, raw: Any, sets: Mapping[str, PhraseSet]) -> tuple[Pattern, ...]:
        if not isinstance(raw, list) or not raw or not all(isinstance(item, str) for item in raw):
            self.problem(where, "a non-empty list of patterns (strings)")
            return ()
        patterns: list[Pattern] = []
        for index, pattern in enumerate(raw):
            try:
                patterns.append(compile_pattern(pattern, sets))
            except PatternError as error:
                self.problem(f"{where}[{index}]", f"'{pattern}': {error}")
        return tuple(patterns)


def read_lexicons(directory: Path) -> tuple[list[Lexicon], list[Problem]]:
    """Every lexicon in `directory` that loads, and every problem in the files that do not."""
    lexicons: list[Lexicon] = []
    problems: list[Problem] = []
    for path in sorted(directory.glob("*.yml")):
        reader = _FileReader(f"{directory.name}/{path.name}")
        lexicon = reader.read(path)
        problems += reader.problems
        if lexicon is not None:
            lexicons.append(lexicon)
    return lexicons, problems


def lexicon_problems(directory: Path, locales: Collection[str] = SUPPORTED_LOCALES) -> list[Problem]:
    """What the content check reports: bad files, and a language without a lexicon."""
    if not directory.is_dir():
        return [Problem("error", directory.name, "no danger lexicons: the folder is missing")]
    problems = read_lexicons(directory)[1]
    present = {path.stem for path in directory.glob("*.yml")}
    problems += [
        Problem("error", f"{directory.name}/{locale}.yml", "missing: every language needs a danger lexicon")
        for locale in sorted(set(locales) - present)
    ]
    return problems


class DangerNet:
    """Every language's danger lexicon, compiled once; `assess` says whether a message may mean danger."""

    def __init__(self, lexicons: Collection[Lexicon]) -> None:
        """Merge the cues of all `lexicons` into a few expressions, so a message is scanned once."""
        self.lexicons = tuple(lexicons)
        self._by_cue = [
            (DangerSignal(lexicon.locale, cue), re.compile("|".join(p.regex for p in patterns)))
            for lexicon in self.lexicons
            for cue, patterns in lexicon.cues.items()
        ]
        self._any_cue = Scanner.of(
            pattern for lexicon in self.lexicons for cue in lexicon.cues.values() for pattern in cue
        )
        self._finished = Scanner.of(pattern for lexicon in self.lexicons for pattern in lexicon.finished)
        self._ongoing = Scanner.of(pattern for lexicon in self.lexicons for pattern in lexicon.ongoing)

    @classmethod
    def load(cls, directory: Path) -> DangerNet:
        """The lexicons in `directory` (content/danger); raises LexiconError listing every bad file."""
        lexicons, problems = read_lexicons(directory)
        if problems:
            raise LexiconError("danger lexicons not loaded:\n" + "\n".join(map(str, problems)))
        if not lexicons:
            raise LexiconError(f"danger lexicons not loaded: no .yml file in {directory}")
        return cls(lexicons)

    @property
    def locales(self) -> tuple[str, ...]:
        """The languages this net reads."""
        return tuple(lexicon.locale for lexicon in self.lexicons)

    def assess(self, text: str) -> DangerSignal | None:
        """The first cue of imminent harm in `text`, in any language, or None. Pure: no I/O, no logs.

        A cue does not count when the message says the harm is over or asks about a case ("years ago",
        "what if"), unless what is left once those words are set aside still says "right now",
        "tonight", ...
        """
        normal = normalise(text)
        found = self._any_cue.search(normal)
        if found is None:
            return None
        if self._finished.search(normal) and not self._ongoing.search(self._finished.remove(normal)):
            return None
        # Which cue: one that matches from the start of the word where the scan found one.
        start = normal.rfind(" ", 0, found.start() + 1)
        for signal, regex in self._by_cue:
            if regex.match(normal, start):
                return signal
        return next(signal for signal, regex in self._by_cue if regex.search(normal))
