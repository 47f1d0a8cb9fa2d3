"""Danger first, through the whole helpline on (fake) Telegram: a message that may mean danger right now
gets the emergency number before anything else, whatever the model makes of it; "No" to the welcome's
"Are you somewhere safe to talk?" gets the emergency number, how to erase and leave, and the menu."""

from __future__ import annotations

from itertools import count
from pathlib import Path

import pytest

from bot.content import ContentLibrary
from tests.fakes.telegram_api import FakeTelegramAPI

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e
user_ids = count(740_000_001)

# Danger described as a situation, never with the word "danger" (issue 13's examples, in several languages).
DANGER: dict[str, list[str]] = {
    "en": [
        "they locked me in the room and there is no food or water",
        "the man is following me and wants to put me in the van",
        "the owner threatens to kill me, he is in the next room",
    ],
    "ro": [
        "m-au închis în cameră și nu mă lasă să ies",
        "patronul zice ca ma omoara, e in camera de alaturi",
    ],
    "ru": [
        "меня заперли в комнате, нет ни еды ни воды",
        "хозяин угрожает меня убить, он в соседней комнате",
    ],
    "es": ["un hombre me sigue y me quiere meter en la furgoneta"],
    "ar": ["صاحب العمل يهدد بقتلي وهو في الغرفة المجاورة"],
    "uk": ["мене замкнули в кімнаті і не випускають"],
    "fr": ["ils m'ont enfermée dans la chambre sans eau ni nourriture"],
    "pt": ["o patrão ameaça matar-me, está no quarto ao lado"],
    "sq": [
        "me kane mbyllur ne dhome dhe nuk kam as uje as buke",
        "pronari kercenon se do me vrase, eshte ne dhomen ngjitur",
    ],
    "vi": ["ong chu doa giet em, han dang o phong ben", "họ nhốt tôi trong phòng, không cho ra ngoài"],
    "zh": ["他们把我锁在房间里，没有吃的也没有水", "老板说要杀了我，他就在隔壁"],
    "th": ["พวกมันขังหนูไว้ในห้อง ไม่มีข้าวไม่มีน้ำ", "เถ้าแก่ขู่จะฆ่าผม ตอนนี้อยู่ห้องข้างๆ"],
    "ti": ["ኣብ ክፍሊ ዓጽዮምኒ መግብን ማይን የለን", "ወሃብ ስራሕ ክቐትለኒ እዩ ይብል፣ ሕጂ ኣብ ጎድኒ ክፍሊ ኣሎ"],
    "tl": [
        "kinulong nila ako sa kwarto, walang pagkain at tubig",
        "papatayin daw ako ng amo, nasa kabilang kwarto siya",
    ],
}
NOT_SAFE = {
    "en": "no",
    "ro": "nu",
    "uk": "ні",
    "es": "no",
    "sq": "jo",
    "th": "ไม่ค่ะ",
    "ti": "ኣይፋል",
    "tl": "hindi po",
}


@pytest.fixture(scope="module")
def content() -> ContentLibrary:
    return ContentLibrary.load(ROOT / "content")


@pytest.mark.parametrize(
    ("locale", "text"), [(locale, text) for locale, texts in DANGER.items() for text in texts]
)
def test_a_danger_message_gets_the_emergency_number_first(
    telegram: FakeTelegramAPI, content: ContentLibrary, locale: str, text: str
) -> None:
    user = next(user_ids)
    telegram.send_text(user, text, language_code=locale)
    first = telegram.wait_for_messages(user, 1)[0]
    assert first["text"] == content.reply_for_intent("immediate_danger", locale).text


def test_once_the_country_is_known_the_first_message_is_its_emergency_number(
    telegram: FakeTelegramAPI, content: ContentLibrary
) -> None:
    user = next(user_ids)
    telegram.send_text(user, "am nevoie de un loc sigur unde sa dorm", language_code="ro")
    [question] = telegram.wait_for_messages(user, 1)
    telegram.press_button(user, question, "/country_ro_ask_shelter", language_code="ro")
    seen = len(telegram.wait_for_messages(user, 2))
    telegram.send_text(user, "m-au închis în cameră și nu mă lasă să ies", language_code="ro")
    first = telegram.wait_for_messages(user, seen + 1)[seen]
    assert first["text"] == content.reply_for_intent("immediate_danger", "ro", "RO").text
    assert "112" in first["text"]


@pytest.mark.parametrize("locale", sorted(NOT_SAFE))
def test_no_to_the_safety_question_gets_the_emergency_number_and_how_to_erase(
    telegram: FakeTelegramAPI, content: ContentLibrary, locale: str
) -> None:
    user = next(user_ids)
    telegram.send_command(user, "/start", language_code=locale)
    [welcome] = telegram.wait_for_messages(user, 1)
    assert welcome["text"] == content.reply_for_intent("greet", locale).text
    telegram.send_text(user, NOT_SAFE[locale], language_code=locale)
    answer = telegram.wait_for_messages(user, 2)[1]
    expected = content.reply("not_safe", locale)
    assert answer["text"] == expected.text
    assert "112" in answer["text"] and "/erase" in answer["text"]
    titles = [button["text"] for row in answer["reply_markup"]["inline_keyboard"] for button in row]
    assert titles == [button.title for button in expected.buttons]  # the menu


def test_no_later_in_the_chat_is_just_no(telegram: FakeTelegramAPI, content: ContentLibrary) -> None:
    """Only right after the safety question does "No" mean "I am not safe"."""
    user = next(user_ids)
    telegram.send_text(user, "what are my rights", language_code="en")
    seen = len(telegram.wait_for_messages(user, 1))
    telegram.send_text(user, "no", language_code="en")
    answer = telegram.wait_for_messages(user, seen + 1)[seen]
    assert answer["text"] == content.reply_for_intent("deny", "en").text
