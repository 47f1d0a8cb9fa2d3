"""The safe word works however it is typed, and only alone: never a word inside a real message."""

from __future__ import annotations

import pytest

from bot.privacy.safe_word import is_safe_word

WORDS = ("sunflower", "girasol", "подсолнух")


@pytest.mark.parametrize(
    "typed", ["sunflower", "Sunflower!", "  SUNFLOWER ", "sun flower", "¡Girasol!", "Подсолнух"]
)
def test_the_safe_word_is_recognised_however_it_is_typed(typed: str) -> None:
    assert is_safe_word(typed, WORDS)


@pytest.mark.parametrize("typed", ["I love sunflower seeds", "sunflowers", "", "!!!", "/sunflower_x"])
def test_a_message_that_only_contains_it_is_not_the_safe_word(typed: str) -> None:
    assert not is_safe_word(typed, WORDS)


def test_no_safe_word_configured_means_the_feature_is_off() -> None:
    assert not is_safe_word("sunflower", ())
    assert not is_safe_word("sunflower", ("", " "))
