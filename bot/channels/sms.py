"""The SMS adapter (Twilio-compatible): `/sms` on the web app, replies through the Messages API.

A webhook is read only after its `X-Twilio-Signature` checks out; it is answered at once with empty TwiML,
and every reply is queued on the SMS outbound stream, which `OutboundDelivery` sends through the Messages
API (retried while Twilio or the network is down; nothing is lost). The phone number lives only in memory
while a webhook is handled: the core sees a keyed pseudonym, and the number needed to reply is kept by the
route store, encrypted and expiring. Menus are numbered options; STOP, START, HELP and ERASE are keywords.
An SMS stays on the person's phone: erase says so, and how to delete it there.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import structlog
from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.channels import sms_text
from bot.channels.capabilities import capabilities_of
from bot.channels.phone_locale import locale_for_region
from bot.channels.twilio import SIGNATURE_HEADER, TwilioMessages, signature_valid
from bot.channels.webhook_body import read_body
from bot.content import ContentLibrary
from bot.handoff.relay import OutboundMessage, Relay
from bot.handoff.routes import RouteStore
from bot.messages import Button, Channel, ConversationHandler, IncomingMessage, Reply
from bot.privacy.pseudonym import pseudonym_for

log = structlog.get_logger(__name__)

CHANNEL = Channel.SMS.value
WEBHOOK_PATH = "/sms"
MAX_BODY_BYTES = 64 * 1024  # an SMS webhook is a few hundred bytes of form parameters
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
SEEN_TTL_S = 24 * 3600
MENU_TTL_S = 30 * 60  # a number answers the menu it was offered with, for half an hour
# STOP is kept under the pseudonym for a year after the person's last text (docs/decisions.md): Twilio's own
# opt-out list keeps blocking the number at the carrier until START, so ours need not outlive everything.
OPT_OUT_TTL_S = 365 * 24 * 3600
KEY_PREFIX = "helpline:sms:"
# What the core is sent for a keyword (as if a button had been pressed).
START_PAYLOAD = "/greet"
ERASE_PAYLOAD = "/delete_data"
VANISH_PAYLOAD = "/vanish"  # /vanish_menu, /vanish_30…: not offered on SMS
# content/ entries of SMS's own texts.
MENU_HINT, HELP_ENTRY, MEDIA_ENTRY = "sms_menu", "sms_help", "sms_media"


@dataclass(frozen=True)
class SmsConfig:
    """What the adapter needs besides Twilio's client: the public URL Twilio signs, and the keys."""

    auth_token: str
    webhook_url: str
    pseudonym_secret: bytes
    route_ttl_s: int
    max_body_bytes: int = MAX_BODY_BYTES


class SmsState:
    """What SMS keeps per pseudonym in Redis: opt-out (until START), the last menu (short-lived), and the
    MessageSids already answered (a redelivered webhook is answered once)."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def first_time(self, message_sid: str) -> bool:
        """True once per MessageSid."""
        return bool(await self._redis.set(f"{KEY_PREFIX}seen:{message_sid}", 1, nx=True, ex=SEEN_TTL_S))

    async def opted_out(self, pseudonym: str) -> bool:
        """The person texted STOP (or Twilio said they did) and not START since; each text they send while
        opted out keeps the mark for another `OPT_OUT_TTL_S`."""
        return bool(await self._redis.expire(f"{KEY_PREFIX}optout:{pseudonym}", OPT_OUT_TTL_S))

    async def opt_out(self, pseudonym: str) -> None:
        """Send nothing more to this person until they text START (for a year after their last text)."""
        await self._redis.set(f"{KEY_PREFIX}optout:{pseudonym}", 1, ex=OPT_OUT_TTL_S)
        await self.forget_menu(pseudonym)

    async def opt_in(self, pseudonym: str) -> None:
        """The person texted START."""
        await self._redis.delete(f"{KEY_PREFIX}optout:{pseudonym}")

    async def remember_menu(self, pseudonym: str, payloads: Sequence[str]) -> None:
        """The payloads of the numbers just offered (none: the numbers mean nothing any more)."""
        key = f"{KEY_PREFIX}menu:{pseudonym}"
        if payloads:
            await self._redis.delete(key)
            await self._redis.rpush(key, *payloads)
            await self._redis.expire(key, MENU_TTL_S)
        else:
            await self._redis.delete(key)

    async def menu(self, pseudonym: str) -> list[str]:
        """The payloads of the numbers last offered, while they last."""
        found: Any = await self._redis.lrange(f"{KEY_PREFIX}menu:{pseudonym}", 0, -1)
        return [item.decode() if isinstance(item, bytes) else str(item) for item in found]

    async def forget_menu(self, pseudonym: str) -> None:
        """Forget the last menu (erase, STOP)."""
        await self._redis.delete(f"{KEY_PREFIX}menu:{pseudonym}")


class SmsChannel:
    """POST /sms from Twilio: 403 (signature wrong, nothing read or changed), 413 (too big), 400 (not an
    SMS webhook), else 200 with empty TwiML once the replies are queued."""

    def __init__(
        self,
        config: SmsConfig,
        core: ConversationHandler,
        content: ContentLibrary,
        redis: Redis,
        relay: Relay,
        routes: RouteStore,
        messages: TwilioMessages,
    ) -> None:
        self._config = config
        self._core = core
        self._content = content
        self._state = SmsState(redis)
        self._relay = relay
        self._routes = routes
        self._messages = messages
        self._locks: dict[str, asyncio.Lock] = {}

    def route(self) -> Route:
        """The webhook's route on the web app."""
        return Route(WEBHOOK_PATH, self.webhook, methods=["POST"])

    async def webhook(self, request: Request) -> Response:
        """Check, then read, one webhook: an incoming SMS or a status callback."""
        declared = request.headers.get("content-length", "0")
        if not declared.isdigit() or int(declared) > self._config.max_body_bytes:
            log.warning("sms_webhook_refused", reason="body_too_large")
            return Response(status_code=413)
        body = await read_body(request, self._config.max_body_bytes)
        if body is None:
            log.warning("sms_webhook_refused", reason="body_too_large")
            return Response(status_code=413)
        try:
            params = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=bool(body))
        except (UnicodeDecodeError, ValueError):
            params = None
        given = request.headers.get(SIGNATURE_HEADER, "")
        if params is None or not signature_valid(
            self._config.auth_token, self._config.webhook_url, params, given
        ):
            log.warning("sms_webhook_refused", reason="signature")
            return Response(status_code=403)
        form = dict(params)
        if "MessageStatus" in form and "Body" not in form:
            await self._on_status(form)
            return Response(status_code=204)
        sender, sid = form.get("From", ""), form.get("MessageSid", "")
        if not sender or not sid:
            log.warning("sms_webhook_unreadable")
            return Response(status_code=400)
        if await self._state.first_time(sid):
            await self._on_message(sender, sid, form)
        else:
            log.info("duplicate_sms_dropped")
        return Response(EMPTY_TWIML, media_type="text/xml")

    async def _on_message(self, sender: str, sid: str, form: dict[str, str]) -> None:
        pseudonym = pseudonym_for(Channel.SMS, sender, self._config.pseudonym_secret)
        async with self._lock(pseudonym):
            # Kept encrypted, expiring after a silence; a handoff keeps it while it is open.
            await self._routes.remember(CHANNEL, pseudonym, sender, self._config.route_ttl_s)
            text = form.get("Body", "")
            # Twilio's FromCountry (the number's country, not the person's): a first guess at the language.
            hint = locale_for_region(form.get("FromCountry"))
            opted_out = await self._state.opted_out(pseudonym)
            said = sms_text.keyword(text, opted_out)
            if opted_out and said != "start":
                log.info("sms_opted_out_ignored", pseudonym=pseudonym[:12])
                return
            if said == "stop":
                await self._state.opt_out(pseudonym)
                await self._relay.drop_outbound(CHANNEL, pseudonym)
                log.info("sms_opted_out", pseudonym=pseudonym[:12])
                return
            if said == "start":
                await self._state.opt_in(pseudonym)
                log.info("sms_opted_in", pseudonym=pseudonym[:12])
                text = START_PAYLOAD
            elif said == "help":
                await self._notice(pseudonym, HELP_ENTRY, sid, hint)
                return
            elif _has_media(form):
                # Nothing of the media is fetched or kept: we only answer that we read text.
                log.info("not_text_declined", kind="mms")
                await self._notice(pseudonym, MEDIA_ENTRY, sid, hint)
                return
            elif said == "erase":
                text = ERASE_PAYLOAD
            else:
                text = sms_text.choice(text, await self._state.menu(pseudonym)) or text
            message = IncomingMessage(
                pseudonym=pseudonym,
                channel=Channel.SMS,
                text=text,
                locale=hint,
                reply_route=sender,  # kept only by a handoff, encrypted
                message_key=f"sms-{sid}",
            )
            replies = await self._core.handle(message)
            await self._answer(pseudonym, sender, sid, replies)

    async def _answer(self, pseudonym: str, sender: str, sid: str, replies: list[Reply]) -> None:
        erased = next((reply for reply in replies if reply.erased), None)
        if erased is not None:
            await self._say_erased(pseudonym, sender, erased.text)
            return
        texts: list[str] = []
        payloads: list[str] = []
        for reply in replies:
            buttons = _offered(reply.buttons)
            rendered = sms_text.numbered(
                reply.text, buttons, self._text(MENU_HINT, reply.locale), len(payloads) + 1
            )
            texts.append(rendered.text)
            payloads += rendered.payloads
        await self._state.remember_menu(pseudonym, payloads)
        await self._queue(pseudonym, sid, texts)

    async def _say_erased(self, pseudonym: str, sender: str, text: str) -> None:
        """Everything is erased, the route to reply too: the truth (the core's `erased_sms`: the texts stay on
        the phone and with the phone company) is sent at once to the number still in memory, never kept
        again. If it cannot be sent now it is not retried (the person may ask again)."""
        await self._state.forget_menu(pseudonym)
        outcome = await self._messages.send(sender, sms_text.plain(text).strip())
        log.info("sms_erased_told", pseudonym=pseudonym[:12], outcome=outcome)

    async def _notice(self, pseudonym: str, entry: str, sid: str, hint: str) -> None:
        locale = await self._core.locale_for(pseudonym, Channel.SMS, hint)
        await self._queue(pseudonym, sid, [self._text(entry, locale)])

    async def _queue(self, pseudonym: str, sid: str, texts: Sequence[str]) -> None:
        bodies = [body for text in texts for body in sms_text.bodies(text)]
        for index, body in enumerate(bodies):
            await self._relay.outbound(CHANNEL, pseudonym, body, f"sms-{sid}-{index}")

    async def _on_status(self, form: dict[str, str]) -> None:
        """Twilio's news about a message we sent: logged by status; an unsubscribed number is opted out."""
        status, code = form.get("MessageStatus", ""), form.get("ErrorCode", "")
        log.info("sms_status", status=status[:16], code=code[:8])
        if code == "21610" and form.get("To"):
            pseudonym = pseudonym_for(Channel.SMS, form["To"], self._config.pseudonym_secret)
            await self._state.opt_out(pseudonym)

    async def deliver(self, message: OutboundMessage) -> bool:
        """Send a queued message (a bot reply, a counsellor's message); False to try again later."""
        pseudonym = message.pseudonym
        if await self._state.opted_out(pseudonym):
            log.info("sms_opted_out_dropped", pseudonym=pseudonym[:12])
            return True
        route = await self._routes.get(CHANNEL, pseudonym)
        if route is None:
            log.warning("handoff_route_expired", pseudonym=pseudonym[:12], ticket=message.ticket_id[:8])
            return True
        text = message.text
        if message.buttons:  # a counsellor's message with choices ("Stop waiting"): numbered
            locale = await self._core.locale_for(pseudonym, Channel.SMS, "en")
            buttons = tuple(Button(title, payload) for title, payload in message.buttons)
            rendered = sms_text.numbered(text, buttons, self._text(MENU_HINT, locale))
            await self._state.remember_menu(pseudonym, rendered.payloads)
            text = rendered.text
        elif message.ticket_id:  # a counsellor writes: a number the person sends now is for them
            await self._state.forget_menu(pseudonym)
        outcome = "sent"
        for body in sms_text.bodies(text):
            outcome = await self._messages.send(route, body, self._config.webhook_url)
            if outcome != "sent":
                break
        if outcome == "retry":
            return False
        if outcome == "unsubscribed":
            await self._state.opt_out(pseudonym)
            log.warning("sms_unsubscribed", pseudonym=pseudonym[:12])
        elif outcome == "invalid_number":
            await self._routes.forget(CHANNEL, pseudonym)
            log.warning("sms_invalid_number", pseudonym=pseudonym[:12])
        elif outcome == "sent":
            log.info(
                "sms_sent", pseudonym=pseudonym[:12], ticket=message.ticket_id[:8], sender=message.sender
            )
        return True

    def _text(self, entry: str, locale: str | None) -> str:
        return self._content.reply(entry, locale or "en").text

    @contextlib.asynccontextmanager
    async def _lock(self, pseudonym: str) -> AsyncIterator[None]:
        """One person's texts one at a time and in order; different people at once."""
        lock = self._locks.setdefault(pseudonym, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and self._locks.get(pseudonym) is lock:
                del self._locks[pseudonym]


def _offered(buttons: Sequence[Button]) -> tuple[Button, ...]:
    """The choices SMS can keep: never vanishing mode (a text cannot be deleted from the phone)."""
    if capabilities_of(Channel.SMS).vanishing:
        return tuple(buttons)
    return tuple(button for button in buttons if not button.payload.startswith(VANISH_PAYLOAD))


def _has_media(form: dict[str, str]) -> bool:
    count = form.get("NumMedia", "0")
    return count.isdigit() and int(count) > 0
