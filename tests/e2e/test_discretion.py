"""Discretion on (fake) Telegram: quiet messages, the safe word, erase refused, vanishing mode, /privacy."""

from __future__ import annotations

import time
from collections.abc import Callable
from itertools import count
from pathlib import Path

import pytest
import redis

from bot.content import ContentLibrary
from bot.messages import Channel
from bot.privacy.pseudonym import pseudonym_for
from tests.e2e.console import payloads
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.stack import Helpline

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
user_ids = count(732_000_001)


@pytest.fixture(scope="module")
def content() -> ContentLibrary:
    return ContentLibrary.load(ROOT / "content")


def eventually(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_every_reply_is_protected_from_forwarding_and_saving(telegram: FakeTelegramAPI) -> None:
    user = next(user_ids)
    telegram.send_command(user, "/start")
    [welcome] = telegram.wait_for_messages(user, 1)
    assert welcome["has_protected_content"] is True


def test_privacy_command_says_what_is_kept_for_how_long_and_who_sees_it(
    telegram: FakeTelegramAPI, content: ContentLibrary
) -> None:
    user = next(user_ids)
    telegram.send_command(user, "/privacy", language_code="uk")
    [notice] = telegram.wait_for_messages(user, 1)
    assert notice["text"] == content.reply("privacy", "uk").text
    assert payloads(notice)[:2] == ["/vanish_menu", "/delete_data"]


def test_the_safe_word_answers_harmlessly_and_deletes_the_recent_messages(
    telegram: FakeTelegramAPI, content: ContentLibrary
) -> None:
    user = next(user_ids)
    mine = [telegram.send_text(user, "my employer keeps my passport")["message"]["message_id"]]
    telegram.wait_for_messages(user, 1)
    mine.append(telegram.send_text(user, "Sunflower!")["message"]["message_id"])
    neutral = telegram.wait_for_messages(user, 2)[-1]
    assert neutral["text"] == content.reply("neutral", "en").text
    bots = [message["message_id"] for message in telegram.sent_messages(user)]
    assert set(mine) | {bots[0]} <= telegram.deleted_message_ids(user)
    assert neutral["message_id"] not in telegram.deleted_message_ids(user)


def test_erase_asks_first_and_no_erases_nothing(telegram: FakeTelegramAPI, content: ContentLibrary) -> None:
    user = next(user_ids)
    telegram.send_text(user, "delete everything i wrote")
    offer = telegram.wait_for_messages(user, 1)[-1]
    assert offer["text"] == content.reply("delete_data", "en").text  # understood, then confirmed
    telegram.press_button(user, offer, "/erase_cancel")
    kept = telegram.wait_for_messages(user, 2)[-1]
    assert kept["text"] == content.reply("erase_cancelled", "en").text
    assert telegram.deleted_message_ids(user) == set()


def test_vanishing_mode_deletes_the_chat_after_the_chosen_silence(
    telegram: FakeTelegramAPI, helpline: Helpline, content: ContentLibrary
) -> None:
    user = next(user_ids)
    mine = [telegram.send_command(user, "/vanish")["message"]["message_id"]]
    menu = telegram.wait_for_messages(user, 1)[-1]
    assert payloads(menu) == ["/vanish_5", "/vanish_30", "/vanish_60", "/vanish_off"]
    telegram.press_button(user, menu, "/vanish_5")
    assert telegram.wait_for_messages(user, 2)[-1]["text"] == content.reply("vanish_5", "en").text
    mine.append(telegram.send_text(user, "thank you")["message"]["message_id"])
    telegram.wait_for_messages(user, 3)
    pseudonym = pseudonym_for(Channel.TELEGRAM, user, helpline.pseudonym_secret)
    client = redis.Redis.from_url(helpline.redis_url)
    # The gateway notes a message's id just after Telegram took it: wait until all five are noted.
    eventually(lambda: client.zcard(f"helpline:privacy:messages:telegram:{pseudonym}") == 5)
    due = client.zscore("helpline:privacy:due:telegram", pseudonym)
    assert due is not None and 4 * 60 < due - time.time() <= 5 * 60  # five minutes after the last message
    assert telegram.deleted_message_ids(user) == set()
    client.zadd("helpline:privacy:due:telegram", {pseudonym: time.time() - 1})  # five minutes later
    client.close()
    everything = {message["message_id"] for message in telegram.sent_messages(user)} | set(mine)
    eventually(lambda: everything <= telegram.deleted_message_ids(user))
