"""The safe word: typed alone, it turns the chat harmless. Matching is a pure function."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def _plain(text: str) -> str:
    """Lower case, without accents, punctuation or spaces: "¡Girasol!" and "girasol" are the same."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if char.isalnum())


def is_safe_word(text: str, safe_words: Sequence[str]) -> bool:
    """True when the whole message is one of the safe words (never a word inside a longer message)."""
    typed = _plain(text)
    return bool(typed) and any(typed == _plain(word) for word in safe_words if _plain(word))
