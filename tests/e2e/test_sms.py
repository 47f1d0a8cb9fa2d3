"""A person on SMS, through the whole helpline as `make run` starts it, with Twilio played by the fake
Messages API: she asks for a shelter in Romanian, gets Romania's numbers, talks with a counsellor in the
console and erases it all. Her phone number and what Twilio says about where she texts from are never
kept or logged; her texts only encrypted, and after the erase not at all. A forged webhook changes nothing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine

from bot.actions.counsellor import YES
from bot.channels.sms_text import plain
from bot.content import ContentLibrary
from bot.i18n import Translator
from bot.messages import Channel
from bot.privacy.pseudonym import pseudonym_for
from tests.e2e.console import claim, database, logged_in
from tests.e2e.test_privacy import (
    FERNET_TOKEN,
    content,
    decrypted,
    dump_database,
    dump_redis,
    everything,
    found,
)
from tests.fakes.twilio_api import FakeTwilioAPI, SentMessage
from tests.stack import ROOT, Helpline

pytestmark = pytest.mark.e2e
__all__ = ["content", "database"]  # fixtures
expect.set_options(timeout=30_000)

PHONE = "+40745123987"
WHERE = {"FromCity": "CRAIOVA", "FromState": "DOLJ", "FromZip": "200585"}  # what Twilio may add
IDENTIFIERS = [PHONE, PHONE.lstrip("+"), PHONE[3:], *WHERE.values()]
NAME = "Ileana Vasilescu"
TO_THE_BOT = "am nevoie de un loc sigur unde să dorm la noapte"
TO_THE_COUNSELLOR = f"Sunt {NAME}, patronul Zamfirescu de la ferma Brândușa ține actele mele"
FROM_THE_COUNSELLOR = "Mulțumesc. Ești în siguranță acum la Grădinaru?"
TEXT_MARKERS = [NAME, "Zamfirescu", "Brândușa", "Grădinaru"]


@pytest.fixture
def romanian_counsellor(browser: Browser, helpline: Helpline, database: Engine) -> Iterator[Page]:
    """A counsellor speaking Romanian and English, logged in with the live queue open (so: online)."""
    with logged_in(browser, helpline, database, "ioana", ["ro", "en"]) as page:
        yield page


def standing_alone(needles: list[str], haystack: bytes) -> list[str]:
    """The needles found as a whole (not inside a longer run of letters or digits: a zip code like 200585
    turns up by chance inside the digits of a timestamp in a large dump)."""
    return [
        needle
        for needle in needles
        if re.search(rb"(?<![0-9A-Za-z])" + re.escape(needle.encode()) + rb"(?![0-9A-Za-z])", haystack)
    ]


def in_clear(dump: bytes) -> bytes:
    """The dump without its Fernet tokens: ciphertext, opened separately with `decrypted`."""
    return FERNET_TOKEN.sub(b"<token>", dump)


def texts(twilio: FakeTwilioAPI, body: str, phone: str = PHONE) -> None:
    """She texts `body`; Twilio delivers the signed webhook, answered at once with empty TwiML."""
    answer = twilio.send_sms(phone, body, **WHERE)
    assert answer.status_code == 200 and "<Response/>" in answer.text


def receives(
    twilio: FakeTwilioAPI, wanted: Callable[[str], bool], after: int, phone: str = PHONE
) -> SentMessage:
    """The first SMS to her after the first `after` that `wanted` accepts (waits up to 60 s)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for message in twilio.messages_to(phone)[after:]:
            if wanted(message.body):
                return message
        time.sleep(0.2)
    bodies = [message.body[:80] for message in twilio.messages_to(phone)[after:]]
    raise AssertionError(f"no such SMS; after {after} she got: {bodies}")


def option(body: str, title: str) -> str:
    """The number of the numbered option whose title contains `title` ("3 România" -> "3")."""
    line = next(line for line in body.splitlines() if line[:1].isdigit() and title in line)
    return line.split()[0]


def test_a_person_on_sms_gets_her_countrys_numbers_a_counsellor_and_erases_everything(
    twilio: FakeTwilioAPI, helpline: Helpline, romanian_counsellor: Page, content: ContentLibrary
) -> None:
    texts(twilio, TO_THE_BOT)
    asked = receives(twilio, lambda body: "România" in body, 0)
    count = len(twilio.messages_to(PHONE))
    texts(twilio, option(asked.body, "România"))
    shelter = receives(twilio, lambda body: "0800 800 678" in body, count)
    assert shelter.from_ == twilio.number
    assert content.reply("sms_menu", "ro").text in shelter.body  # numbered options, in Romanian

    count = len(twilio.messages_to(PHONE))
    texts(twilio, "vreau sa vorbesc cu un om")
    yes = plain(Translator(ROOT / "content" / "locale", "ro").gettext(YES)).strip()  # without its ✅
    offer = receives(twilio, lambda body: yes in body, count)
    count = len(twilio.messages_to(PHONE))
    texts(twilio, option(offer.body, yes))
    receives(twilio, lambda _body: True, count)  # her place in the queue
    claim(romanian_counsellor)
    count = len(twilio.messages_to(PHONE))
    texts(twilio, TO_THE_COUNSELLOR)
    survivor_lines = romanian_counsellor.locator("#chat-log .msg.survivor .msg-text")
    expect(survivor_lines.last).to_have_text(TO_THE_COUNSELLOR)
    romanian_counsellor.locator("#message-text").fill(FROM_THE_COUNSELLOR)
    romanian_counsellor.get_by_role("button", name="Send").click()
    receives(twilio, lambda body: body == FROM_THE_COUNSELLOR, count)

    during = everything(helpline)
    # In clear, outside the encrypted tokens (whose base64 may hold a short word like "DOLJ" by chance; what
    # is inside them is checked below): no key, value, row or log line.
    assert standing_alone(IDENTIFIERS, in_clear(during)) == []
    assert found(TEXT_MARKERS, in_clear(during)) == []
    inside_tokens = decrypted(helpline, during)
    assert TO_THE_COUNSELLOR in inside_tokens and FROM_THE_COUNSELLOR in inside_tokens
    # Encrypted, her number is kept to reach her while the handoff is open; where she is, never.
    assert standing_alone(list(WHERE.values()), inside_tokens.encode()) == []

    count = len(twilio.messages_to(PHONE))
    texts(twilio, "ERASE")
    confirm = plain(content.reply("delete_data", "ro", channel="sms").buttons[0].title).strip()
    erase_offer = receives(twilio, lambda body: confirm in body, count)
    count = len(twilio.messages_to(PHONE))
    texts(twilio, option(erase_offer.body, confirm))
    done = receives(twilio, lambda _body: True, count)
    # The truth: the helpline forgot; the texts stay on her phone, and how to delete them there.
    assert done.body == plain(content.reply("erased_sms", "ro").text).strip()
    expect(romanian_counsellor.locator("#chat-log .msg.erased")).to_contain_text(
        "The person erased their conversation"
    )

    after = everything(helpline)
    assert standing_alone([*IDENTIFIERS, *TEXT_MARKERS], in_clear(after)) == []
    assert standing_alone([*TEXT_MARKERS, *IDENTIFIERS], decrypted(helpline, after).encode()) == []
    pseudonym = pseudonym_for(Channel.SMS, PHONE, helpline.pseudonym_secret)
    assert pseudonym.encode() not in dump_redis(helpline) + dump_database(helpline)


def test_a_forged_webhook_is_refused_with_403_and_changes_nothing(
    twilio: FakeTwilioAPI, helpline: Helpline
) -> None:
    phone = "+40745000111"
    params = twilio.inbound_params(phone, "am nevoie de un adapost")
    forged = twilio.sign(params, url="https://helpline.example.org/sms-elsewhere")
    assert twilio.post_webhook(params, signature=forged).status_code == 403
    assert twilio.post_webhook(params, signature="").status_code == 403
    assert twilio.post_webhook({**params, "Body": "STOP"}, twilio.sign(params)).status_code == 403
    pseudonym = pseudonym_for(Channel.SMS, phone, helpline.pseudonym_secret)
    kept = dump_redis(helpline) + dump_database(helpline)
    assert pseudonym.encode() not in kept  # no route, conversation, menu or ticket for her
    assert params["MessageSid"].encode() not in kept  # not even marked as seen
    assert twilio.messages_to(phone) == []
    assert phone.encode() not in helpline.logs().encode()
