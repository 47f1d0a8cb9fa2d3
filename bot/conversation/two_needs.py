"""Two needs in one message: both are answered, the more urgent first; a long story ending in a question
gets the answer to the question.

"I need a place to sleep tonight and a free lawyer" is one intent to the model: in the whole message's
ranking the second topic scores 0.02-0.23, no higher than noise in single-need messages. Each part
between joining words, read alone, is clear ("a free lawyer": ask_legal_aid at 1.0). So a message with a
joining word (content/needs.yml) is read part by part; when two parts each clearly ask for a different
topic and the whole message is read as one of them (or as "not understood"), both topics are answered, in
the reviewed urgency order. Anything else, a danger reading of the whole message included, goes to the
engine as written (measured in docs/decisions.md, "Two needs in one message").

A long description that ends in a question ("my boss took my passport ... and never pays me. Can I get my
money back?") is read by the model as a description (`describe_situation`); the question alone is clear.
So when the whole message is a description or not understood, its last sentence is a question,
and that sentence clearly asks for a topic, the topic is answered.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import structlog

from bot.content.needs import NEEDS_FILE, NeedWords
from bot.content.schema import FALLBACK_INTENT
from bot.countries import country_from_payload
from bot.messages import Reply

log = structlog.get_logger(__name__)

# A part counts as asking for a topic at this confidence or more. Parts that ask mostly score 0.9-1.0, some
# 0.8-0.85 ("vreau să rămân legal în țară"); fear alone can read as health support up to 0.85 ("to com
# muito medo"): then the health answer comes second, after the practical one (docs/decisions.md).
PART_SCORE = 0.8
# A message read as one of these may end in a question that says what the person wants to know.
STORY_INTENTS = frozenset({"describe_situation", FALLBACK_INTENT})
# At most this many topics are answered for one message: more would bury the first answer.
MAX_NEEDS = 2


class Reading(Protocol):
    """What the model makes of a text (bot.engine.rasa.Understood)."""

    @property
    def intent(self) -> str:
        """The winning intent."""
        ...

    @property
    def confidence(self) -> float:
        """Its confidence."""
        ...


@runtime_checkable
class IntentReader(Protocol):
    """An engine that can read a text without touching any conversation (Rasa's /model/parse)."""

    async def parse(self, text: str) -> Reading:
        """The model's reading of the text."""
        ...


def two_needs(whole: Reading, parts: Sequence[Reading], words: NeedWords) -> tuple[str, ...]:
    """The topics to answer, most urgent first; () when the message asks for one thing or is unclear."""
    topics = set(words.urgency)
    asked = [part.intent for part in parts if part.intent in topics and part.confidence >= PART_SCORE]
    distinct = list(dict.fromkeys(asked))
    if len(distinct) < 2 or whole.intent not in (*distinct, FALLBACK_INTENT):
        return ()
    return tuple(words.most_urgent_first(distinct)[:MAX_NEEDS])


def the_question(whole: Reading, question: Reading, words: NeedWords) -> tuple[str, ...]:
    """The topic a story's closing question asks for, when the whole message reads as a story; else ()."""
    asks = question.intent in words.urgency and question.confidence >= PART_SCORE
    return (question.intent,) if asks and whole.intent in STORY_INTENTS else ()


async def needs_in(text: str, locale: str, reader: IntentReader, words: NeedWords) -> tuple[str, ...]:
    """The topics to answer instead of the whole message's reading: two needs (most urgent first), or the
    closing question of a story; () when the message goes to the engine as written."""
    parts = words.parts(text, locale)
    question = words.closing_question(text, locale)
    if len(parts) < 2 and question is None:
        return ()
    whole = await reader.parse(text)
    if len(parts) >= 2:
        needs = two_needs(whole, await asyncio.gather(*(reader.parse(part) for part in parts)), words)
        if needs:
            return needs
    return the_question(whole, await reader.parse(question), words) if question else ()


def together(answers: Sequence[Sequence[Reply]]) -> list[Reply]:
    """The answers of several needs in order; the country buttons only under the first that asks for the
    country (a country tapped there answers the more urgent need for it)."""
    replies: list[Reply] = []
    asked = False
    for answer in answers:
        for reply in answer:
            other = tuple(button for button in reply.buttons if country_from_payload(button.payload) is None)
            if asked and len(other) < len(reply.buttons):
                reply = dataclasses.replace(reply, buttons=other)
            asked = asked or len(other) < len(reply.buttons)
            replies.append(reply)
    return replies


class TwoNeeds:
    """The core's reader of two needs (and of a story's closing question), with the engine's model."""

    def __init__(self, engine: object, words: NeedWords) -> None:
        self._reader = engine if isinstance(engine, IntentReader) else None
        self._words = words

    @classmethod
    def load(cls, engine: object, content_dir: Path) -> TwoNeeds:
        """The reader with the reviewed lists of content/needs.yml."""
        return cls(engine, NeedWords.load(content_dir / NEEDS_FILE))

    async def texts(self, text: str, locale: str, pseudonym: str) -> list[str]:
        """What to send the engine, in order: each topic to answer as a command, else the text as written."""
        return [f"/{topic}" for topic in await self.topics(text, locale, pseudonym)] or [text]

    async def topics(self, text: str, locale: str, pseudonym: str) -> tuple[str, ...]:
        """The topics to answer instead of the message as written, else () (never an error)."""
        if self._reader is None or text.startswith("/"):
            return ()
        try:
            needs = await needs_in(text, locale, self._reader, self._words)
        except Exception as error:  # without it, the message goes to the engine as written
            log.warning("two_needs_unread", pseudonym=pseudonym[:12], error=type(error).__name__)
            return ()
        if needs:
            log.info("two_needs", pseudonym=pseudonym[:12], topics=list(needs))
        return needs
