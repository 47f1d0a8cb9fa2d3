"""A resume code through the whole helpline: a survivor in a counsellor's chat on one channel asks for a code,
types it on another, and goes on talking with the same counsellor there, in Spanish, with nothing replayed.

Each channel is a `Survivor` driver (what a person does on it, through the real stack and a fake of the
provider at the boundary: Telegram, the web chat in Chromium, WhatsApp's Cloud API, Twilio's Messages API);
`ROUTES` carries a chat between each channel and another, so every channel gives and takes a code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import count
from pathlib import Path
from typing import Protocol

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.channels.sms_text import plain
from bot.content import ContentLibrary
from bot.privacy.resume_words import CodeWords
from tests.e2e.console import claim, counsellor, database, payloads
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.fakes.whatsapp_api import FakeWhatsAppAPI, options
from tests.fakes.whatsapp_api import texts as whatsapp_texts
from tests.stack import Helpline

pytestmark = pytest.mark.e2e
__all__ = ["counsellor", "database"]  # fixtures
expect.set_options(timeout=30_000)
ROOT = Path(__file__).resolve().parents[2]
CONTENT = ContentLibrary.load(ROOT / "content")
WORDS = CodeWords.load(ROOT / "content")
ASK_FOR_A_PERSON = "quiero hablar con una persona de verdad"
STORY = "mi jefe tiene mi pasaporte"
user_ids = count(760_000_001)
phones = count(34_611_200_001)


class Survivor(Protocol):
    """A person on one channel, as the tests drive them."""

    def say(self, text: str, replies: int = 1) -> list[str]:
        """Write `text`; the texts of the next `replies` messages from the helpline."""
        ...

    def accept_the_offer(self) -> None:
        """Press the consent button under the helpline's last message (a counsellor's offer)."""
        ...

    def wait_for(self, text: str) -> None:
        """Until a message with this text reaches the person."""
        ...

    def joined(self) -> None:
        """Until the helpline's "a counsellor has joined" reaches the person."""
        ...


class OnTelegram:
    """A person in the fake Telegram app; their app is in Spanish."""

    def __init__(self, telegram: FakeTelegramAPI) -> None:
        self._telegram, self._user, self._seen = telegram, next(user_ids), 0

    def say(self, text: str, replies: int = 1) -> list[str]:
        self._telegram.send_text(self._user, text, language_code="es")
        return self._next(replies)

    def accept_the_offer(self) -> None:
        offer = self._telegram.wait_for_messages(self._user, self._seen)[-1]
        consent = next(p for p in payloads(offer) if p.startswith("/handoff_accept_"))
        self._telegram.press_button(self._user, offer, consent, language_code="es")
        self._next(1)

    def wait_for(self, text: str) -> None:
        while text not in self._next(1):
            pass

    def joined(self) -> None:
        self._next(1)

    def _next(self, replies: int) -> list[str]:
        seen = self._telegram.wait_for_messages(self._user, self._seen + replies)
        new, self._seen = seen[self._seen : self._seen + replies], self._seen + replies
        return [message.get("text", "") for message in new]


class InTheWebChat:
    """A person in the web chat, in a browser set to Spanish."""

    def __init__(self, browser: Browser, helpline: Helpline) -> None:
        self._context = browser.new_context(locale="es-ES")
        self._page: Page = self._context.new_page()
        self._page.goto(f"{helpline.web_url}/chat")
        expect(self._page.locator("#status")).to_have_attribute("data-state", "connected")
        self._bot = self._page.locator(".msg.bot .msg-text")

    def say(self, text: str, replies: int = 1) -> list[str]:
        before = self._bot.count()
        self._page.locator("#message-input").fill(text)
        self._page.locator("#message-input").press("Enter")
        expect(self._bot).to_have_count(before + replies)
        return self._bot.all_inner_texts()[before:]

    def accept_the_offer(self) -> None:
        before = self._bot.count()
        self._page.locator(".reply-buttons").last.locator("button").first.click()  # "✅ Sí, ..."
        expect(self._bot).to_have_count(before + 1)

    def wait_for(self, text: str) -> None:
        expect(self._page.locator(".msg.bot.counsellor .msg-text").last).to_have_text(text)

    def joined(self) -> None:
        expect(self._page.locator(".msg.bot.system .msg-text")).to_have_count(1)

    def close(self) -> None:
        self._context.close()


class OnWhatsApp:
    """A person on WhatsApp (the fake Cloud API posts their messages to /whatsapp, signed as Meta does)."""

    def __init__(self, whatsapp: FakeWhatsAppAPI) -> None:
        self._whatsapp, self._phone, self._seen = whatsapp, str(next(phones)), 0

    def say(self, text: str, replies: int = 1) -> list[str]:
        self._whatsapp.write(self._phone, text)
        return self._next(replies)

    def accept_the_offer(self) -> None:
        offer = self._whatsapp.wait_for_messages(self._phone, self._seen)[-1]
        consent = next(id_ for id_ in options(offer).values() if id_.startswith("/handoff_accept_"))
        self._whatsapp.press(self._phone, consent, "Sí")
        self._next(1)

    def wait_for(self, text: str) -> None:
        while text not in self._next(1):
            pass

    def joined(self) -> None:
        self._next(1)

    def _next(self, replies: int) -> list[str]:
        seen = self._whatsapp.wait_for_messages(self._phone, self._seen + replies)
        new, self._seen = seen[self._seen : self._seen + replies], self._seen + replies
        return whatsapp_texts(new)


class OnSms:
    """A person texting the helpline's number (the fake Twilio signs and posts their texts to /sms)."""

    def __init__(self, twilio: FakeTwilioAPI) -> None:
        self._twilio, self._phone, self._seen = twilio, f"+{next(phones)}", 0

    def say(self, text: str, replies: int = 1) -> list[str]:
        assert self._twilio.send_sms(self._phone, text).status_code == 200
        return self._next(replies)

    def accept_the_offer(self) -> None:
        offer = self._twilio.wait_for_messages(self._phone, self._seen)[-1].body
        yes = next(line for line in offer.splitlines() if line[:1].isdigit() and "Sí" in line)
        self.say(yes.split()[0].rstrip(".)"))  # "1": the numbered consent

    def wait_for(self, text: str) -> None:
        while text not in self._next(1):
            pass

    def joined(self) -> None:
        self._next(1)

    def _next(self, replies: int) -> list[str]:
        seen = self._twilio.wait_for_messages(self._phone, self._seen + replies, timeout=60)
        new, self._seen = seen[self._seen : self._seen + replies], self._seen + replies
        return [message.body for message in new]


def reads(received: str, entry: str, locale: str = "es") -> bool:
    """Whether a message shows this content entry's text as the channel writes it (SMS: plain characters,
    numbered options after it; WhatsApp: an interactive's body with its options)."""
    return plain(CONTENT.reply(entry, locale).text).strip() in plain(received)


ROUTES = [
    ("telegram", "webchat"),
    ("webchat", "telegram"),
    ("whatsapp", "sms"),
    ("sms", "whatsapp"),
    ("telegram", "whatsapp"),
]


@pytest.fixture
def survivors(
    browser: Browser,
    helpline: Helpline,
    telegram: FakeTelegramAPI,
    whatsapp: FakeWhatsAppAPI,
    twilio: FakeTwilioAPI,
) -> Iterator[Callable[[str], Survivor]]:
    """A new person on a channel, by the channel's name."""
    opened: list[InTheWebChat] = []

    def on(channel: str) -> Survivor:
        if channel == "telegram":
            return OnTelegram(telegram)
        if channel == "whatsapp":
            return OnWhatsApp(whatsapp)
        if channel == "sms":
            return OnSms(twilio)
        chat = InTheWebChat(browser, helpline)
        opened.append(chat)
        return chat

    yield on
    for chat in opened:
        chat.close()


def code_in(texts: list[str]) -> str:
    lines = (line.rpartition(":")[2].strip() for text in texts for line in text.splitlines())
    return next(line for line in lines if line and WORDS.looks_like_code(line))


@pytest.mark.parametrize(("first", "then"), ROUTES, ids=[f"{a}-to-{b}" for a, b in ROUTES])
def test_a_resume_code_carries_a_counsellor_chat_to_another_channel(
    counsellor: Page, survivors: Callable[[str], Survivor], helpline: Helpline, first: str, then: str
) -> None:
    before, after = survivors(first), survivors(then)
    [offer] = before.say(ASK_FOR_A_PERSON)
    assert reads(offer, "handoff_offer")
    before.accept_the_offer()
    claim(counsellor)
    before.joined()
    before.say(STORY, replies=0)
    expect(counsellor.locator("#chat-log .msg.survivor .msg-text").last).to_have_text(STORY)
    code = code_in(before.say("/code"))

    restored = after.say(code.upper(), replies=2)

    assert reads(restored[0], "resume_restored") and reads(restored[1], "resume_handoff")
    assert not any(STORY in text for text in restored)  # nothing from before is replayed
    after.say("sigo aquí, en otra app", replies=0)
    expect(counsellor.locator("#chat-log .msg.survivor .msg-text").last).to_have_text(
        "sigo aquí, en otra app"
    )
    counsellor.locator("#message-text").fill("Te leo. Soy Ana.")
    counsellor.get_by_role("button", name="Send").click()
    after.wait_for("Te leo. Soy Ana.")  # the same counsellor, on the new channel

    counsellor.locator("#outcome").select_option("information_given")
    counsellor.get_by_role("button", name="Resolve").click()
    # The code was used once: typed again by someone else, it opens nothing.
    [unknown] = survivors(first).say(code)
    # ...in Spanish (the app's language, or the code's Spanish words); WhatsApp and SMS tell nothing of a new
    # person's language, so English there when the words were too few to tell.
    assert reads(unknown, "resume_unknown", "es") or reads(unknown, "resume_unknown", "en")
    # The helpline's log lines (at DEBUG in the test stack): events, never codes.
    logs = helpline.logs()
    assert "resume_restored" in logs and code not in logs and code.upper() not in logs
