"""The whole helpline hands a survivor to a counsellor and back: on (fake) Telegram and in the web chat.

A counsellor logs in to the console in Chromium; a survivor asks for a person, consents, and is queued;
the ticket appears in the console without a reload; the counsellor claims it; they write to each other
(asserted on the fake Bot API and in the survivor's browser); the counsellor resolves, and the bot
answers again. Everything runs as `make run` starts it: gateway, web app, Rasa, action server, Redis.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from itertools import count
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine

from bot.content import ContentLibrary
from bot.store.counts import DailyCounts
from tests.e2e.console import claim, counsellor, database, payloads
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.stack import Helpline

pytestmark = pytest.mark.e2e
__all__ = ["counsellor", "database"]  # fixtures
expect.set_options(timeout=30_000)
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "console.png"
user_ids = count(730_000_001)


@pytest.fixture(scope="module")
def content() -> ContentLibrary:
    return ContentLibrary.load(ROOT / "content")


def test_a_telegram_survivor_is_handed_to_a_counsellor_and_back(
    counsellor: Page, telegram: FakeTelegramAPI, content: ContentLibrary, database: Engine
) -> None:
    user = next(user_ids)
    telegram.send_text(user, "i need a safe place to sleep tonight", language_code="en")
    [question] = telegram.wait_for_messages(user, 1)
    telegram.press_button(user, question, "/country_gb_ask_shelter", language_code="en")
    telegram.wait_for_messages(user, 2)
    telegram.send_text(user, "can i talk to a real person please", language_code="en")
    offer = telegram.wait_for_messages(user, 3)[-1]
    assert offer["text"] == content.reply("handoff_offer", "en", "GB").text
    consent = next(payload for payload in payloads(offer) if payload.startswith("/handoff_accept_"))
    assert "normal" not in consent and "shelter" not in consent  # only a one-time token: the rest is kept
    telegram.press_button(user, offer, consent, language_code="en")
    queued = telegram.wait_for_messages(user, 4)[-1]
    assert "Your place: 1." in queued["text"] and "/handoff_cancel" in payloads(queued)

    row = counsellor.locator("#offered tbody tr.ticket")
    expect(row).to_have_count(1)  # without a reload
    expect(row).to_contain_text("United Kingdom")
    if os.environ.get(
        "UPDATE_SCREENSHOTS"
    ):  # README's picture of the console: `UPDATE_SCREENSHOTS=1 make test`
        counsellor.screenshot(path=str(SCREENSHOT))
    claim(counsellor)
    joined = telegram.wait_for_messages(user, 5)[-1]
    assert joined["text"] == "A counsellor has joined the chat. You can write to them now."

    telegram.send_text(user, "hello, is this a real person?", language_code="en")
    expect(counsellor.locator("#chat-log .msg.survivor .msg-text").last).to_have_text(
        "hello, is this a real person?"
    )
    counsellor.locator("#message-text").fill("Yes. My name is Ana. Are you safe right now?")
    counsellor.get_by_role("button", name="Send").click()
    reply = telegram.wait_for_messages(user, 6)[-1]
    assert reply["text"] == "Yes. My name is Ana. Are you safe right now?"

    counsellor.locator("#outcome").select_option("information_given")
    counsellor.get_by_role("button", name="Resolve").click()
    ended = telegram.wait_for_messages(user, 7)[-1]
    assert ended["text"] == "The counsellor has ended the chat. You are talking with the helpline bot again."
    telegram.send_text(user, "thank you so much", language_code="en")
    thanks = telegram.wait_for_messages(user, 8)[-1]
    assert thanks["text"] == content.reply_for_intent("thank", "en").text  # the bot answers again

    # The reports counted it all, by day and channel (the action server too), never who.
    today = datetime.now(timezone.utc).date()
    counted = {
        (row.metric, row.key) for row in DailyCounts(database).rows(today, today) if row.channel == "telegram"
    }
    assert {
        ("contacts", ""),
        ("topic", "ask_shelter"),
        ("handoff", "requested"),
        ("handoff", "offered"),
        ("handoff", "queued"),
        ("handoff", "answered"),
        ("outcome", "information_given"),
    } <= counted


def test_a_web_chat_survivor_is_handed_to_a_counsellor_and_back(
    counsellor: Page, browser: Browser, helpline: Helpline, content: ContentLibrary
) -> None:
    context = browser.new_context(locale="es-ES")
    survivor = context.new_page()
    survivor.goto(f"{helpline.web_url}/chat")
    expect(survivor.locator("#status")).to_have_attribute("data-state", "connected")
    survivor.locator("#message-input").fill("quiero hablar con una persona de verdad")
    survivor.locator("#message-input").press("Enter")
    expect(survivor.locator(".msg.bot .msg-text").last).to_have_text(
        content.reply("handoff_offer", "es").text
    )
    survivor.locator(".reply-buttons").last.locator("button").first.click()  # "✅ Sí, ..."
    expect(survivor.locator(".msg.bot .msg-text").last).to_contain_text("1")

    expect(counsellor.locator("#offered tbody tr.ticket")).to_have_count(1)
    claim(counsellor)
    expect(survivor.locator(".msg.bot.system .msg-text").last).to_be_visible()

    survivor.locator("#message-input").fill("hola, necesito ayuda")
    survivor.locator("#message-input").press("Enter")
    expect(counsellor.locator("#chat-log .msg.survivor .msg-text").last).to_have_text("hola, necesito ayuda")
    counsellor.locator("#message-text").fill("Hola, soy Ana. Estoy aquí.")
    counsellor.get_by_role("button", name="Send").click()
    expect(survivor.locator(".msg.bot.counsellor .msg-text").last).to_have_text("Hola, soy Ana. Estoy aquí.")

    counsellor.locator("#outcome").select_option("information_given")
    counsellor.get_by_role("button", name="Resolve").click()
    expect(survivor.locator(".msg.bot.system .msg-text")).to_have_count(2)
    context.close()
