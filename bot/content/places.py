"""The reviewed gazetteer (content/places.yml): which covered country a message names, wherever it says it.

Names of countries, their cities, and adjectives beside an authority ("la policía española") are read as
whole words or whole phrases of the folded text (no case, accents or punctuation); the longest reading
wins, so "New Jersey" is not "Jersey" and "South America" is not "America". Only the country code is
kept; the place itself is forgotten with the message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.content.pack import Problem, error, not_text
from bot.countries import folded_words, is_country_code, word_count

PLACES_FILE = "places.yml"
KINDS = ("names", "cities", "adjectives")
AMBIGUOUS = "ambiguous"
# A stem (a term ending in *) keeps at least this many letters, so it cannot swallow short words.
MIN_STEM = 4
# An adjective counts only this close to an authority word: "the Spanish border police".
NEAR_INSTITUTION = 3
# Arabic joins "in", "to", "and", "the" to the next word (بإيطاليا, الإسبانية); longest first.
_ARABIC_PREFIXES = ("وبال", "وال", "بال", "فال", "لل", "وفي", "ال", "في", "وب", "ول", "ب", "ل", "و", "ف")
# Arabic prefixes that say "in" or "to" a place, as a separate place word would.
_ARABIC_PLACE_PREFIXES = ("وفي", "في", "وب", "ب", "وبال", "بال", "ل", "ول")
_MAX_FOLLOW_UP_WORDS = 8


@dataclass(frozen=True)
class Term:
    """One way of naming a place, word by word (a last word ending in * is a stem)."""

    words: tuple[str, ...]
    code: str  # "" for an ambiguous name
    kind: str
    locale: str
    written: str

    def fits(self, tokens: Sequence[str], start: int, first: str) -> bool:
        """Whether the text reads this term at `start` (its first word read as `first`)."""
        end = start + len(self.words)
        if end > len(tokens):
            return False
        found = (first, *tokens[start + 1 : end])
        return all(_word_fits(text, word) for text, word in zip(found, self.words, strict=True))


@dataclass(frozen=True)
class Mention:
    """Where a term was read in a message."""

    term: Term
    start: int
    end: int
    place_prefix: bool  # an Arabic "in"/"to" was joined to its first word


@dataclass(frozen=True)
class Gazetteer:
    """Every reviewed term, indexed for reading messages."""

    terms: tuple[Term, ...]
    place_words: frozenset[str] = frozenset()
    institutions: frozenset[str] = frozenset()
    needs_place_word: frozenset[str] = frozenset()
    case_sensitive: frozenset[str] = frozenset()
    follow_up_words: frozenset[str] = frozenset()
    _exact: dict[str, list[Term]] = field(default_factory=dict, repr=False, compare=False)
    _stems: dict[str, list[Term]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for term in self.terms:
            first = term.words[0]
            if first.endswith("*"):
                self._stems.setdefault(first[:MIN_STEM], []).append(term)
            else:
                self._exact.setdefault(first, []).append(term)

    @classmethod
    def load(cls, path: Path) -> Gazetteer:
        """The gazetteer of a places file; an empty one when the file does not exist."""
        if not path.exists():
            return cls(())
        return cls.from_data(yaml.safe_load(path.read_text(encoding="utf-8")) or {})

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Gazetteer:
        """The gazetteer of parsed YAML (see content/places.yml)."""
        terms = [
            _term(written, code, kind, locale)
            for code, languages in (data.get("countries") or {}).items()
            for locale, kinds in (languages or {}).items()
            for kind in KINDS
            for written in (kinds or {}).get(kind) or ()
        ]
        terms += [_term(written, "", AMBIGUOUS, "") for written in data.get(AMBIGUOUS) or ()]
        return cls(
            tuple(term for term in terms if term.words),
            place_words=_all_words(data.get("place_words")),
            institutions=_all_words(data.get("institutions")),
            needs_place_word=frozenset(_key(str(name)) for name in data.get("needs_place_word") or ()),
            case_sensitive=frozenset(str(name) for name in data.get("case_sensitive") or ()),
            follow_up_words=_all_words(data.get("follow_up_words")),
        )

    def mentions(self, text: str) -> list[Mention]:
        """Every place read in the text, longest first where readings overlap; ambiguous names included."""
        original = folded_words(text)
        tokens = [word.lower() for word in original]
        found: list[Mention] = []
        for start, token in enumerate(tokens):
            for first, prefix in _readings(token):
                for term in self._candidates(first):
                    if term.fits(tokens, start, first) and self._cased(term, original[start]):
                        found.append(Mention(term, start, start + len(term.words), prefix))
        found.sort(key=lambda mention: (mention.start - mention.end, mention.start))
        kept: list[Mention] = []
        for mention in found:
            if all(mention.end <= other.start or other.end <= mention.start for other in kept):
                kept.append(mention)
        return sorted(kept, key=lambda mention: mention.start)

    def country_in(self, text: str) -> str | None:
        """The one covered country the text names (names and cities before adjectives), else None."""
        tokens = [word.lower() for word in folded_words(text)]
        counted = [mention for mention in self.mentions(text) if self._counts(mention, tokens)]
        for kinds in (("names", "cities"), ("adjectives",)):
            codes = {mention.term.code for mention in counted if mention.term.kind in kinds}
            if len(codes) == 1:
                return codes.pop()
            if codes:  # two countries: better to ask than to guess
                return None
        return None

    def only_country(self, text: str) -> str | None:
        """The country of a short message that names it and says nothing else ("and in Romania?")."""
        tokens = [word.lower() for word in folded_words(text)]
        if not tokens or word_count(tokens) > _MAX_FOLLOW_UP_WORDS:
            return None
        code = self.country_in(text)
        if code is None:
            return None
        covered = {i for mention in self.mentions(text) for i in range(mention.start, mention.end)}
        rest = [token for i, token in enumerate(tokens) if i not in covered]
        return code if all(self.is_follow_up_word(token) for token in rest) else None

    def is_follow_up_word(self, token: str) -> bool:
        """Whether a word may stand beside a country in a follow-up ("and", "in", "y", "а", "وفي")."""
        return token in self.follow_up_words

    def _candidates(self, first: str) -> Iterable[Term]:
        yield from self._exact.get(first, ())
        yield from self._stems.get(first[:MIN_STEM], ())

    def _cased(self, term: Term, written: str) -> bool:
        """A term kept case-sensitive (US, not the pronoun "us") must be written in capitals."""
        return term.written not in self.case_sensitive or written == written.upper()

    def _counts(self, mention: Mention, tokens: Sequence[str]) -> bool:
        """Whether a reading says where the person is: not ambiguous, and in the context its kind needs."""
        term = mention.term
        if term.kind == AMBIGUOUS:
            return False
        if " ".join(term.words) in self.needs_place_word:
            before = tokens[mention.start - 1] if mention.start else ""
            return mention.place_prefix or before in self.place_words
        if term.kind == "adjectives":
            near = tokens[max(0, mention.start - NEAR_INSTITUTION) : mention.end + NEAR_INSTITUTION]
            return any(token in self.institutions for token in near)
        return True


def gazetteer_problems(path: Path, covered: Iterable[str], locales: Sequence[str]) -> list[Problem]:
    """What is wrong with the places file: unknown codes, a covered country or language without names,
    a name of two countries, a stem too short to be safe."""
    if not path.exists():
        return [Problem("warning", path.name, "no gazetteer: countries are read only in short answers")]
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    problems: list[Problem] = [
        error(path.name, where, f"{value!r} is not text (quote it: YAML reads no, yes, on as booleans)")
        for where, value in not_text(data)
    ]
    countries = data.get("countries") or {}
    for code in countries:
        if not is_country_code(str(code)):
            problems.append(error(path.name, f"countries.{code}", "not an ISO 3166-1 country code"))
    for code in covered:
        for locale in locales:
            if not ((countries.get(code) or {}).get(locale) or {}).get("names"):
                problems.append(error(path.name, f"countries.{code}.{locale}", "no names in this language"))
    owners: dict[tuple[str, ...], str] = {}
    for term in Gazetteer.from_data(data).terms:
        where = f"countries.{term.code}.{term.locale}.{term.kind}" if term.code else AMBIGUOUS
        stem = term.words[-1]
        if stem.endswith("*") and len(stem) - 1 < MIN_STEM:
            problems.append(error(path.name, where, f"stem '{term.written}' is shorter than {MIN_STEM}"))
        owner = owners.setdefault(term.words, term.code)
        if owner != term.code:
            problems.append(
                error(path.name, where, f"'{term.written}' names {owner or AMBIGUOUS} and {term.code}")
            )
    return problems


def _term(written: str, code: str, kind: str, locale: str) -> Term:
    text = str(written)
    words = tuple(_key(text).split())
    if text.rstrip().endswith("*") and words:
        words = (*words[:-1], words[-1] + "*")
    return Term(words, str(code), kind, str(locale), text)


def _key(text: str) -> str:
    """A term's folded words, space-separated (the * of a stem is not a word character)."""
    return " ".join(word.lower() for word in folded_words(text))


def _all_words(per_language: Mapping[str, Sequence[str]] | None) -> frozenset[str]:
    return frozenset(_key(str(word)) for words in (per_language or {}).values() for word in words or ())


def _word_fits(text: str, word: str) -> bool:
    return text.startswith(word[:-1]) if word.endswith("*") else text == word


def _readings(token: str) -> list[tuple[str, bool]]:
    """A word as written, and without each Arabic prefix it may carry (with whether it said "in")."""
    readings = [(token, False)]
    for prefix in _ARABIC_PREFIXES:
        if token.startswith(prefix) and len(token) - len(prefix) >= 3:
            readings.append((token[len(prefix) :], prefix in _ARABIC_PLACE_PREFIXES))
    return readings
