"""A survivor on (fake) Telegram asks for two things in one message and gets both answers, the more urgent
first, for the country they named; a long story that ends in a question gets the answer to the question.

The whole helpline runs (gateway, core, the trained Rasa model, the action server rendering content/); in
four languages, one of them right to left.
"""

from __future__ import annotations

from itertools import count
from pathlib import Path

import pytest

from bot.content import ContentLibrary
from tests.fakes.telegram_api import FakeTelegramAPI

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ContentLibrary.load(ROOT / "content")
pytestmark = pytest.mark.e2e
user_ids = count(741_000_001)  # apart from every other test file's people

# (locale, a message asking for two things, its country, the topics in the order they must come)
DOCTOR_FIRST = ("ask_health_support", "ask_legal_aid")
BED_FIRST = ("ask_shelter", "ask_asylum")
TWO_NEEDS = [
    ("en", "im in spain, i need a lawyer and also a doctor", "ES", DOCTOR_FIRST),
    ("es", "puedo pedir asilo y donde puedo dormir seguro esta noche? estoy en Italia", "IT", BED_FIRST),
    ("ar", "انا في ايطاليا، محتاج محامي وكمان دكتور", "IT", DOCTOR_FIRST),
    ("ru", "я в Польше, мне нужен адвокат и ещё врач", "PL", DOCTOR_FIRST),
]
STORY = (
    "my boss took my passport months ago, i work every day in his restaurant in Milan and he never pays "
    "me. can i get my money back?"
)


class Survivor:
    """One person on fake Telegram, their app in their language."""

    def __init__(self, telegram: FakeTelegramAPI, locale: str) -> None:
        self.telegram, self.locale, self.id, self.seen = telegram, locale, next(user_ids), 0

    def writes(self, text: str, replies: int = 1) -> list[str]:
        """What the bot answers (that many messages)."""
        self.telegram.send_text(self.id, text, language_code=self.locale)
        self.seen += replies
        messages = self.telegram.wait_for_messages(self.id, self.seen)[-replies:]
        return [str(message["text"]) for message in messages]


@pytest.mark.parametrize(("locale", "message", "country", "topics"), TWO_NEEDS)
def test_two_needs_in_one_message_get_both_answers_the_more_urgent_first(
    telegram: FakeTelegramAPI, locale: str, message: str, country: str, topics: tuple[str, str]
) -> None:
    survivor = Survivor(telegram, locale)
    assert survivor.writes(message, replies=2) == [
        CONTENT.reply_for_intent(topic, locale, country).text for topic in topics
    ]


def test_a_long_story_that_ends_in_a_question_gets_the_answer_to_the_question(
    telegram: FakeTelegramAPI,
) -> None:
    survivor = Survivor(telegram, "en")
    assert survivor.writes(STORY) == [CONTENT.reply_for_intent("ask_compensation", "en", "IT").text]
