"""Each channel's privacy answers say what that channel can do (bot/channels/capabilities.py), in every
language: where the helpline cannot delete from the phone (WhatsApp, SMS), the erase reply and the privacy
answer say the phone keeps the messages and how to delete them, vanishing mode is never offered or set, and
the safe word does not pretend to clear the chat."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from bot.actions.turn import turn_from_message
from bot.channels.capabilities import CAPABILITIES, capabilities_of
from bot.content import ContentLibrary
from bot.i18n import SUPPORTED_LOCALES
from bot.messages import Channel, IncomingMessage
from bot.privacy.desk import ERASE_CONFIRM, ERASE_OFFER, VANISH_MENU, PrivacyDesk
from bot.privacy.erasure import Eraser, Erasure
from bot.privacy.ledger import ChatLedger

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ContentLibrary.load(ROOT / "content")
PSEUDONYM = "a" * 64
# How to delete the chat by hand, as each channel's answers must say it (in English).
HOW_TO_DELETE = {Channel.WHATSAPP: "Clear chat", Channel.SMS: "messages app"}


class FakeEraser:
    """The eraser as the desk sees it: everything went."""

    async def erase(self, channel: str, pseudonym: str) -> Erasure:
        return Erasure(handoffs=0, complete=True)


class FakeLedger:
    """The vanishing setting, recorded."""

    def __init__(self) -> None:
        self.set: list[tuple[str, int | None]] = []

    async def set_vanishing(self, channel: str, pseudonym: str, minutes: int | None) -> None:
        self.set.append((channel, minutes))


def desk(ledger: FakeLedger | None = None) -> PrivacyDesk:
    return PrivacyDesk(
        LIBRARY,
        cast(Eraser, FakeEraser()),
        cast(ChatLedger, ledger or FakeLedger()),
        ("sunflower",),
        erase_notice_s=10,
    )


async def answer(channel: Channel, text: str, locale: str = "en", ledger: FakeLedger | None = None) -> Any:
    replies = await desk(ledger).turn(IncomingMessage(PSEUDONYM, channel, text, locale), locale, None)
    assert replies is not None and len(replies) == 1
    return replies[0]


def payloads(reply: Any) -> list[str]:
    return [button.payload for button in reply.buttons]


def test_every_channel_has_its_capabilities() -> None:
    assert set(CAPABILITIES) == set(Channel)
    assert all(not c.vanishing or c.deletes_from_phone for c in CAPABILITIES.values())


@pytest.mark.parametrize("channel", list(Channel))
@pytest.mark.parametrize("entry", ["privacy", "delete_data", "erased", "vanishing"])
def test_a_channel_that_cannot_delete_has_its_own_answers(channel: Channel, entry: str) -> None:
    own = LIBRARY.for_channel(entry, channel.value)
    assert (own != entry) == (not capabilities_of(channel).deletes_from_phone)


@pytest.mark.parametrize("channel", list(Channel))
async def test_the_erase_reply_tells_the_truth_about_the_phone(channel: Channel) -> None:
    offer = await answer(channel, ERASE_OFFER)
    done = await answer(channel, ERASE_CONFIRM)

    assert done.erased and payloads(offer) == ["/erase_confirm", "/erase_cancel"]
    if capabilities_of(channel).deletes_from_phone:
        assert done.text == "Done." and done.disappear_after_s == 10
    else:
        assert HOW_TO_DELETE[channel] in offer.text and HOW_TO_DELETE[channel] in done.text
        if channel is Channel.SMS:
            assert "phone company keeps a record" in done.text
        assert done.disappear_after_s is None  # nothing can make it disappear there


@pytest.mark.parametrize("channel", list(Channel))
def test_the_privacy_answer_offers_vanishing_only_where_the_channel_can_delete(channel: Channel) -> None:
    turn = turn_from_message({"intent": {"name": "privacy_question"}, "metadata": {"channel": channel.value}})
    reply = LIBRARY.reply_for_intent(turn.intent, "en", None, turn.channel)

    assert ("/vanish_menu" in payloads(reply)) == capabilities_of(channel).vanishing
    assert "/resume_code" in payloads(reply) and "/delete_data" in payloads(reply)
    if not capabilities_of(channel).deletes_from_phone:
        assert HOW_TO_DELETE[channel] in reply.text


@pytest.mark.parametrize("channel", [c for c in Channel if not capabilities_of(c).vanishing])
@pytest.mark.parametrize("asked", [VANISH_MENU, "/vanish_5", "/vanish_60", "/vanish_off"])
async def test_vanishing_mode_is_never_set_where_the_channel_cannot_delete(
    channel: Channel, asked: str
) -> None:
    ledger = FakeLedger()
    reply = await answer(channel, asked, ledger=ledger)

    assert ledger.set == [] and reply.vanish_after_s is None
    assert not any(payload.startswith("/vanish_") for payload in payloads(reply))
    assert HOW_TO_DELETE[channel] in reply.text


@pytest.mark.parametrize("channel", list(Channel))
async def test_the_safe_word_clears_the_chat_only_where_it_can(channel: Channel) -> None:
    reply = await answer(channel, "Sunflower")
    assert reply.clear_chat == capabilities_of(channel).deletes_from_phone
    assert reply.text == LIBRARY.reply("neutral", "en").text  # harmless text, whatever the channel


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("channel", [c for c in Channel if not capabilities_of(c).deletes_from_phone])
def test_every_language_has_each_channel_answer(locale: str, channel: Channel) -> None:
    for entry in ("privacy", "delete_data", "erased", "vanishing", "resume_code"):
        reply = LIBRARY.reply(entry, locale, None, channel.value)
        assert reply.entry_id == f"{entry}_{channel.value}" and not reply.fallback_locale, (entry, locale)
