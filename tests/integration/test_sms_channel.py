"""SMS at /sms on the real web app (real Redis, SQLite and content; Rasa away, so the content-only answers),
with Twilio played by the fake Messages API on loopback: signed webhooks in, Messages API calls out."""

from __future__ import annotations

import asyncio
import functools
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from redis.asyncio import Redis

from bot.channels.sms import EMPTY_TWIML, WEBHOOK_PATH, SmsState
from bot.channels.sms_text import plain
from bot.content import ContentLibrary
from bot.content.danger import DangerNet
from bot.handoff.routes import RouteStore
from bot.i18n import Translator
from bot.messages import Channel
from bot.privacy.desk import ERASE_INCOMPLETE
from bot.privacy.pseudonym import pseudonym_for
from bot.settings import Settings
from bot.store.database import upgrade_database
from bot.wiring.gateway import WebhookServer
from bot.wiring.services import Services, services
from bot.wiring.web import create_app
from tests.fakes.twilio_api import FakeTwilioAPI, SentMessage
from tests.stack import ROOT, free_port

pytestmark = pytest.mark.integration
PUBLIC_URL = "https://helpline.example.org/sms"  # what Twilio signs: the URL set in its console
LOAD_DANGER_NET = DangerNet.load


@functools.cache
def danger_net() -> DangerNet:
    return LOAD_DANGER_NET(ROOT / "content" / "danger")


@pytest.fixture(autouse=True)
def danger_net_loaded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The danger net takes seconds to compile: each test's services share one (it is read-only)."""
    monkeypatch.setattr(DangerNet, "load", staticmethod(lambda _folder: danger_net()))


@pytest.fixture(scope="module")
def content() -> ContentLibrary:
    return ContentLibrary.load(ROOT / "content")


@pytest.fixture
def twilio() -> Iterator[FakeTwilioAPI]:
    with FakeTwilioAPI(webhook_url=PUBLIC_URL) as api:
        yield api


def settings_for(tmp_path: Path, redis_url: str, twilio: FakeTwilioAPI, **overrides: Any) -> Settings:
    database_url = f"sqlite:///{tmp_path / 'helpline.db'}"
    upgrade_database(database_url)
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "database_url": database_url,
        "redis_url": redis_url,
        "rasa_url": f"http://127.0.0.1:{free_port()}",  # away: answers come from content/ alone
        "pseudonym_secret": "sms-test-pseudonym-secret",
        "twilio_account_sid": twilio.account_sid,
        "twilio_auth_token": twilio.auth_token,
        "twilio_from_number": twilio.number,
        "twilio_api_base_url": twilio.base_url,
        "sms_webhook_url": PUBLIC_URL,
    }
    return Settings(**(values | overrides))


@pytest.fixture
async def helpline(tmp_path: Path, redis_url: str, twilio: FakeTwilioAPI) -> AsyncIterator[Services]:
    """The web app on loopback with its lifespan (the SMS delivery loop runs); Twilio posts to it."""
    async with services(settings_for(tmp_path, redis_url, twilio)) as opened:
        opened.core._engine._wait_s = 0.0  # type: ignore[attr-defined]  # no 20 s wait for Rasa in a test
        port = free_port()
        server = WebhookServer(
            uvicorn.Config(create_app(opened), host="127.0.0.1", port=port, log_config=None, lifespan="on")
        )
        serving = asyncio.create_task(server.serve())
        await server.listening.wait()
        twilio.webhook_target = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
        try:
            yield opened
        finally:
            server.should_exit = True
            await serving


def phone(_n: int) -> str:
    """A number of this run alone (Redis is shared between runs: an opt-out or a menu would remain), in the
    US, so that the first guess at the language (the number's country) is English."""
    return f"+12025{secrets.randbelow(10**6):06d}"


async def texts(twilio: FakeTwilioAPI, number: str, body: str) -> httpx.Response:
    """The person texts; the fake Twilio posts the signed webhook (from its thread, as Twilio would)."""
    return await asyncio.to_thread(twilio.send_sms, number, body)


async def received(twilio: FakeTwilioAPI, number: str, count: int) -> list[SentMessage]:
    return await asyncio.to_thread(twilio.wait_for_messages, number, count)


async def test_a_text_is_answered_through_the_messages_api_with_numbered_options_that_work(
    helpline: Services, twilio: FakeTwilioAPI, content: ContentLibrary
) -> None:
    number = phone(1)
    answer = await texts(twilio, number, "/ask_shelter")
    assert answer.status_code == 200
    assert answer.text == EMPTY_TWIML and answer.headers["content-type"].startswith("text/xml")
    [shelter] = await received(twilio, number, 1)
    # The country is unknown: asked with numbered options, one per country, in alphabetical order.
    assert shelter.from_ == twilio.number
    assert content.reply("sms_menu", "en").text in shelter.body
    options = [line for line in shelter.body.splitlines() if line[:1].isdigit()]
    romania = next(line for line in options if "Romania" in line)
    await texts(twilio, number, romania.split()[0])
    [_, for_romania] = await received(twilio, number, 2)
    assert "0800 800 678" in for_romania.body  # Romania's anti-trafficking helpline


async def test_a_romanian_number_is_first_answered_in_romanian_until_the_person_writes_otherwise(
    helpline: Services, twilio: FakeTwilioAPI, content: ContentLibrary
) -> None:
    number = f"+4072{secrets.randbelow(10**7):07d}"
    await texts(twilio, number, "/bot_capabilities")
    [first] = await received(twilio, number, 1)
    assert content.reply("sms_menu", "ro").text in first.body
    await texts(twilio, number, "hello, where can I find a free lawyer please")
    [_, second] = await received(twilio, number, 2)
    assert content.reply("sms_menu", "en").text in second.body


async def test_a_redelivered_webhook_is_answered_once(helpline: Services, twilio: FakeTwilioAPI) -> None:
    number = phone(2)
    params = twilio.inbound_params(number, "/bot_capabilities")
    first = await asyncio.to_thread(twilio.post_webhook, params)
    again = await asyncio.to_thread(twilio.post_webhook, params)
    assert first.status_code == again.status_code == 200
    await received(twilio, number, 1)
    await texts(twilio, number, "HELP")  # a later message is answered, after the one duplicate
    assert len(await received(twilio, number, 2)) == 2


async def test_a_forged_signature_is_refused_and_changes_nothing(
    helpline: Services, twilio: FakeTwilioAPI, client: Redis
) -> None:
    number = phone(3)
    params = twilio.inbound_params(number, "/ask_shelter")
    keys_before = {key async for key in client.scan_iter(match="helpline:*", count=1000)}
    forged = [
        twilio.sign(params, url="https://attacker.example/sms"),
        twilio.sign({**params, "Body": "something else"}),
        "",
    ]
    for signature in forged:
        answer = await asyncio.to_thread(twilio.post_webhook, params, signature)
        assert answer.status_code == 403
    tampered = {**params, "From": phone(4)}
    answer = await asyncio.to_thread(twilio.post_webhook, tampered, twilio.sign(params))
    assert answer.status_code == 403
    keys_after = {key async for key in client.scan_iter(match="helpline:*", count=1000)}
    pseudonym = pseudonym_for(Channel.SMS, number, helpline.pseudonym_secret)
    assert not [key for key in keys_after - keys_before if pseudonym.encode() in key]
    assert not await client.exists(f"helpline:sms:seen:{params['MessageSid']}")
    assert twilio.messages_to(number) == []
    # The same webhook, signed as Twilio signs it, is then answered: nothing was marked as seen.
    assert (await asyncio.to_thread(twilio.post_webhook, params)).status_code == 200
    await received(twilio, number, 1)


async def test_a_body_over_the_limit_is_refused_unread(helpline: Services, twilio: FakeTwilioAPI) -> None:
    params = twilio.inbound_params(phone(5), "x" * 70_000)
    answer = await asyncio.to_thread(twilio.post_webhook, params)
    assert answer.status_code == 413


async def test_help_answers_with_the_helpline_info_and_a_picture_kindly_unfetched(
    helpline: Services, twilio: FakeTwilioAPI, content: ContentLibrary
) -> None:
    number = phone(6)
    await texts(twilio, number, "help")
    [help_text] = await received(twilio, number, 1)
    assert help_text.body == content.reply("sms_help", "en").text
    await asyncio.to_thread(twilio.send_mms, number, "look", 1)
    [_, media] = await received(twilio, number, 2)
    assert media.body == content.reply("sms_media", "en").text


async def test_stop_sends_nothing_more_until_start(
    helpline: Services, twilio: FakeTwilioAPI, content: ContentLibrary
) -> None:
    number = phone(7)
    await texts(twilio, number, "STOP")
    assert twilio.opted_out(number)
    await texts(twilio, number, "/ask_shelter")  # Twilio passes it on; we answer nothing
    pseudonym = pseudonym_for(Channel.SMS, number, helpline.pseudonym_secret)
    await helpline.relay.outbound("sms", pseudonym, "a counsellor's late message", secrets.token_hex(8))
    await texts(twilio, number, "Start")
    [welcome] = await received(twilio, number, 1)
    assert welcome.body.startswith(content.reply("welcome", "en").text)
    assert [message.body for message in twilio.messages_to(number)] == [welcome.body]
    assert not [error for error in twilio.refused() if error["code"] == 21610]


async def test_twilio_down_is_retried_and_nothing_is_lost(
    helpline: Services, twilio: FakeTwilioAPI, content: ContentLibrary
) -> None:
    number = phone(8)
    twilio.fail_next(503, 20500, "Service Unavailable")
    twilio.fail_next(429, 20429, "Too Many Requests")
    await texts(twilio, number, "HELP")
    [help_text] = await received(twilio, number, 1)
    assert help_text.body == content.reply("sms_help", "en").text
    assert [error["code"] for error in twilio.refused()] == [20500, 20429]


async def test_an_unsubscribed_or_invalid_number_is_not_retried(
    helpline: Services, twilio: FakeTwilioAPI, client: Redis
) -> None:
    unsubscribed, invalid = phone(9), phone(10)
    twilio.invalid_number(invalid)
    twilio.carrier_opt_out(unsubscribed)  # STOP reached the carrier but not us
    for number in (unsubscribed, invalid):
        pseudonym = pseudonym_for(Channel.SMS, number, helpline.pseudonym_secret)
        await helpline.routes.remember("sms", pseudonym, number)
        await helpline.relay.outbound("sms", pseudonym, "from the counsellor", secrets.token_hex(8))
    refused = await asyncio.to_thread(twilio.wait_for_refusals, 2)
    assert sorted(error["code"] for error in refused) == [21211, 21610]
    unsub = pseudonym_for(Channel.SMS, unsubscribed, helpline.pseudonym_secret)
    assert await client.exists(f"helpline:sms:optout:{unsub}")
    bad = pseudonym_for(Channel.SMS, invalid, helpline.pseudonym_secret)
    assert await RouteStore(helpline.redis, helpline.cipher).get("sms", bad) is None


async def test_erase_by_keyword_forgets_what_it_can_and_says_so_when_the_engine_is_away(
    helpline: Services, twilio: FakeTwilioAPI, content: ContentLibrary, client: Redis
) -> None:
    number = phone(11)
    await texts(twilio, number, "/ask_legal_aid")
    await received(twilio, number, 1)
    await texts(twilio, number, "ERASE")
    [_, offer] = await received(twilio, number, 2)
    assert offer.body.startswith(content.reply("delete_data", "en", channel="sms").text)
    confirm = next(line for line in offer.body.splitlines() if "Yes, erase everything" in line)
    await texts(twilio, number, confirm.split()[0])
    [*_, done] = await received(twilio, number, 3)
    # Rasa is away here, so its tracker could not be erased: the person is told so, never "done" (the whole
    # erase and its `erased_sms` truth about the phone: tests/e2e/test_sms.py).
    assert done.body == plain(Translator(ROOT / "content" / "locale", "en").gettext(ERASE_INCOMPLETE)).strip()
    pseudonym = pseudonym_for(Channel.SMS, number, helpline.pseudonym_secret)
    assert not [key async for key in client.scan_iter(match=f"*{pseudonym}*", count=1000)]


async def test_a_status_callback_is_read_and_an_unsubscribed_report_stops_sending(
    helpline: Services, twilio: FakeTwilioAPI, client: Redis
) -> None:
    number = phone(12)
    await texts(twilio, number, "HELP")
    [sent] = await received(twilio, number, 1)
    assert sent.status_callback == PUBLIC_URL
    answer = await asyncio.to_thread(twilio.report_status, sent.sid, "undelivered", 21610)
    assert answer.status_code == 204
    pseudonym = pseudonym_for(Channel.SMS, number, helpline.pseudonym_secret)
    assert await client.exists(f"helpline:sms:optout:{pseudonym}")


async def test_sms_is_off_unless_twilio_is_configured(
    tmp_path: Path, redis_url: str, twilio: FakeTwilioAPI
) -> None:
    settings = settings_for(tmp_path, redis_url, twilio, sms_webhook_url=None)
    assert not settings.sms_configured
    async with services(settings) as opened:
        transport = httpx.ASGITransport(app=create_app(opened))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as web:
            assert (await web.post(WEBHOOK_PATH, data={"Body": "hi"})).status_code == 404


async def test_the_safe_word_answers_with_harmless_text(
    helpline: Services, twilio: FakeTwilioAPI, content: ContentLibrary
) -> None:
    number = phone(13)
    await texts(twilio, number, "Sunflower!")
    [neutral] = await received(twilio, number, 1)
    assert neutral.body == content.reply("neutral", "en").text


async def test_once_a_counsellor_writes_a_number_is_for_them_not_an_old_menu(
    helpline: Services, twilio: FakeTwilioAPI
) -> None:
    number = phone(14)
    await texts(twilio, number, "/ask_shelter")  # answered with numbered countries
    await received(twilio, number, 1)
    pseudonym = pseudonym_for(Channel.SMS, number, helpline.pseudonym_secret)
    assert await SmsState(helpline.redis).menu(pseudonym)
    await helpline.relay.outbound(
        "sms", pseudonym, "How many of you are there?", secrets.token_hex(8), "ticket-1", "counsellor"
    )
    await received(twilio, number, 2)
    assert await SmsState(helpline.redis).menu(pseudonym) == []
