"""For every seeded country and every language, a survivor on (fake) Telegram who asks for a shelter, for
legal aid, and says they are in danger gets that country's numbers, in their language.

The whole helpline runs: Telegram gateway, conversation core, the trained Rasa model, the action server
rendering content/. The country comes from a button under the question, or typed in the person's language.
"""

from __future__ import annotations

from itertools import count
from pathlib import Path

import pytest

from bot.content import ContentLibrary
from bot.countries import country_name
from bot.i18n import SUPPORTED_LOCALES
from tests.fakes.telegram_api import JSON, FakeTelegramAPI

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e
user_ids = count(720_000_001)

# What a person might write, in their own words.
ASKS: dict[str, dict[str, str]] = {
    "en": {
        "ask_shelter": "i need a safe place to sleep tonight",
        "ask_legal_aid": "how can i get a free lawyer",
        "immediate_danger": "i am in danger right now",
    },
    "es": {
        "ask_shelter": "necesito un lugar seguro donde dormir esta noche",
        "ask_legal_aid": "como puedo conseguir un abogado gratis",
        "immediate_danger": "estoy en peligro ahora mismo",
    },
    "fr": {
        "ask_shelter": "j'ai besoin d'un endroit sûr pour dormir ce soir",
        "ask_legal_aid": "comment je peux avoir un avocat gratuit",
        "immediate_danger": "je suis en danger maintenant",
    },
    "pt": {
        "ask_shelter": "preciso de um lugar seguro para dormir esta noite",
        "ask_legal_aid": "como consigo um advogado de graça",
        "immediate_danger": "estou em perigo agora",
    },
    "ro": {
        "ask_shelter": "am nevoie de un loc sigur unde sa dorm la noapte",
        "ask_legal_aid": "cum pot sa gasesc un avocat gratuit",
        "immediate_danger": "sunt in pericol acum",
    },
    "ru": {
        "ask_shelter": "мне нужно безопасное место, где можно переночевать",
        "ask_legal_aid": "как мне получить бесплатного адвоката",
        "immediate_danger": "я в опасности прямо сейчас",
    },
    "uk": {
        "ask_shelter": "мені потрібне безпечне місце, де можна переночувати",
        "ask_legal_aid": "як мені отримати безкоштовного адвоката",
        "immediate_danger": "я зараз у небезпеці",
    },
    "ar": {
        "ask_shelter": "أحتاج إلى مكان آمن أنام فيه الليلة",
        "ask_legal_aid": "كيف يمكنني الحصول على محامي مجاني",
        "immediate_danger": "أنا في خطر الآن",
    },
    "sq": {
        "ask_shelter": "me duhet nje vend i sigurt ku te kaloj naten sonte",
        "ask_legal_aid": "si mund te marr nje avokat pa pagese",
        "immediate_danger": "jam ne rrezik tani",
    },
    "vi": {
        "ask_shelter": "tôi cần một nơi an toàn để ngủ đêm nay",
        "ask_legal_aid": "lam sao de co luat su mien phi",
        "immediate_danger": "toi dang gap nguy hiem ngay bay gio",
    },
    "zh": {
        "ask_shelter": "今晚我需要一个安全的地方睡觉",
        "ask_legal_aid": "我怎么才能找到免费的律师",
        "immediate_danger": "我现在有危险",
    },
    "th": {
        "ask_shelter": "คืนนี้หนูต้องการที่ปลอดภัยไว้นอนค่ะ",
        "ask_legal_aid": "จะหาทนายฟรีได้ยังไงคะ",
        "immediate_danger": "ตอนนี้หนูอยู่ในอันตรายค่ะ",
    },
    "ti": {
        "ask_shelter": "ሎሚ ምሸት ዝድቅሰሉ ውሑስ ቦታ የድልየኒ",
        "ask_legal_aid": "ናጻ ጠበቓ ብኸመይ ክረክብ እኽእል",
        "immediate_danger": "ሕጂ ኣብ ሓደጋ ኣለኹ",
    },
    "tl": {
        "ask_shelter": "kailangan ko ng ligtas na lugar na matutulugan ngayong gabi",
        "ask_legal_aid": "paano ako makakakuha ng libreng abogado",
        "immediate_danger": "nasa panganib ako ngayon",
    },
}
CONTENT = ContentLibrary.load(ROOT / "content")
COUNTRIES = CONTENT.countries()


@pytest.fixture(scope="module")
def content() -> ContentLibrary:
    return CONTENT


class Survivor:
    """One person on fake Telegram, their app in their language; counts the bot's messages to them."""

    def __init__(self, telegram: FakeTelegramAPI, locale: str) -> None:
        self.telegram, self.locale, self.id, self.seen = telegram, locale, next(user_ids), 0

    def writes(self, text: str, replies: int = 1) -> list[JSON]:
        self.telegram.send_text(self.id, text, language_code=self.locale)
        return self._replies(replies)

    def presses(self, message: JSON, payload: str, replies: int = 1) -> list[JSON]:
        self.telegram.press_button(self.id, message, payload, language_code=self.locale)
        return self._replies(replies)

    def _replies(self, replies: int) -> list[JSON]:
        self.seen += replies
        return self.telegram.wait_for_messages(self.id, self.seen)[-replies:]


def payloads(message: JSON) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [button["callback_data"] for row in markup.get("inline_keyboard", []) for button in row]


def test_every_language_is_tested_here() -> None:
    assert set(ASKS) == set(SUPPORTED_LOCALES)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("country", COUNTRIES)
def test_shelter_legal_aid_and_danger_give_the_countrys_numbers_in_the_persons_language(
    telegram: FakeTelegramAPI, content: ContentLibrary, country: str, locale: str
) -> None:
    survivor = Survivor(telegram, locale)
    (question,) = survivor.writes(ASKS[locale]["ask_shelter"])
    assert question["text"] == content.reply_for_intent("ask_shelter", locale).text
    # Half the people tap their country; the others type its name in their own language.
    if (COUNTRIES.index(country) + SUPPORTED_LOCALES.index(locale)) % 2:
        (shelter,) = survivor.writes(country_name(country, locale))
    else:
        (shelter,) = survivor.presses(question, f"/country_{country.lower()}_ask_shelter")
    assert shelter["text"] == content.reply_for_intent("ask_shelter", locale, country).text
    (legal_aid,) = survivor.writes(ASKS[locale]["ask_legal_aid"])
    assert legal_aid["text"] == content.reply_for_intent("ask_legal_aid", locale, country).text
    emergency, offer = survivor.writes(ASKS[locale]["immediate_danger"], replies=2)
    assert emergency["text"] == content.reply_for_intent("immediate_danger", locale, country).text
    assert content.emergency_numbers(country)[0] in emergency["text"].splitlines()[0]
    assert offer["text"] == content.reply("danger_next", locale, country).text
    assert "/request_human" in payloads(offer)


def test_in_danger_with_no_country_the_first_reply_gives_112_and_asks_which_country(
    telegram: FakeTelegramAPI, content: ContentLibrary
) -> None:
    survivor = Survivor(telegram, "en")
    emergency, offer = survivor.writes(ASKS["en"]["immediate_danger"], replies=2)
    assert "112" in emergency["text"] and "Which country are you in?" in emergency["text"]
    assert "/country_ro_immediate_danger" in payloads(emergency)
    assert "/request_human" in payloads(offer)
    emergency, offer = survivor.presses(emergency, "/country_gb_immediate_danger", replies=2)
    assert emergency["text"].startswith("Call 999 now.")
    assert "08000 121 700" in offer["text"]


def test_the_country_can_be_changed_and_an_uncovered_one_is_kept_too(
    telegram: FakeTelegramAPI, content: ContentLibrary
) -> None:
    survivor = Survivor(telegram, "es")
    (question,) = survivor.writes(ASKS["es"]["ask_shelter"])
    (shelter,) = survivor.presses(question, "/country_es_ask_shelter")
    assert "900 10 50 90" in shelter["text"]  # as the source writes it
    (picker,) = survivor.presses(shelter, "/change_country")
    assert picker["text"] == content.reply_for_intent("change_country", "es").text
    survivor.writes("estoy en Brasil")  # the menu
    (legal_aid,) = survivor.writes(ASKS["es"]["ask_legal_aid"])
    assert legal_aid["text"] == content.reply_for_intent("ask_legal_aid", "es", "BR").text
    assert "Brasil" in legal_aid["text"]


def test_a_forged_country_button_asks_again(telegram: FakeTelegramAPI, content: ContentLibrary) -> None:
    survivor = Survivor(telegram, "en")
    (question,) = survivor.writes(ASKS["en"]["ask_shelter"])
    (again,) = survivor.presses(question, "/country_zz_ask_shelter")
    assert again["text"] == content.reply_for_intent("change_country", "en").text
