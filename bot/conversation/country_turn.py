"""The country in what people write, and short follow-ups read against the last topic.

"I am in Italy and I need a shelter" answers the shelter topic for Italy at once; "and in Romania?" after
it answers the same topic again for Romania. Countries are read with the reviewed gazetteer
(bot/content/places.py), then, in short messages, with every country's name (bot/countries.py).
"and if I have no papers?", "what about for my sister?", "how?" answer the last topic again with what the
follow-up asks said first (the reviewed lexicon, bot/content/follow_ups.py); "my sister is 15" is the
child-protection answer. The last topic is the engine's to remember (its tracker already holds the
person's intents); the core keeps only the country code, never the text.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import structlog

from bot.content.follow_ups import CHILD_TOPIC, FollowUp, FollowUps
from bot.content.places import Gazetteer
from bot.countries import folded_words, match_country, word_count
from bot.store.conversations import StoredConversation

log = structlog.get_logger(__name__)

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
# The information topics (../shared/nlu-contract.md): a follow-up asking "without papers?", "for my sister?"
# or "how?" answers one of them again; after anything else it is read as written.
TOPIC_PREFIX = "ask_"
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
    asks: FollowUp | None = None  # what a short follow-up asks about the last topic ("no papers?")


def read_country(
    text: str,
    stored: StoredConversation | None,
    places: Gazetteer,
    locales: Sequence[str],
    follow_ups: FollowUps | None = None,
) -> Understanding:
    """The country a written message names (it becomes the person's country), what to ask for it, and
    what a short follow-up asks about the last topic."""
    known = stored.country if stored else None
    pending = stored.pending_intent if stored else None
    asks = follow_ups.read(text, places) if follow_ups else None
    alone = places.only_country(text) or (None if asks else _only_any_country(text, places, locales))
    if pending:
        short = (
            not asks and word_count(folded_words(text)) <= SHORT_ANSWER_WORDS and match_country(text, locales)
        )
        if alone or short:  # the answer to "which country are you in?"
            return Understanding(f"/{pending}", alone or short or known)
    if alone:
        return Understanding(text, alone, follow_up=True)
    return Understanding(text, places.country_in(text) or known, asks=asks)


async def asked_of_engine(
    text: str, understood: Understanding, engine: object, pseudonym: str
) -> tuple[str, tuple[str, ...]]:
    """What to ask the engine for a message, and the notes its answer says first: a follow-up asks the
    last topic again (a country-only one for the new country, another with what it asks)."""
    if understood.asks is not None and understood.asks.child:
        return follow_up_again(text, understood.asks, None)
    if not understood.follow_up and understood.asks is None:
        return text, ()
    topic = await last_topic(engine, pseudonym)
    if understood.asks is not None:
        return follow_up_again(text, understood.asks, topic)
    return topic_again(text, topic), ()


async def last_topic(engine: object, pseudonym: str) -> str | None:
    """The topic the person asked about last, if the engine remembers it (never an error)."""
    if not isinstance(engine, TopicMemory):
        return None
    try:
        return await engine.last_topic(pseudonym, NOT_TOPICS)
    except Exception as error:  # without it, the follow-up goes to the engine as written
        log.warning("last_topic_unknown", pseudonym=pseudonym[:12], error=type(error).__name__)
        return None


def topic_again(text: str, topic: str | None) -> str:
    """What to ask the engine for a follow-up: the last topic as a command, else the words as written."""
    return f"/{topic}" if topic and topic not in NOT_TOPICS else text


def follow_up_again(text: str, asks: FollowUp, topic: str | None) -> tuple[str, tuple[str, ...]]:
    """What to ask the engine for a follow-up that asks something of the last topic, and the notes its
    answer says first: a child's case is the child-protection topic; after an information topic, that
    topic again; else the words as written, for the model."""
    if asks.child:
        return f"/{CHILD_TOPIC}", ()
    if topic and topic.startswith(TOPIC_PREFIX):
        return f"/{topic}", asks.asks
    return text, ()


def _only_any_country(text: str, places: Gazetteer, locales: Sequence[str]) -> str | None:
    """A country outside the gazetteer named with nothing but follow-up words ("and in Belgium?")."""
    if places.country_in(text):  # a covered country with other words: not a follow-up
        return None
    words = [word.lower() for word in folded_words(text)]
    rest = [word for word in words if not places.is_follow_up_word(word)]
    if not rest or word_count(rest) > OTHER_COUNTRY_WORDS or word_count(words) > 2 * SHORT_ANSWER_WORDS:
        return None
    return match_country(" ".join(rest), locales)
