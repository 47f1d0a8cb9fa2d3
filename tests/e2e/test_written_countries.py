"""A survivor on (fake) Telegram names their country the way people write: inside the question, as a city,
or alone in a follow-up ("and in Romania?"); a fear word beside a practical need still gets that need.

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
user_ids = count(736_000_001)  # apart from every other test file's people

# (locale, the question with its country, the country, a follow-up with another, that country)
IN_THE_QUESTION = [
    (
        "en",
        "hi im in italy rn and i need a safe place to sleep tonight pls",
        "IT",
        "and what about Romania?",
        "RO",
    ),
    ("es", "estoy en españa y necesito un abogado gratis", "ES", "¿y en Portugal?", "PT"),
    ("ru", "я в италии и мне нужен бесплатный адвокат", "IT", "а в Польше?", "PL"),
    ("ar", "أنا في إيطاليا وأحتاج مكان آمن للنوم", "IT", "وفي فرنسا؟", "FR"),
    ("sq", "jam ne itali dhe me duhet nje avokat falas", "IT", "po ne Greqi?", "GR"),
    ("vi", "em dang o ben duc va can mot luat su mien phi", "DE", "còn ở Ý thì sao?", "IT"),
    ("zh", "我在意大利 想找个免费律师", "IT", "那在西班牙呢？", "ES"),
    ("th", "ตอนนี้อยู่อิตาลีค่ะ คืนนี้ไม่มีที่นอนปลอดภัย", "IT", "แล้วโปแลนด์ล่ะคะ", "PL"),
    ("ti", "ኣብ ጥልያን እየ ዘለኹ ናጻ ጠበቓ የድልየኒ", "IT", "ኣብ ግሪኽ ከ?", "GR"),
    ("tl", "nasa italy ako ngayon at kailangan ko ng libreng abogado", "IT", "e sa Gresya po?", "GR"),
]
TOPIC = {
    "en": "ask_shelter",
    "es": "ask_legal_aid",
    "ru": "ask_legal_aid",
    "ar": "ask_shelter",
    "sq": "ask_legal_aid",
    "vi": "ask_legal_aid",
    "zh": "ask_legal_aid",
    "th": "ask_shelter",
    "ti": "ask_legal_aid",
    "tl": "ask_legal_aid",
}
# A fear word beside the need for a bed, and a city for the country.
AFRAID = [
    ("en", "im so scared, i need somewhere to stay tonight. i am in london", "GB"),
    ("es", "tengo mucho miedo y necesito un sitio para dormir esta noche, estoy en Madrid", "ES"),
    ("ru", "мне очень страшно и мне нужно где то переночевать сегодня, я в Лондоне", "GB"),
    ("ar", "انا خايفة كتير ومحتاجة مكان انام فيه الليلة، انا في لندن", "GB"),
    ("sq", "kam shume frike dhe me duhet nje vend ku te fle sonte, jam ne Londer", "GB"),
    ("vi", "em so lam, dem nay khong co cho ngu, em dang o Luan Don", "GB"),
    ("zh", "我好害怕 今晚需要找个地方住 我在伦敦", "GB"),
    ("th", "กลัวมากเลยค่ะ คืนนี้ต้องหาที่นอน ตอนนี้อยู่ลอนดอน", "GB"),
    ("ti", "ኣዝየ ፈሪሐ ኣለኹ ሎሚ ምሸት ዝድቅሰሉ ቦታ የድልየኒ፣ ኣብ ሎንደን እየ", "GB"),
    ("tl", "takot na takot ako at kailangan ko ng matutulugan ngayong gabi, nasa London ako", "GB"),
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


@pytest.mark.parametrize(("locale", "question", "country", "follow_up", "other"), IN_THE_QUESTION)
def test_the_country_in_the_question_is_answered_at_once_and_a_follow_up_answers_it_for_another(
    telegram: FakeTelegramAPI, locale: str, question: str, country: str, follow_up: str, other: str
) -> None:
    survivor = Survivor(telegram, locale)
    assert survivor.writes(question) == CONTENT.reply_for_intent(TOPIC[locale], locale, country).text
    assert survivor.writes(follow_up) == CONTENT.reply_for_intent(TOPIC[locale], locale, other).text


@pytest.mark.parametrize(("locale", "message", "country"), AFRAID)
def test_a_fear_word_beside_the_need_for_a_bed_gets_the_shelter_of_the_city_s_country(
    telegram: FakeTelegramAPI, locale: str, message: str, country: str
) -> None:
    survivor = Survivor(telegram, locale)
    assert survivor.writes(message) == CONTENT.reply_for_intent("ask_shelter", locale, country).text
