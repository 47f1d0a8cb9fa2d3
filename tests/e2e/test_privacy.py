"""The privacy test: someone with a real-looking identity talks, meets a counsellor, and erases it all.

Seeded identifiers (a Telegram user id, username, first and last name, a phone number shared as a contact)
and distinctive message texts go through the whole helpline as `make run` starts it. Then the database,
every Redis key and value (Rasa's trackers included) and every log line are dumped: no identifier appears
anywhere; the texts appear only inside Fernet tokens (the transcript, the tracker); after the erase, not at
all, not even encrypted, and every message of the chat has been deleted from the person's Telegram.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from playwright.sync_api import Page, expect

from bot.content import ContentLibrary
from tests.e2e.console import claim, counsellor, database, payloads
from tests.fakes.telegram_api import JSON, FakeTelegramAPI
from tests.stack import Helpline

pytestmark = pytest.mark.e2e
__all__ = ["counsellor", "database"]  # fixtures
expect.set_options(timeout=30_000)
ROOT = Path(__file__).resolve().parents[2]

USER_ID = 731_942_615
USERNAME = "maria_k_1990"
FIRST_NAME = "Mariana"
LAST_NAME = "Kovalenkova"
PHONE = "+40712345678"
PERSON = {"username": USERNAME, "first_name": FIRST_NAME, "last_name": LAST_NAME, "language_code": "en"}
IDENTIFIERS = [str(USER_ID), USERNAME, FIRST_NAME, LAST_NAME, PHONE, PHONE.lstrip("+")]
# Words no reply, key or log line would contain unless a survivor's or counsellor's text leaked.
TO_THE_BOT = "my boss Dragomir took my passport at the Zephyrine bakery"
TO_THE_COUNSELLOR = "Zephyrine street, Dragomir comes back at night"
FROM_THE_COUNSELLOR = "Thank you for telling me. Is the quartzlantern door locked?"
TEXT_MARKERS = ["Dragomir", "Zephyrine", "quartzlantern"]
FERNET_TOKEN = re.compile(rb"gAAAAA[A-Za-z0-9_\-=]{40,}")


@pytest.fixture(scope="module")
def content() -> ContentLibrary:
    return ContentLibrary.load(ROOT / "content")


def dump_database(helpline: Helpline) -> bytes:
    """Every row of every table, as bytes (token columns as they are stored)."""
    path = helpline.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        tables = [row[0] for row in connection.execute("select name from sqlite_master where type='table'")]
        rows = [repr(row) for table in tables for row in connection.execute(f'select * from "{table}"')]
    return "\n".join(rows).encode()


def dump_redis(helpline: Helpline) -> bytes:
    """Every key and every value in Redis, whatever its type."""
    client = redis.Redis.from_url(helpline.redis_url)
    parts: list[bytes] = []
    readers = {
        b"string": lambda key: client.get(key),
        b"hash": lambda key: client.hgetall(key),
        b"list": lambda key: client.lrange(key, 0, -1),
        b"set": lambda key: client.smembers(key),
        b"zset": lambda key: client.zrange(key, 0, -1, withscores=True),
        b"stream": lambda key: client.xrange(key),
    }
    for key in client.scan_iter(count=1000):
        value = readers.get(client.type(key), lambda _key: b"")(key)
        parts += [key, repr(value).encode()]
    client.close()
    return b"\n".join(parts)


def everything(helpline: Helpline) -> bytes:
    """The database, Redis (Rasa's trackers included) and every log line of every part."""
    return b"\n".join([dump_database(helpline), dump_redis(helpline), helpline.logs().encode()])


def decrypted(helpline: Helpline, dump: bytes) -> str:
    """The plain text inside every Fernet token found in a dump (the installation's key opens them)."""
    keys = (helpline.secrets_dir / "transcript.key").read_text().strip()
    cipher = MultiFernet([Fernet(key.strip()) for key in keys.split(",")])
    opened = []
    for token in set(FERNET_TOKEN.findall(dump)):
        try:
            opened.append(cipher.decrypt(token).decode(errors="replace"))
        except InvalidToken:  # a base64 run that only looks like a token
            continue
    return "\n".join(opened)


def found(needles: list[str], haystack: bytes) -> list[str]:
    return [needle for needle in needles if needle.encode() in haystack]


def wait_until(condition: object, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.fixture
def chat_with_a_counsellor(
    counsellor: Page, telegram: FakeTelegramAPI, content: ContentLibrary
) -> Iterator[tuple[Page, list[int]]]:
    """Maria talks to the bot, shares her phone number, is handed to a counsellor; both write.

    Yields the counsellor's page and the ids of the messages Maria sent.
    """
    sent: list[int] = []

    def person_says(update: JSON) -> None:
        sent.append(update["message"]["message_id"])

    person_says(telegram.send_text(USER_ID, "/start", **PERSON))
    telegram.wait_for_messages(USER_ID, 1)
    person_says(telegram.send_text(USER_ID, TO_THE_BOT, **PERSON))
    telegram.wait_for_messages(USER_ID, 2)
    person_says(telegram.send_contact(USER_ID, phone_number=PHONE, **PERSON))
    declined = telegram.wait_for_messages(USER_ID, 3)[-1]
    assert "I can only read text messages" in declined["text"]
    person_says(telegram.send_text(USER_ID, "can i talk to a real person please", **PERSON))
    offer = telegram.wait_for_messages(USER_ID, 4)[-1]
    consent = next(payload for payload in payloads(offer) if payload.startswith("/handoff_accept_"))
    telegram.press_button(USER_ID, offer, consent, **PERSON)
    telegram.wait_for_messages(USER_ID, 5)
    claim(counsellor)
    telegram.wait_for_messages(USER_ID, 6)  # "A counsellor has joined the chat."
    person_says(telegram.send_text(USER_ID, TO_THE_COUNSELLOR, **PERSON))
    expect(counsellor.locator("#chat-log .msg.survivor .msg-text").last).to_have_text(TO_THE_COUNSELLOR)
    counsellor.locator("#message-text").fill(FROM_THE_COUNSELLOR)
    counsellor.get_by_role("button", name="Send").click()
    assert telegram.wait_for_messages(USER_ID, 7)[-1]["text"] == FROM_THE_COUNSELLOR
    yield counsellor, sent


def test_no_identifier_is_kept_anywhere_and_texts_only_encrypted_until_erased_then_nothing(
    chat_with_a_counsellor: tuple[Page, list[int]],
    helpline: Helpline,
    telegram: FakeTelegramAPI,
    content: ContentLibrary,
) -> None:
    console, person_sent = chat_with_a_counsellor

    during = everything(helpline)
    assert found(IDENTIFIERS, during) == []
    assert found(TEXT_MARKERS, during) == []  # not in clear: no key, value, row or log line
    inside_tokens = decrypted(helpline, during)
    # They are kept, encrypted: the bot part in Rasa's tracker, the chat in the transcript and streams.
    assert TO_THE_BOT in inside_tokens and TO_THE_COUNSELLOR in inside_tokens
    assert FROM_THE_COUNSELLOR in inside_tokens
    assert b"helpline:tracker:" in during  # Rasa keeps its trackers in the encrypted store, not in clear
    # Encrypted, the chat id (a private chat's id is the user id) is kept to reach her while the handoff
    # is open; nothing else that identifies her is kept, even encrypted.
    assert found(IDENTIFIERS[1:], inside_tokens.encode()) == []

    person_sent.append(telegram.send_command(USER_ID, "/erase", **PERSON)["message"]["message_id"])
    offer = telegram.wait_for_messages(USER_ID, 8)[-1]
    assert offer["text"] == content.reply("delete_data", "en").text
    assert payloads(offer) == ["/erase_confirm", "/erase_cancel"]
    telegram.press_button(USER_ID, offer, "/erase_confirm", **PERSON)
    done = telegram.wait_for_messages(USER_ID, 9)[-1]
    assert done["text"] == content.reply_for_intent("erase_confirm", "en").text == "Done."

    bot_sent = [message["message_id"] for message in telegram.sent_messages(USER_ID)]
    before_done = set(bot_sent[:-1]) | set(person_sent)
    assert before_done <= telegram.deleted_message_ids(USER_ID)  # every message of the chat, both sides
    wait_until(lambda: done["message_id"] in telegram.deleted_message_ids(USER_ID), timeout_s=40)
    expect(console.locator("#chat-log .msg.erased")).to_contain_text("The person erased their conversation")

    after = everything(helpline)
    assert found(IDENTIFIERS, after) == []
    assert found(TEXT_MARKERS, after) == []
    assert found([*TEXT_MARKERS, *IDENTIFIERS], decrypted(helpline, after).encode()) == []
    # Not even her pseudonym is left: no tracker, row, ledger, route or schedule names it.
    assert pseudonym_of(helpline).encode() not in dump_redis(helpline) + dump_database(helpline)


def pseudonym_of(helpline: Helpline) -> str:
    from bot.messages import Channel
    from bot.privacy.pseudonym import pseudonym_for

    return pseudonym_for(Channel.TELEGRAM, USER_ID, helpline.pseudonym_secret)


def test_the_safe_word_in_a_counsellor_chat_warns_the_counsellor_and_never_reaches_them(
    counsellor: Page, telegram: FakeTelegramAPI, content: ContentLibrary
) -> None:
    user = USER_ID + 1
    telegram.send_text(user, "can i talk to a real person please")
    offer = telegram.wait_for_messages(user, 1)[-1]
    consent = next(payload for payload in payloads(offer) if payload.startswith("/handoff_accept_"))
    telegram.press_button(user, offer, consent)
    telegram.wait_for_messages(user, 2)
    claim(counsellor)
    telegram.wait_for_messages(user, 3)
    telegram.send_text(user, "Sunflower")
    assert telegram.wait_for_messages(user, 4)[-1]["text"] == content.reply("neutral", "en").text
    expect(counsellor.locator("#chat-log .msg.system .msg-text").last).to_contain_text("safe word")
    expect(counsellor.locator("#chat-log .msg.survivor")).to_have_count(0)  # the word itself is not relayed
