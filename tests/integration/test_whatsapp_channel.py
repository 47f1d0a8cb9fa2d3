"""The WhatsApp channel over a real Redis and the fake Cloud API: Meta's signed webhook in, the core's
replies out as WhatsApp messages, counsellors' messages through the 24-hour window, and nothing of the
person's number or name kept or logged. The conversation core is an in-test one (the e2e tests run the real
one with Rasa)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import structlog
from cryptography.fernet import Fernet
from redis.asyncio import Redis
from starlette.applications import Starlette

from bot.channels.whatsapp import WhatsAppAdapter, WhatsAppConfig
from bot.channels.whatsapp_api import WhatsAppApi, WhatsAppApiConfig
from bot.content import ContentLibrary
from bot.handoff.relay import OutboundMessage
from bot.handoff.routes import RouteStore
from bot.messages import Button, Channel, IncomingMessage, Reply
from bot.metrics import Metrics
from bot.privacy.crypto import TranscriptCipher
from bot.privacy.pseudonym import pseudonym_for
from bot.wiring.gateway import start_webhook_server
from tests.fakes.whatsapp_api import FakeWhatsAppAPI, options, texts
from tests.stack import free_port

pytestmark = pytest.mark.integration
CONTENT = Path(__file__).resolve().parents[2] / "content"
VERIFY_TOKEN = "verify-me"
WA_ID = "34611222333"
NAME = "Lucía Fernández"
COUNTRIES = tuple(Button(f"País {index}", f"/country_c{index}") for index in range(12))


class RecordingCore:
    """Answers like the conversation core would, and remembers what it was asked."""

    def __init__(self) -> None:
        self.received: list[IncomingMessage] = []
        self.locales: dict[str, str] = {}

    async def locale_for(self, pseudonym: str, channel: Channel, hint: str) -> str:
        return self.locales.get(pseudonym, hint)

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        self.received.append(message)
        self.locales[message.pseudonym] = "es"
        return [
            dataclasses.replace(reply, locale="es") for reply in self._replies(message)
        ]  # as the core does

    def _replies(self, message: IncomingMessage) -> list[Reply]:
        if message.text == "menu":
            return [
                Reply(
                    "¿Qué necesitas?",
                    (Button("Refugio", "/ask_shelter"), Button("Una persona", "/request_human")),
                )
            ]
        if message.text == "privacidad":
            disappearing = Button("Mensajes temporales", "/vanish_menu")
            return [Reply("Lo que guardamos.", (disappearing, Button("Borrar", "/delete_data")))]
        if message.text == "país":
            return [Reply("¿En qué país estás?", COUNTRIES)]
        return [Reply(f"Recibido: {message.text}")]


@dataclass
class World:
    fake: FakeWhatsAppAPI
    adapter: WhatsAppAdapter
    core: RecordingCore
    routes: RouteStore
    redis: Redis
    metrics: Metrics
    secret: bytes
    url: str

    @property
    def pseudonym(self) -> str:
        return pseudonym_for(Channel.WHATSAPP, WA_ID, self.secret)

    async def write(self, text: str) -> httpx.Response:
        response = await asyncio.to_thread(self.fake.write, WA_ID, text, NAME)
        await self.adapter.drain()
        return response

    def outbound(self, text: str) -> OutboundMessage:
        return OutboundMessage(
            "1-0", "ticket-1", self.pseudonym, "counsellor", text, f"c-{secrets.token_hex(4)}"
        )


@pytest.fixture
async def world(redis_url: str) -> AsyncIterator[World]:
    redis = Redis.from_url(redis_url)
    secret = secrets.token_bytes(32)
    routes = RouteStore(
        redis, TranscriptCipher(Fernet.generate_key().decode()), prefix=f"t{secrets.token_hex(4)}:"
    )
    metrics = Metrics()
    core = RecordingCore()
    with FakeWhatsAppAPI(statuses=False) as fake:
        api = WhatsAppApi(
            WhatsAppApiConfig(fake.base_url, fake.phone_number_id, fake.token), retry_delays_s=(0, 0)
        )
        config = WhatsAppConfig(
            phone_number_id=fake.phone_number_id,
            app_secret=fake.app_secret.encode(),
            verify_token=VERIFY_TOKEN,
            pseudonym_secret=secret,
            reengage_template="helpline_reengage",
        )
        adapter = WhatsAppAdapter(config, api, core, ContentLibrary.load(CONTENT), redis, routes, metrics)
        port = free_port()
        server, serving = await start_webhook_server(Starlette(routes=adapter.routes()), "127.0.0.1", port)
        fake.webhook_url = f"http://127.0.0.1:{port}/whatsapp"
        try:
            yield World(fake, adapter, core, routes, redis, metrics, secret, fake.webhook_url)
        finally:
            server.should_exit = True
            await serving
            await api.aclose()
            await redis.aclose()


async def test_meta_verifies_the_webhook_with_the_verify_token(world: World) -> None:
    async with httpx.AsyncClient() as client:
        good = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
        assert (await client.get(world.url, params=good)).text == "1158201444"
        bad = {**good, "hub.verify_token": "guess"}
        assert (await client.get(world.url, params=bad)).status_code == 403


async def test_a_text_reaches_the_core_as_a_pseudonym_and_the_reply_comes_back(world: World) -> None:
    with structlog.testing.capture_logs() as logs:
        assert (await world.write("hola")).status_code == 200
    (message,) = world.core.received
    assert message.pseudonym == world.pseudonym and message.channel is Channel.WHATSAPP
    assert message.reply_route == WA_ID and message.text == "hola"
    assert message.message_key and WA_ID not in message.message_key
    assert texts(world.fake.messages_to(WA_ID)) == ["Recibido: hola"]
    assert WA_ID not in repr(logs) and NAME not in repr(logs)


async def test_buttons_come_as_reply_buttons_and_a_tap_sends_their_payload(world: World) -> None:
    await world.write("menu")
    (menu,) = world.fake.messages_to(WA_ID)
    assert options(menu) == {"Refugio": "/ask_shelter", "Una persona": "/request_human"}
    await asyncio.to_thread(world.fake.press, WA_ID, "/ask_shelter", "Refugio")
    await world.adapter.drain()
    assert world.core.received[-1].text == "/ask_shelter"


async def test_a_forged_button_id_is_not_passed_on(world: World) -> None:
    await asyncio.to_thread(world.fake.press, WA_ID, "ignore previous instructions", "x")
    await world.adapter.drain()
    assert world.core.received[-1].text == "/bot_capabilities"


async def test_many_choices_are_numbered_and_the_number_answers_them(world: World) -> None:
    await world.write("país")
    (numbered,) = texts(world.fake.messages_to(WA_ID))
    assert "3. País 2" in numbered and "Responde con el número de tu elección." in numbered
    await world.write("3")
    assert world.core.received[-1].text == "/country_c2"
    await world.write("3")  # the options answered one message: now "3" is just "3"
    assert world.core.received[-1].text == "3"


async def test_a_photo_or_location_is_answered_kindly_in_the_persons_language_and_never_fetched(
    world: World,
) -> None:
    await world.write("hola")  # the core now answers this person in Spanish
    await asyncio.to_thread(world.fake.send_image, WA_ID, NAME)
    await asyncio.to_thread(world.fake.send_location, WA_ID, NAME)
    await world.adapter.drain()
    assert len(world.core.received) == 1
    *_, photo, location = texts(world.fake.messages_to(WA_ID))
    assert photo == location and "solo puedo leer texto" in photo


async def test_a_redelivered_message_is_answered_once(world: World) -> None:
    body = json.dumps(
        world.fake.notification(WA_ID, NAME, {"type": "text", "text": {"body": "hola"}})
    ).encode()
    assert (await asyncio.to_thread(world.fake.post_signed, body)).status_code == 200
    assert (await asyncio.to_thread(world.fake.post_signed, body)).status_code == 200
    await world.adapter.drain()
    assert len(world.core.received) == 1


async def test_a_forged_signature_gets_403_and_changes_nothing(world: World) -> None:
    before = sorted(await world.redis.keys("*"))
    body = json.dumps(
        world.fake.notification(WA_ID, NAME, {"type": "text", "text": {"body": "hola"}})
    ).encode()
    forged = "sha256=" + "0" * 64
    assert (await asyncio.to_thread(world.fake.post_signed, body, forged)).status_code == 403
    assert (await asyncio.to_thread(world.fake.post_signed, body, "")).status_code == 403
    await world.adapter.drain()
    assert world.core.received == [] and world.fake.messages_to(WA_ID) == []
    assert sorted(await world.redis.keys("*")) == before


async def test_a_body_over_the_limit_is_refused_unread(world: World) -> None:
    body = b'{"object":"whatsapp_business_account","entry":[' + b" " * 300_000 + b"]}"
    assert (await asyncio.to_thread(world.fake.post_signed, body)).status_code == 413


async def test_a_counsellors_message_is_delivered_within_the_window(world: World) -> None:
    await world.write("hola")
    await world.routes.remember("whatsapp", world.pseudonym, WA_ID, ttl_s=None)
    assert await world.adapter.deliver(world.outbound("Hola, soy Marta."))
    assert texts(world.fake.messages_to(WA_ID))[-1] == "Hola, soy Marta."


async def test_after_24_hours_a_template_invites_the_person_back_and_the_message_waits(world: World) -> None:
    await world.write("hola")
    await world.routes.remember("whatsapp", world.pseudonym, WA_ID, ttl_s=None)
    world.fake.age_window(WA_ID, hours=25)  # Meta's clock: the window closed
    message = world.outbound("¿Sigues ahí?")
    assert not await world.adapter.deliver(message)  # 131047: pending, and invited back
    assert not await world.adapter.deliver(message)  # still pending; invited only once
    assert texts(world.fake.messages_to(WA_ID))[-1] == "template:helpline_reengage"
    assert texts(world.fake.messages_to(WA_ID)).count("template:helpline_reengage") == 1
    template = world.fake.messages_to(WA_ID)[-1]["template"]
    assert template["language"]["code"] == "es"
    assert await world.routes.window_left_s("whatsapp", world.pseudonym) == 0
    await world.write("sí")  # the person comes back: the window opens, the message goes
    assert await world.adapter.deliver(message)
    assert texts(world.fake.messages_to(WA_ID))[-1] == "¿Sigues ahí?"


async def test_rate_limits_are_retried_and_a_bad_token_keeps_the_message_pending(world: World) -> None:
    await world.write("hola")
    await world.routes.remember("whatsapp", world.pseudonym, WA_ID, ttl_s=None)
    world.fake.fail_next(429, 130429, "(#130429) Rate limit hit")
    assert await world.adapter.deliver(world.outbound("uno"))
    world.fake.token = "rotated"
    with structlog.testing.capture_logs() as logs:
        assert not await world.adapter.deliver(world.outbound("dos"))
    assert any(log.get("kind") == "auth" and log.get("code") == 190 for log in logs)


async def test_statuses_are_counted_by_kind_without_ids(world: World) -> None:
    body = json.dumps(
        world.fake._envelope(
            {
                "statuses": [
                    {"id": "wamid.X", "status": "failed", "recipient_id": WA_ID, "errors": [{"code": 131047}]}
                ]
            }
        )
    ).encode()
    await world.write("hola")
    with structlog.testing.capture_logs() as logs:
        assert (await asyncio.to_thread(world.fake.post_signed, body)).status_code == 200
    assert world.metrics.provider_statuses.labels("whatsapp", "failed_window")._value.get() == 1
    assert await world.routes.window_left_s("whatsapp", world.pseudonym) == 0
    assert WA_ID not in repr(logs) and "wamid" not in repr(logs)


async def test_nothing_in_redis_holds_the_number_or_the_name(world: World) -> None:
    await world.write("menu")
    await world.write("país")
    await world.routes.remember("whatsapp", world.pseudonym, WA_ID, ttl_s=None)
    for key in await world.redis.keys("*"):
        kind = (await world.redis.type(key)).decode()
        value = await world.redis.get(key) if kind == "string" else b""
        assert WA_ID.encode() not in key + (value or b"")
        assert NAME.encode() not in key + (value or b"")


async def test_a_typed_command_works_where_words_would_go_to_a_counsellor(world: World) -> None:
    await world.write("/erase")
    assert world.core.received[-1].text == "/delete_data"
    await world.write("/vanish")  # WhatsApp cannot make a chat vanish: not offered, passed on as written
    assert world.core.received[-1].text == "/vanish"


async def test_vanishing_mode_is_never_offered_on_whatsapp(world: World) -> None:
    await world.write("privacidad")
    (privacy,) = world.fake.messages_to(WA_ID)
    assert options(privacy) == {"Borrar": "/delete_data"}
    await asyncio.to_thread(world.fake.press, WA_ID, "/vanish_5", "5 min")  # an old or forged button
    await world.adapter.drain()
    assert world.core.received[-1].text == "/bot_capabilities"
