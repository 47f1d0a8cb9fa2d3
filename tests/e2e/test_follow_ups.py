"""A survivor on (fake) Telegram asks a short follow-up the way people do, and it is read against the last
topic: "and if I have no papers?" gets that topic for someone without papers, "and my friend?" for someone
else, "how?" the steps, all for the same country and its numbers; "my sister is 15" gets child protection.

The whole helpline runs (gateway, core, the trained Rasa model, the action server rendering content/); in
five languages, one of them right to left.
"""

from __future__ import annotations

from itertools import count
from pathlib import Path

import pytest

from bot.actions.nlg import with_follow_up
from bot.actions.turn import Turn
from bot.content import ContentLibrary
from tests.fakes.telegram_api import FakeTelegramAPI

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ContentLibrary.load(ROOT / "content")
pytestmark = pytest.mark.e2e
user_ids = count(737_000_001)  # apart from every other test file's people
CHILD = "child"

# (locale, a question naming its country, the country, its topic, then follow-ups and what each asks)
CONVERSATIONS = [
    (
        "en",
        "I'm in Italy and I need a safe place to sleep tonight",
        "IT",
        "ask_shelter",
        [
            ("and if I have no papers?", "no_papers"),
            ("what about for my sister?", "someone_else"),
            ("how?", "how"),
        ],
    ),
    (
        "es",
        "estoy en españa y necesito un abogado gratis",
        "ES",
        "ask_legal_aid",
        [
            ("¿y si no tengo papeles?", "no_papers"),
            ("¿cómo?", "how"),
            ("¿y si mi hermana tiene 15 años?", CHILD),
        ],
    ),
    (
        "ru",
        "я в италии и мне нужен бесплатный адвокат",
        "IT",
        "ask_legal_aid",
        [("а если у меня нет документов?", "no_papers"), ("а моя подруга?", "someone_else")],
    ),
    (
        "ar",
        "أنا في إيطاليا وأحتاج مكان آمن للنوم",
        "IT",
        "ask_shelter",
        [("وإذا ما عندي أوراق؟", "no_papers"), ("وصديقتي؟", "someone_else"), ("كيف؟", "how")],
    ),
    (
        "zh",
        "我在意大利 想找个免费律师",
        "IT",
        "ask_legal_aid",
        [("如果我没有证件呢？", "no_papers"), ("怎么办？", "how")],
    ),
]


class Survivor:
    """One person on fake Telegram, their app in their language."""

    def __init__(self, telegram: FakeTelegramAPI, locale: str) -> None:
        self.telegram, self.locale, self.id, self.seen = telegram, locale, next(user_ids), 0

    def writes(self, text: str) -> str:
        """What the bot answers (one message)."""
        self.telegram.send_text(self.id, text, language_code=self.locale)
        self.seen += 1
        return str(self.telegram.wait_for_messages(self.id, self.seen)[-1]["text"])


def answer(topic: str, locale: str, country: str, asks: str | None = None) -> str:
    """The topic's answer for the country, with what a follow-up asks said first (bot/actions/nlg.py)."""
    reply = CONTENT.reply_for_intent(topic, locale, country)
    if asks is None:
        return reply.text
    return with_follow_up(reply, Turn(topic, locale, country, follow_up=(asks,)), CONTENT).text


@pytest.mark.parametrize(("locale", "question", "country", "topic", "follow_ups"), CONVERSATIONS)
def test_a_short_follow_up_is_answered_for_the_last_topic_in_the_same_country(
    telegram: FakeTelegramAPI,
    locale: str,
    question: str,
    country: str,
    topic: str,
    follow_ups: list[tuple[str, str]],
) -> None:
    survivor = Survivor(telegram, locale)
    assert survivor.writes(question) == answer(topic, locale, country)
    for follow_up, asks in follow_ups:
        said = survivor.writes(follow_up)
        if asks == CHILD:
            assert said == answer("ask_child_protection", locale, country), follow_up
        else:
            assert said == answer(topic, locale, country, asks), follow_up
