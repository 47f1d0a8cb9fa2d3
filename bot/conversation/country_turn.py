"""The country in what people write: named anywhere in a message, or alone in a follow-up.

"I am in Italy and I need a shelter" answers the shelter topic for Italy at once; "and in Romania?" after
it answers the same topic again for Romania. Countries are read with the reviewed gazetteer
(bot/content/places.py), then, in short messages, with every country's name (bot/countries.py). The last
topic is the engine's to remember (its tracker already holds the person's intents); the core keeps only
the country code, never the text.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.content.places import Gazetteer
from bot.countries import folded_words, match_country, word_count
from bot.store.conversations import StoredConversation

# Intents that are not topics: a follow-up naming a country answers the topic before them.
NOT_TOPICS = frozenset(
    {
        "greet",
        "goodbye",
        "thank",
        "affirm",
        "deny",
        "bot_capabilities",
        "out_of_scope",
        "change_language",
        "delete_data",
        "privacy_question",
        "change_country",
        "nlu_fallback",
    }
)
# A short answer to "which country are you in?" ("I live in Spain") answers the pending question.
SHORT_ANSWER_WORDS = 4
# A country outside the gazetteer counts alone in at most this many words ("Czech Republic").
OTHER_COUNTRY_WORDS = 2


@runtime_checkable
class TopicMemory(Protocol):
    """An engine that can say which topic the person asked about last in this session."""

    async def last_topic(self, pseudonym: str, skipping: Collection[str]) -> str | None:
        """The person's last intent that is not one of `skipping`, in the current session, if any."""
        ...


@dataclass(frozen=True)
class Understanding:
    """What the core makes of a message before the engine: the text to send, the country for this turn,
    and whether the message only names a country (then the last topic is answered again for it)."""

    text: str
    country: str | None
    follow_up: bool = False


def read_country(
    text: str, stored: StoredConversation | None, places: Gazetteer, locales: Sequence[str]
) -> Understanding:
    """The country a written message names (it becomes the person's country), and what to ask for it."""
    known = stored.country if stored else None
    pending = stored.pending_intent if stored else None
    alone = places.only_country(text) or _only_any_country(text, places, locales)
    if pending:
        short = word_count(folded_words(text)) <= SHORT_ANSWER_WORDS and match_country(text, locales)
        if alone or short:  # the answer to "which country are you in?"
            return Understanding(f"/{pending}", alone or short or known)
    if alone:
        return Understanding(text, alone, follow_up=True)
    return Understanding(text, places.country_in(text) or known)


def topic_again(text: str, topic: str | None) -> str:
    """What to ask the engine for a follow-up: the last topic as a command, else the words as written."""
    return f"/{topic}" if topic and topic not in NOT_TOPICS else text


def _only_any_country(text: str, places: Gazetteer, locales: Sequence[str]) -> str | None:
    """A country outside the gazetteer named with nothing but follow-up words ("and in Belgium?")."""
    if places.country_in(text):  # a covered country with other words: not a follow-up
        return None
    words = [word.lower() for word in folded_words(text)]
    rest = [word for word in words if not places.is_follow_up_word(word)]
    if not rest or word_count(rest) > OTHER_COUNTRY_WORDS or word_count(words) > 2 * SHORT_ANSWER_WORDS:
        return None
    return match_country(" ".join(rest), locales)
