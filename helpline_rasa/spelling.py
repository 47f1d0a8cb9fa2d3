"""Typos at training time: one normal form for every text the classifier reads, and spelling variants.

- `normal_form`: lower case; Arabic taa marbuta and alif maqsura typed plain (ة → ه, ى → ي) and the
  tatweel dropped; Vietnamese đ as d; a letter repeated in a row counted once ("neeed", "lawyerr",
  "holaaa"). The vectorizers already strip accents and Arabic hamza seats.
- `spelling_variant`: a training example with one seeded slip (a dropped, doubled or swapped letter, or
  its accents left out), for examples in Latin script only, when `spelling_variants` is on in config.yml
  (off: it lifts the typo split but costs Arabic its held-out 0.90; docs/decisions.md, "Typos").

Nothing here reads the held-out split; the typo split of `make eval` (bench/typos.py) is made with
slips of its own (phonetic spellings too), seeded differently.
"""

from __future__ import annotations

import random
import re
import unicodedata
import zlib
from collections.abc import Callable

_PLAIN = str.maketrans({"ة": "ه", "ى": "ي", "ـ": None, "đ": "d"})
_REPEATED = re.compile(r"(\w)\1+")
_WORD = re.compile(r"\w{4,}")
_LATIN = re.compile(r"[a-zA-Z]")
_NOT_LATIN = re.compile(r"[^\W\d_a-zA-Z\u00c0-\u024f\u1e00-\u1eff]")


def normal_form(text: str) -> str:
    """The text as the classifier reads it, at training and at prediction alike."""
    return _REPEATED.sub(r"\1", text.lower().translate(_PLAIN))


def is_latin_script(text: str) -> bool:
    """Whether the text is written in Latin letters only (accented ones included)."""
    return bool(_LATIN.search(text)) and not _NOT_LATIN.search(text)


def spelling_variant(text: str) -> str | None:
    """The text with one slip, seeded by the text; None when no slip changes it."""
    rng = random.Random(zlib.crc32(f"variant:{text}".encode()))
    slips: list[Callable[[str, random.Random], str | None]] = [
        _dropped,
        _doubled,
        _swapped,
        _without_accents,
    ]
    for slip in rng.sample(slips, len(slips)):
        changed = slip(text, rng)
        if changed is not None and changed != text:
            return changed
    return None


def _word(text: str, rng: random.Random) -> re.Match[str] | None:
    words = list(_WORD.finditer(text))
    return rng.choice(words) if words else None


def _dropped(text: str, rng: random.Random) -> str | None:
    word = _word(text, rng)
    if word is None:
        return None
    at = rng.randrange(word.start() + 1, word.end())
    return text[:at] + text[at + 1 :]


def _doubled(text: str, rng: random.Random) -> str | None:
    word = _word(text, rng)
    if word is None:
        return None
    at = rng.randrange(word.start(), word.end())
    return text[:at] + text[at] + text[at:]


def _swapped(text: str, rng: random.Random) -> str | None:
    word = _word(text, rng)
    if word is None:
        return None
    at = rng.randrange(word.start() + 1, word.end() - 1)
    return text[:at] + text[at + 1] + text[at] + text[at + 2 :]


def _without_accents(text: str, _rng: random.Random) -> str | None:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(char for char in decomposed if not unicodedata.combining(char))
    )
