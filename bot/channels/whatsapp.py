"""The WhatsApp adapter (Cloud API): Meta's webhook at /whatsapp in front of the conversation core.

Every POST is checked against `X-Hub-Signature-256` (HMAC-SHA256 of the raw body with the app secret,
compared in constant time) before a byte of it is parsed; a forged one gets 403 and changes nothing. A valid
one gets 200 at once: its messages are answered in the background, each person's in order, and a message
Meta delivers twice (the same wamid) is answered once.

The person's WhatsApp id (their phone number) lives only in memory while a message is handled: the core
sees a keyed pseudonym, and a handoff keeps the number to reply to encrypted and expiring (RouteStore).
Photos, voice notes, files, stickers, locations and contacts are never fetched: the person is told kindly
that the helpline reads text. WhatsApp lets a business write freely only within 24 hours of the person's
last message; after that a counsellor's message waits, and one approved neutral template invites the
person back (docs/channels.md).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog
from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.capabilities import capabilities_of
from bot.channels.commands import command_payload
from bot.channels.phone_locale import locale_for_number
from bot.channels.webhook_body import read_body
from bot.channels.whatsapp_api import GraphError, WhatsAppApi, error_kind
from bot.channels.whatsapp_render import ChoiceWords, render, template_message
from bot.channels.whatsapp_webhook import (
    SIGNATURE_HEADER,
    Inbound,
    Status,
    parse_notification,
    signature_valid,
)
from bot.content import ContentLibrary
from bot.handoff.relay import OutboundMessage
from bot.handoff.routes import RouteStore
from bot.i18n import DEFAULT_LOCALE
from bot.messages import Button, Channel, ConversationHandler, IncomingMessage, Reply
from bot.metrics import Metrics
from bot.privacy.pseudonym import pseudonym_for

log = structlog.get_logger(__name__)

WEBHOOK_PATH = "/whatsapp"
MAX_BODY_BYTES = 256 * 1024  # a notification is a few kilobytes; nothing bigger is read
CHANNEL = Channel.WHATSAPP
WINDOW_S = (capabilities_of(CHANNEL).reply_window_h or 24) * 3600
SEEN_TTL_S = 7 * 24 * 3600  # Meta retries a failed delivery for up to 7 days
CHOICES_TTL_S = 3600
MAX_TEXT_CHARS = 4096
NOT_TEXT_ENTRY = "whatsapp_not_text"
CHOICES_ENTRY = "whatsapp_choices"
TEXT_TYPES = frozenset({"text"})
SILENT_TYPES = frozenset({"reaction", "system", "ephemeral", "request_welcome", "order"})
# What a button or list row may send back: an intent (`/ask_shelter`) or a language (`/language_uk`).
BUTTON_PAYLOAD = re.compile(r"^/[a-z][a-z0-9_]{0,62}$")
NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


@dataclass(frozen=True)
class WhatsAppConfig:
    """What the adapter needs besides the Graph API client."""

    phone_number_id: str
    app_secret: bytes
    verify_token: str
    pseudonym_secret: bytes
    reengage_template: str
    max_body_bytes: int = MAX_BODY_BYTES


class WhatsAppAdapter:
    """Meta's notifications in, the core's replies and counsellors' messages out."""

    def __init__(
        self,
        config: WhatsAppConfig,
        api: WhatsAppApi,
        core: ConversationHandler,
        content: ContentLibrary,
        redis: Redis,
        routes: RouteStore,
        metrics: Metrics | None = None,
    ) -> None:
        if not config.app_secret or not config.verify_token:
            raise ValueError("WhatsApp needs its app secret and verify token")
        self._config = config
        self._api = api
        self._core = core
        self._content = content
        self._redis = redis
        self._routes = routes
        self._metrics = metrics or Metrics()
        self._locks: dict[str, asyncio.Lock] = {}
        self._working: set[asyncio.Task[None]] = set()
        # Called after a person wrote (their window is open again): deliver what waits for them.
        self.on_heard: Callable[[], Awaitable[None]] | None = None

    def routes(self) -> list[BaseRoute]:
        """GET and POST /whatsapp, ready to mount in the web app."""
        return [Route(WEBHOOK_PATH, self.endpoint, methods=["GET", "POST"])]

    async def endpoint(self, request: Request) -> Response:
        """GET: Meta's verification of the webhook. POST: a notification, answered 200 once it is signed."""
        if request.method == "GET":
            return self._verify(request)
        declared = request.headers.get("content-length", "")
        if declared and (not declared.isdigit() or int(declared) > self._config.max_body_bytes):
            log.warning("whatsapp_webhook_refused", reason="body_too_large")
            return Response(status_code=413)
        body = await read_body(request, self._config.max_body_bytes)
        if body is None:
            log.warning("whatsapp_webhook_refused", reason="body_too_large")
            return Response(status_code=413)
        if not signature_valid(body, request.headers.get(SIGNATURE_HEADER), self._config.app_secret):
            log.warning("whatsapp_webhook_refused", reason="signature")
            return Response(status_code=403)
        try:
            notification = parse_notification(body, self._config.phone_number_id)
        except Exception as error:  # signed but unreadable: only the error's class is logged
            log.warning("whatsapp_webhook_unreadable", error=type(error).__name__)
            return Response(status_code=400)
        for status in notification.statuses:
            await self._on_status(status)
        for message in notification.messages:
            if await self._first_time(message.wamid):
                self._start(message)
            else:
                log.info("duplicate_update_dropped", channel=CHANNEL.value)
        return Response(status_code=200)

    def _verify(self, request: Request) -> Response:
        params = request.query_params
        token = params.get("hub.verify_token", "")
        if params.get("hub.mode") == "subscribe" and hmac.compare_digest(
            token.encode(), self._config.verify_token.encode()
        ):
            log.info("whatsapp_webhook_verified")
            return PlainTextResponse(params.get("hub.challenge", ""))
        log.warning("whatsapp_webhook_refused", reason="verify_token")
        return Response(status_code=403)

    async def _first_time(self, wamid: str) -> bool:
        # A wamid encodes the sender's number: only a keyed hash of it is kept.
        key = f"helpline:wa:{self._config.phone_number_id}:seen:{self._hash(wamid)}"
        return bool(await self._redis.set(key, 1, nx=True, ex=SEEN_TTL_S))

    def _start(self, message: Inbound) -> None:
        task = asyncio.create_task(self._handle_in_order(message))
        self._working.add(task)
        task.add_done_callback(self._working.discard)

    async def drain(self) -> None:
        """Wait for the messages being answered (at shutdown, and in tests)."""
        while self._working:
            await asyncio.gather(*list(self._working), return_exceptions=True)

    async def _handle_in_order(self, message: Inbound) -> None:
        pseudonym = self._pseudonym(message.wa_id)
        lock = self._locks.setdefault(pseudonym, asyncio.Lock())
        try:
            async with lock:
                await self._handle(message, pseudonym)
        except Exception as error:  # never a crash of the web app; only the class is logged
            log.error("whatsapp_message_failed", pseudonym=pseudonym[:12], error=type(error).__name__)
        finally:
            if not lock.locked() and self._locks.get(pseudonym) is lock:
                del self._locks[pseudonym]
        if self.on_heard is not None:
            try:
                await self.on_heard()
            except Exception as error:
                log.warning("whatsapp_pending_not_delivered", error=type(error).__name__)

    async def _handle(self, message: Inbound, pseudonym: str) -> None:
        await self._routes.heard_from(CHANNEL.value, pseudonym, WINDOW_S)
        await self._redis.delete(self._invited_key(pseudonym))
        if message.kind in SILENT_TYPES:
            return
        if message.kind not in ("text", "interactive", "button") or not message.text:
            # Nothing of it is downloaded (no media id is ever fetched): we answer that we read text.
            log.info("not_text_declined", channel=CHANNEL.value, kind=_kind_label(message.kind))
            locale = await self._core.locale_for(pseudonym, CHANNEL, locale_for_number(message.wa_id))
            reply = self._content.reply(NOT_TEXT_ENTRY, locale).as_reply()
            await self._send_all(message.wa_id, pseudonym, [reply])
            return
        text = await self._understood(message, pseudonym)
        incoming = IncomingMessage(
            pseudonym=pseudonym,
            channel=CHANNEL,
            text=text,
            # WhatsApp says nothing of the person's language: their number's country is the first guess.
            locale=locale_for_number(message.wa_id),
            reply_route=message.wa_id,  # kept only by a handoff, encrypted, expiring
            message_key=f"wa-{self._hash(message.wamid)[:32]}",
        )
        replies = await self._core.handle(incoming)
        await self._send_all(message.wa_id, pseudonym, replies)
        if any(reply.erased for reply in replies):
            await self._forget(pseudonym)

    async def _understood(self, message: Inbound, pseudonym: str) -> str:
        """What the person means: a button's payload, the option a number stands for, or their words."""
        choices = await self._take_choices(pseudonym)
        if message.kind in ("interactive", "button"):
            if BUTTON_PAYLOAD.match(message.text) and not _vanishing(message.text):
                return message.text
            log.warning("button_payload_rejected", channel=CHANNEL.value)
            return "/bot_capabilities"
        command = command_payload(message.text, CHANNEL)  # `/erase`: works in a counsellor's chat too
        if command is not None:
            return command
        number = NUMBER.match(message.text)
        if number and choices and 1 <= int(number.group(1)) <= len(choices):
            return choices[int(number.group(1)) - 1]
        return message.text[:MAX_TEXT_CHARS]

    async def _send_all(self, wa_id: str, pseudonym: str, replies: list[Reply]) -> None:
        for reply in replies:
            # No vanishing mode where the chat cannot be deleted from the phone: its buttons are not offered.
            kept = tuple(button for button in reply.buttons if not _vanishing(button.payload))
            reply = dataclasses.replace(reply, buttons=kept)
            rendered = render(reply, self._choice_words(reply.locale or DEFAULT_LOCALE))
            if rendered.choices:
                await self._keep_choices(pseudonym, rendered.choices)
            for payload in rendered.messages:
                try:
                    await self._api.send(wa_id, payload)
                except GraphError as error:
                    log.warning(
                        "whatsapp_send_failed", pseudonym=pseudonym[:12], kind=error.kind, code=error.code
                    )
                    if error.kind == "window":
                        await self._routes.close_window(CHANNEL.value, pseudonym)
                    return

    def _choice_words(self, locale: str) -> ChoiceWords:
        label = self._content.entry(CHOICES_ENTRY).label
        title = label.get(locale) or label.get(locale.split("-")[0]) or label[DEFAULT_LOCALE]
        return ChoiceWords(title, self._content.reply(CHOICES_ENTRY, locale).text)

    async def deliver(self, message: OutboundMessage) -> bool:
        """Send a counsellor's (or the helpline's) message to the person; False keeps it pending.

        Outside WhatsApp's 24-hour window only a template may go: the person is invited back once by the
        neutral template, and the message waits until they write (nothing is lost).
        """
        pseudonym = message.pseudonym
        route = await self._routes.get(CHANNEL.value, pseudonym)
        if route is None:
            log.warning("handoff_route_expired", pseudonym=pseudonym[:12], ticket=message.ticket_id[:8])
            return True
        if await self._routes.window_left_s(CHANNEL.value, pseudonym) <= 0:
            await self._invite_back(route, pseudonym)
            return False
        buttons = tuple(Button(title, payload) for title, payload in message.buttons)
        locale = await self._core.locale_for(pseudonym, CHANNEL, DEFAULT_LOCALE)
        rendered = render(Reply(message.text, buttons), self._choice_words(locale))
        await self._redis.delete(self._choices_key(pseudonym))  # a counsellor's words change the context
        try:
            for payload in rendered.messages:
                await self._api.send(route, payload)
        except GraphError as error:
            log.warning("handoff_delivery_failed", pseudonym=pseudonym[:12], kind=error.kind, code=error.code)
            if error.kind == "window":  # Meta's clock says the window closed: invite, keep it pending
                await self._routes.close_window(CHANNEL.value, pseudonym)
                await self._invite_back(route, pseudonym)
                return False
            # Not on WhatsApp any more, or blocked us: never retried. Rate, server, network, a token to
            # fix: pending, tried again later.
            return error.kind == "recipient"
        if rendered.choices:
            await self._keep_choices(pseudonym, rendered.choices)
        log.info(
            "handoff_relayed", pseudonym=pseudonym[:12], ticket=message.ticket_id[:8], sender=message.sender
        )
        return True

    async def _invite_back(self, route: str, pseudonym: str) -> None:
        """The approved template, once per closed window, in the person's language when approved in it."""
        if not await self._redis.set(self._invited_key(pseudonym), 1, nx=True, ex=WINDOW_S):
            return
        locale = await self._core.locale_for(pseudonym, CHANNEL, DEFAULT_LOCALE)
        for language in dict.fromkeys((locale, DEFAULT_LOCALE)):
            try:
                await self._api.send(route, template_message(self._config.reengage_template, language))
            except GraphError as error:
                log.warning(
                    "whatsapp_template_failed", pseudonym=pseudonym[:12], kind=error.kind, code=error.code
                )
                continue
            log.info("whatsapp_invited_back", pseudonym=pseudonym[:12], language=language)
            return
        await self._redis.delete(self._invited_key(pseudonym))  # tried again with the next retry

    async def _on_status(self, status: Status) -> None:
        """sent, delivered, read, failed: counted and logged by class, never with an id or number."""
        if status.status != "failed":
            self._metrics.provider_status(CHANNEL.value, status.status)
            return
        codes = status.error_codes or (0,)
        kinds = {_status_kind(code) for code in codes}
        for kind in kinds:
            self._metrics.provider_status(CHANNEL.value, f"failed_{kind}")
        log.warning(
            "whatsapp_message_failed_status", kinds=",".join(sorted(kinds)), codes=",".join(map(str, codes))
        )
        if "window" in kinds and status.wa_id:
            await self._routes.close_window(CHANNEL.value, self._pseudonym(status.wa_id))

    async def _keep_choices(self, pseudonym: str, choices: tuple[str, ...]) -> None:
        await self._redis.set(self._choices_key(pseudonym), json.dumps(choices), ex=CHOICES_TTL_S)

    async def _take_choices(self, pseudonym: str) -> list[str]:
        """The options the last numbered reply offered; they answer one message only."""
        raw: Any = await self._redis.getdel(self._choices_key(pseudonym))
        try:
            choices = json.loads(raw) if raw else []
        except ValueError:
            return []
        return [str(choice) for choice in choices if isinstance(choice, str) and BUTTON_PAYLOAD.match(choice)]

    async def _forget(self, pseudonym: str) -> None:
        """An erase: what this adapter keeps about the person goes too."""
        await self._redis.delete(self._choices_key(pseudonym), self._invited_key(pseudonym))
        await self._routes.forget(CHANNEL.value, pseudonym)

    def _pseudonym(self, wa_id: str) -> str:
        return pseudonym_for(CHANNEL, wa_id, self._config.pseudonym_secret)

    def _hash(self, value: str) -> str:
        return hmac.new(self._config.pseudonym_secret, value.encode(), hashlib.sha256).hexdigest()

    def _choices_key(self, pseudonym: str) -> str:
        return f"helpline:wa:choices:{pseudonym}"

    def _invited_key(self, pseudonym: str) -> str:
        return f"helpline:wa:invited:{pseudonym}"


def _vanishing(payload: str) -> bool:
    return payload.startswith("/vanish") and not capabilities_of(CHANNEL).vanishing


def _status_kind(code: int) -> str:
    return error_kind(400, code) if code else "unknown"


def _kind_label(kind: str) -> str:
    known = {"image", "audio", "video", "document", "sticker", "location", "contacts", "unsupported"}
    return kind if kind in known else "other"
