"""A survivor on (fake) Telegram talks to the whole helpline: gateway → Rasa → actions → content."""

from __future__ import annotations

import sqlite3
from itertools import count
from pathlib import Path

import pytest

from bot.content import ContentLibrary
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.stack import Helpline

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e
user_ids = count(700_000_001)


@pytest.fixture(scope="module")
def content() -> ContentLibrary:
    return ContentLibrary.load(ROOT / "content")


def keyboard_payloads(message: dict[str, object]) -> list[str]:
    markup = message.get("reply_markup") or {}
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    return [button["callback_data"] for row in rows for button in row]


def test_start_greets_with_the_menu_as_an_inline_keyboard(
    telegram: FakeTelegramAPI, content: ContentLibrary
) -> None:
    user = next(user_ids)
    telegram.send_command(user, "/start")
    [welcome] = telegram.wait_for_messages(user, 1)
    expected = content.reply_for_intent("greet", "en")
    assert welcome["text"] == expected.text
    assert keyboard_payloads(welcome) == [button.payload for button in expected.buttons]


def test_a_menu_button_answers_with_its_topic(telegram: FakeTelegramAPI, content: ContentLibrary) -> None:
    user = next(user_ids)
    telegram.send_command(user, "/start")
    [welcome] = telegram.wait_for_messages(user, 1)
    telegram.press_button(user, welcome, "/ask_shelter")
    answer = telegram.wait_for_messages(user, 2)[-1]
    assert answer["text"] == content.reply_for_intent("ask_shelter", "en").text
    assert telegram.wait_for_call("answerCallbackQuery")


def test_a_typed_question_gets_the_reviewed_answer(
    telegram: FakeTelegramAPI, content: ContentLibrary
) -> None:
    user = next(user_ids)
    telegram.send_text(user, "how do i get a lawyer for free")
    [answer] = telegram.wait_for_messages(user, 1)
    assert answer["text"] == content.reply_for_intent("ask_legal_aid", "en").text


def test_help_shows_what_the_bot_can_do(telegram: FakeTelegramAPI, content: ContentLibrary) -> None:
    user = next(user_ids)
    telegram.send_command(user, "/help")
    [answer] = telegram.wait_for_messages(user, 1)
    assert answer["text"] == content.reply_for_intent("bot_capabilities", "en").text


@pytest.mark.parametrize(
    "send", ["send_photo", "send_voice", "send_location", "send_document", "send_sticker", "send_contact"]
)
def test_media_gets_a_kind_text_only_answer_and_nothing_is_fetched(
    telegram: FakeTelegramAPI, send: str
) -> None:
    user = next(user_ids)
    getattr(telegram, send)(user)
    [answer] = telegram.wait_for_messages(user, 1)
    assert "only read text" in answer["text"]
    assert telegram.calls("getFile") == []


def test_a_forged_button_payload_is_not_passed_to_the_engine(
    telegram: FakeTelegramAPI, content: ContentLibrary
) -> None:
    user = next(user_ids)
    telegram.send_command(user, "/start")
    [welcome] = telegram.wait_for_messages(user, 1)
    telegram.press_button(user, welcome, '/restart{"x": 1}')
    answer = telegram.wait_for_messages(user, 2)[-1]
    assert answer["text"] == content.reply_for_intent("bot_capabilities", "en").text


def test_the_bot_declines_and_leaves_a_group(telegram: FakeTelegramAPI) -> None:
    user, group = next(user_ids), -1_001_234_567_890
    telegram.add_to_group(user, group)
    [decline] = telegram.wait_for_messages(group, 1)
    assert "private chats" in decline["text"]
    left = telegram.wait_for_call("leaveChat", predicate=lambda call: int(call.params["chat_id"]) == group)
    assert left is not None


def test_who_wrote_is_never_stored_or_logged(telegram: FakeTelegramAPI, helpline: Helpline) -> None:
    user = 731_555_019
    telegram.send_text(
        user,
        "my boss maria took my passport zebra-quartz-7",
        first_name="Mariacarmen",
        last_name="Kowalczykowa",
        username="maria_k_1990",
    )
    telegram.wait_for_messages(user, 1)
    identifiers = ["731555019", "maria_k_1990", "Mariacarmen", "Kowalczykowa", "zebra-quartz-7"]
    logs = helpline.logs()
    database = sqlite3.connect(helpline.data_dir / "helpline.db")
    rows = "\n".join(str(row) for row in database.execute("select * from conversations"))
    database.close()
    for identifier in identifiers:
        assert identifier not in logs
        assert identifier not in rows
