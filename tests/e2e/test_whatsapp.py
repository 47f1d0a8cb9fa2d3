"""The whole helpline on (fake) WhatsApp: a person writes in Spanish, gets their country's numbers, reaches
a counsellor in the console and back (across WhatsApp's 24-hour window, losing nothing), and erases; the
erase tells the truth (the server forgot, the phone keeps the chat, and how to delete it there). A forged
webhook is refused with 403 and changes nothing; seeded phone numbers and names are found nowhere in clear.
"""

from __future__ import annotations

import json
import re
from itertools import count
from pathlib import Path

import httpx
import pytest
import redis
from playwright.sync_api import Page, expect

from bot.content import ContentLibrary
from bot.messages import Channel
from bot.privacy.pseudonym import pseudonym_for
from tests.conftest import WHATSAPP_VERIFY_TOKEN
from tests.e2e.console import claim, counsellor, database
from tests.e2e.test_privacy import decrypted, dump_database, dump_redis, everything, found
from tests.fakes.whatsapp_api import JSON, FakeWhatsAppAPI, numbered, options, sign, texts
from tests.stack import Helpline

pytestmark = pytest.mark.e2e
__all__ = ["counsellor", "database"]  # fixtures
expect.set_options(timeout=30_000)
ROOT = Path(__file__).resolve().parents[2]
numbers = count(34_600_100_001)
PHONE = "34699887766"
NAME = "Valentina Quispe Huamán"
FRIEND_PHONE = "+34 611 987 654"
FRIEND_NAME = "Rosalinda Ccori"
IDENTIFIERS = [
    PHONE,
    "699887766",
    NAME,
    "Quispe",
    FRIEND_PHONE,
    "611987654",
    "611 987 654",
    FRIEND_NAME,
    "Ccori",
]
TO_THE_COUNSELLOR = "el patrón Teodomiro guarda mi pasaporte en la panadería Zafirina"
FROM_THE_COUNSELLOR = "Gracias por contármelo. ¿Estás a salvo en la casa Cuarzolinterna?"
TEXT_MARKERS = ["Teodomiro", "Zafirina", "Cuarzolinterna"]


@pytest.fixture(scope="module")
def content() -> ContentLibrary:
    return ContentLibrary.load(ROOT / "content")


def answer(whatsapp: FakeWhatsAppAPI, wa_id: str, message: JSON, title: str, name: str = "Test") -> None:
    """Choose `title` as a person would: tap its button or list row, or write its number."""
    ids = options(message)
    if title in ids:
        if message["interactive"]["type"] == "list":
            whatsapp.choose_row(wa_id, ids[title], title, name)
        else:
            whatsapp.press(wa_id, ids[title], title, name)
        return
    whatsapp.write(wa_id, numbered(message)[title], name)


def around(needles: list[str], dump: bytes) -> list[bytes]:
    """Where each needle was found, with what surrounds it (for the failure message)."""
    places = []
    for needle in needles:
        at = dump.find(needle.encode())
        if at >= 0:
            places.append(dump[max(0, at - 300) : at + 100])
    return places


def consent_of(message: JSON) -> str:
    return next(payload for payload in options(message).values() if payload.startswith("/handoff_accept_"))


def test_a_spanish_speaker_on_whatsapp_gets_help_a_counsellor_and_an_honest_erase(
    counsellor: Page, whatsapp: FakeWhatsAppAPI, content: ContentLibrary
) -> None:
    person = str(next(numbers))
    whatsapp.write(person, "necesito un lugar seguro para dormir esta noche")
    [question] = whatsapp.wait_for_messages(person, 1)
    assert numbered(question)["🇪🇸 España"] == "2"  # 12 countries: numbered options
    assert texts([question])[0].endswith(content.reply("whatsapp_choices", "es").text)
    answer(whatsapp, person, question, "🇪🇸 España")
    shelter = whatsapp.wait_for_messages(person, 2)[-1]
    assert shelter["interactive"]["body"]["text"] == content.reply("shelter", "es", "ES").text
    assert "900 10 50 90" in shelter["interactive"]["body"]["text"]  # Spain's anti-trafficking line

    whatsapp.write(person, "quiero hablar con una persona de verdad")
    offer = whatsapp.wait_for_messages(person, 3)[-1]
    assert offer["interactive"]["body"]["text"] == content.reply("handoff_offer", "es", "ES").text
    whatsapp.press(person, consent_of(offer), "Sí")
    queued = whatsapp.wait_for_messages(person, 4)[-1]
    assert "1" in texts([queued])[0]

    claim(counsellor)
    expect(counsellor.locator("#reply-window")).to_contain_text(
        re.compile(r"WhatsApp: (24 h 0|23 h \d+) min left to write freely")  # of the 24-hour window
    )
    joined = whatsapp.wait_for_messages(person, 5)[-1]
    assert joined["type"] == "text"
    whatsapp.write(person, "hola, ¿eres una persona de verdad?")
    expect(counsellor.locator("#chat-log .msg.survivor .msg-text").last).to_have_text(
        "hola, ¿eres una persona de verdad?"
    )
    counsellor.locator("#message-text").fill("Sí. Me llamo Ana. ¿Estás a salvo ahora?")
    counsellor.get_by_role("button", name="Send").click()
    assert texts(whatsapp.wait_for_messages(person, 6))[-1] == "Sí. Me llamo Ana. ¿Estás a salvo ahora?"

    # A day later the person has not written: WhatsApp allows only an approved template now.
    whatsapp.age_window(person, hours=25)
    counsellor.locator("#message-text").fill("¿Sigues ahí? Aquí estoy cuando quieras.")
    counsellor.get_by_role("button", name="Send").click()
    invited = whatsapp.wait_for_messages(person, 7)[-1]
    assert invited["type"] == "template" and invited["template"]["name"] == "helpline_reengage"
    counsellor.reload()
    expect(counsellor.locator("#reply-window")).to_contain_text("WhatsApp window closed")
    whatsapp.write(person, "perdón, estaba trabajando")  # back: the waiting message reaches them now
    assert texts(whatsapp.wait_for_messages(person, 8))[-1] == "¿Sigues ahí? Aquí estoy cuando quieras."
    assert [m["type"] for m in whatsapp.messages_to(person)].count("template") == 1

    counsellor.reload()
    counsellor.locator("#outcome").select_option("information_given")
    counsellor.get_by_role("button", name="Resolve").click()
    ended = whatsapp.wait_for_messages(person, 9)[-1]
    assert ended["type"] == "text"

    whatsapp.write(person, "quiero borrar mis datos")
    erase_offer = whatsapp.wait_for_messages(person, 10)[-1]
    assert (
        erase_offer["interactive"]["body"]["text"]
        == content.reply("delete_data", "es", channel="whatsapp").text
    )
    whatsapp.press(person, "/erase_confirm", "Sí, borrar todo")
    done = whatsapp.wait_for_messages(person, 11)[-1]
    assert texts([done])[0] == content.reply("erased_whatsapp", "es").text
    assert "Vaciar chat" in texts([done])[0]  # how to delete it from the phone: we cannot


def test_photos_and_locations_are_answered_kindly_and_never_fetched(
    whatsapp: FakeWhatsAppAPI, content: ContentLibrary, helpline: Helpline
) -> None:
    person = str(next(numbers))
    whatsapp.write(person, "hola, necesito ayuda por favor")
    whatsapp.wait_for_messages(person, 1)
    whatsapp.send_image(person)
    whatsapp.send_location(person)
    *_, photo, location = texts(whatsapp.wait_for_messages(person, 3))
    assert photo == location == content.reply("whatsapp_not_text", "es").text


def test_a_forged_webhook_is_refused_and_changes_nothing(
    whatsapp: FakeWhatsAppAPI, helpline: Helpline
) -> None:
    person = str(next(numbers))
    before = dump_redis(helpline), dump_database(helpline)
    body = whatsapp.notification(person, "Forger", {"type": "text", "text": {"body": "hola"}})
    raw = json.dumps(body).encode()
    assert whatsapp.post_signed(raw, signature="sha256=" + "ab" * 32).status_code == 403
    assert whatsapp.post_signed(raw, signature="").status_code == 403
    assert whatsapp.post_signed(raw, signature=sign(raw, "not-the-app-secret")).status_code == 403
    assert (dump_redis(helpline), dump_database(helpline)) == before
    assert whatsapp.messages_to(person) == []


def test_meta_can_verify_the_webhook(whatsapp: FakeWhatsAppAPI, helpline: Helpline) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": WHATSAPP_VERIFY_TOKEN, "hub.challenge": "8453"}
    assert httpx.get(f"{helpline.web_url}/whatsapp", params=params).text == "8453"
    params["hub.verify_token"] = "guess"
    assert httpx.get(f"{helpline.web_url}/whatsapp", params=params).status_code == 403


def test_no_phone_number_or_name_is_kept_in_clear_and_nothing_after_the_erase(
    counsellor: Page, whatsapp: FakeWhatsAppAPI, helpline: Helpline, content: ContentLibrary
) -> None:
    whatsapp.write(PHONE, "hola, necesito hablar con alguien", NAME)
    whatsapp.wait_for_messages(PHONE, 1)
    whatsapp.send_contact(PHONE, FRIEND_PHONE, FRIEND_NAME, NAME)
    whatsapp.wait_for_messages(PHONE, 2)
    whatsapp.write(PHONE, "quiero hablar con una persona de verdad", NAME)
    offer = whatsapp.wait_for_messages(PHONE, 3)[-1]
    whatsapp.press(PHONE, consent_of(offer), "Sí", NAME)
    whatsapp.wait_for_messages(PHONE, 4)
    claim(counsellor)
    whatsapp.wait_for_messages(PHONE, 5)
    whatsapp.write(PHONE, TO_THE_COUNSELLOR, NAME)
    expect(counsellor.locator("#chat-log .msg.survivor .msg-text").last).to_have_text(TO_THE_COUNSELLOR)
    counsellor.locator("#message-text").fill(FROM_THE_COUNSELLOR)
    counsellor.get_by_role("button", name="Send").click()
    assert texts(whatsapp.wait_for_messages(PHONE, 6))[-1] == FROM_THE_COUNSELLOR

    during = everything(helpline)
    assert found(IDENTIFIERS, during) == [], around(IDENTIFIERS, during)
    assert found(TEXT_MARKERS, during) == [], around(TEXT_MARKERS, during)
    inside_tokens = decrypted(helpline, during)
    assert TO_THE_COUNSELLOR in inside_tokens and FROM_THE_COUNSELLOR in inside_tokens
    # Encrypted, the number is kept to reach her while the handoff is open; nothing else, not even encrypted.
    assert found(IDENTIFIERS[2:], inside_tokens.encode()) == []

    whatsapp.write(PHONE, "/erase", NAME)  # in a counsellor's chat, words go to the counsellor: a command
    assert texts(whatsapp.wait_for_messages(PHONE, 7))[-1].startswith(
        content.reply("delete_data", "es", channel="whatsapp").text
    )
    whatsapp.press(PHONE, "/erase_confirm", "Sí", NAME)
    done = whatsapp.wait_for_messages(PHONE, 8)[-1]
    assert texts([done])[0] == content.reply("erased_whatsapp", "es").text
    expect(counsellor.locator("#chat-log .msg.erased")).to_contain_text(
        "The person erased their conversation"
    )

    after = everything(helpline)
    assert found(IDENTIFIERS, after) == []
    assert found([*TEXT_MARKERS, *IDENTIFIERS], decrypted(helpline, after).encode()) == []
    pseudonym = pseudonym_for(Channel.WHATSAPP, PHONE, helpline.pseudonym_secret)
    assert pseudonym.encode() not in dump_redis(helpline) + dump_database(helpline)
    client = redis.Redis.from_url(helpline.redis_url)
    assert not [key for key in client.scan_iter(match="helpline:wa:choices:*") if pseudonym.encode() in key]
    client.close()
