"""In each of the eight languages, a survivor asking for a shelter and for legal aid gets the right topic,
in their language, on (fake) Telegram and in the web chat in a real browser."""

from __future__ import annotations

import json
from itertools import count
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bot.channels.telegram import COMMAND_LANGUAGE
from bot.content import ContentLibrary
from bot.conversation.language import LanguageDetector
from bot.i18n import LRI, PDI, SUPPORTED_LOCALES, Translator
from tests.fakes.telegram_api import FakeTelegramAPI

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e
user_ids = count(710_000_001)

# What a person might first write, in their own words (not taken from the training data).
ASKS: dict[str, dict[str, str]] = {
    "en": {
        "ask_shelter": "i need a safe place to sleep tonight",
        "ask_legal_aid": "how can i get a free lawyer",
    },
    "es": {
        "ask_shelter": "necesito un lugar seguro donde dormir esta noche",
        "ask_legal_aid": "como puedo conseguir un abogado gratis",
    },
    "fr": {
        "ask_shelter": "j'ai besoin d'un endroit sûr pour dormir ce soir",
        "ask_legal_aid": "comment je peux avoir un avocat gratuit",
    },
    "pt": {
        "ask_shelter": "preciso de um lugar seguro para dormir esta noite",
        "ask_legal_aid": "como consigo um advogado de graça",
    },
    "ro": {
        "ask_shelter": "am nevoie de un loc sigur unde sa dorm la noapte",
        "ask_legal_aid": "cum pot sa gasesc un avocat gratuit",
    },
    "ru": {
        "ask_shelter": "мне нужно безопасное место, где можно переночевать",
        "ask_legal_aid": "как мне получить бесплатного адвоката",
    },
    "uk": {
        "ask_shelter": "мені потрібне безпечне місце, де можна переночувати",
        "ask_legal_aid": "як мені отримати безкоштовного адвоката",
    },
    "ar": {
        "ask_shelter": "أحتاج إلى مكان آمن أنام فيه الليلة",
        "ask_legal_aid": "كيف يمكنني الحصول على محامي مجاني",
    },
    "sq": {
        "ask_shelter": "me duhet nje vend i sigurt ku te kaloj naten sonte",
        "ask_legal_aid": "si mund te marr nje avokat pa pagese",
    },
    "vi": {
        "ask_shelter": "tôi cần một nơi an toàn để ngủ đêm nay",
        "ask_legal_aid": "lam sao de co luat su mien phi",
    },
    "zh": {
        "ask_shelter": "今晚我需要一个安全的地方睡觉",
        "ask_legal_aid": "我怎么才能找到免费的律师",
    },
    "th": {
        "ask_shelter": "คืนนี้หนูต้องการที่ปลอดภัยไว้นอนค่ะ",
        "ask_legal_aid": "จะหาทนายฟรีได้ยังไงคะ",
    },
    "ti": {
        "ask_shelter": "ሎሚ ምሸት ዝድቅሰሉ ውሑስ ቦታ የድልየኒ",
        "ask_legal_aid": "ናጻ ጠበቓ ብኸመይ ክረክብ እኽእል",
    },
    "tl": {
        "ask_shelter": "kailangan ko ng ligtas na lugar na matutulugan ngayong gabi",
        "ask_legal_aid": "paano ako makakakuha ng libreng abogado",
    },
}
TOPICS = ("ask_shelter", "ask_legal_aid")


@pytest.fixture(scope="module")
def content() -> ContentLibrary:
    return ContentLibrary.load(ROOT / "content")


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


def language_of(text: str, detector: LanguageDetector) -> str:
    """What a language detector says the reply is written in (numbers and isolates left out)."""
    letters_only = "".join(" " if char.isdigit() or char in (LRI, PDI) else char for char in text)
    # Lingua has no Tigrinya: a reply in Ge'ez script is told by its script, as the detector does.
    return detector.script_locale(letters_only) or detector.confidences(letters_only)[0][0]


def test_every_supported_language_has_a_conversation_here() -> None:
    assert set(ASKS) == set(SUPPORTED_LOCALES)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_on_telegram_each_language_gets_shelter_and_legal_aid_in_that_language(
    telegram: FakeTelegramAPI, content: ContentLibrary, detector: LanguageDetector, locale: str
) -> None:
    """The person's Telegram app is set to their language; they write in it."""
    user = next(user_ids)
    for number, intent in enumerate(TOPICS, start=1):
        telegram.send_text(user, ASKS[locale][intent], language_code=locale)
        reply = telegram.wait_for_messages(user, number)[-1]
        assert reply["text"] == content.reply_for_intent(intent, locale).text, f"{locale}: {intent}"
        assert language_of(reply["text"], detector) == locale


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_in_the_web_chat_each_language_is_recognised_and_answered_in_it(
    page: Page, web_base_url: str, content: ContentLibrary, detector: LanguageDetector, locale: str
) -> None:
    """The browser says English (a borrowed phone, a library computer); the person writes in their own
    language, and the bot switches to it: the page's words and direction too."""
    page.goto(f"{web_base_url}/chat")
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")
    for intent in TOPICS:
        page.locator("#message-input").fill(ASKS[locale][intent])
        page.locator("#message-input").press("Enter")
        expected = content.reply_for_intent(intent, locale).text
        bubble = page.locator(".msg.bot .msg-text").filter(has_text=expected.splitlines()[0]).last
        expect(bubble).to_be_visible()
        assert bubble.text_content() == expected, f"{locale}: {intent}"
        assert language_of(expected, detector) == locale
    direction = "rtl" if locale == "ar" else "ltr"
    expect(page.locator("html")).to_have_attribute("lang", locale)
    expect(page.locator("html")).to_have_attribute("dir", direction)
    expect(page.locator(".msg.bot").last).to_have_attribute("dir", direction)


def test_the_language_picker_switches_telegram_for_good(
    telegram: FakeTelegramAPI, content: ContentLibrary
) -> None:
    """/language shows every language in its own name; the choice holds even if the person then writes in
    another language."""
    user = next(user_ids)
    telegram.send_command(user, "/language", language_code="ru")
    [picker] = telegram.wait_for_messages(user, 1)
    titles = [button["text"] for row in picker["reply_markup"]["inline_keyboard"] for button in row]
    assert titles == [
        "English",
        "Español",
        "Français",
        "Português",
        "Română",
        "Русский",
        "Українська",
        "العربية",
        "Shqip",
        "Tiếng Việt",
        "中文",
        "ไทย",
        "ትግርኛ",
        "Tagalog",
    ]
    telegram.press_button(user, picker, "/language_uk")
    menu = telegram.wait_for_messages(user, 2)[-1]
    assert menu["text"] == content.reply_for_intent("bot_capabilities", "uk").text
    telegram.send_text(user, ASKS["ru"]["ask_legal_aid"], language_code="ru")
    answer = telegram.wait_for_messages(user, 3)[-1]
    assert answer["text"] == content.reply_for_intent("ask_legal_aid", "uk").text


def test_arabic_phone_numbers_read_left_to_right_in_the_browser(page: Page, web_base_url: str) -> None:
    """In a right-to-left reply, "116 000" must not be shown as "000 116"."""
    page.goto(f"{web_base_url}/chat")
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")
    page.locator("#message-input").fill("أريد أن أتكلم مع شخص حقيقي من فضلك")
    page.locator("#message-input").press("Enter")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    bubble = page.locator(".msg.bot .msg-text").last
    expect(bubble).to_contain_text("888")
    # Where each digit group of "+1 888 373 7888" is drawn: left to right means increasing x.
    positions = bubble.evaluate(
        """(element) => {
            const text = element.firstChild.textContent;
            const start = text.indexOf("888 373 7888");
            const x = (offset) => {
                const range = document.createRange();
                range.setStart(element.firstChild, start + offset);
                range.setEnd(element.firstChild, start + offset + 3);
                return range.getBoundingClientRect().left;
            };
            return start < 0 ? null : [x(0), x(4), x(8)];
        }"""
    )
    assert positions is not None and positions == sorted(positions)


def test_the_command_menu_is_offered_in_every_language(telegram: FakeTelegramAPI) -> None:
    registered = {
        str(call.params.get("language_code") or ""): call.params["commands"]
        for call in telegram.calls("setMyCommands")
    }
    assert set(registered) == {"", *SUPPORTED_LOCALES}
    commands = registered["uk"] if isinstance(registered["uk"], list) else json.loads(registered["uk"])
    assert [command["command"] for command in commands] == [
        "start",
        "help",
        "language",
        "country",
        "privacy",
        "erase",
        "vanish",
        "code",
    ]
    assert commands[2]["description"] == Translator(ROOT / "content" / "locale", "uk").gettext(
        COMMAND_LANGUAGE
    )
    assert commands[2]["description"] != COMMAND_LANGUAGE
