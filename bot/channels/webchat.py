"""The web chat adapter: a WebSocket in front of the conversation core (its page is bot/web/chat_page.py).

The browser keeps a random session token in sessionStorage. The server turns it into a pseudonym at once
and never logs or stores the token itself; closing the tab (or the quick exit) forgets it.

The frames it speaks are in `webchat_protocol.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.types import Message
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketDisconnected

from bot.channels.webchat_frames import FrameLedger, frame_digest
from bot.channels.webchat_limits import SocketLimits, TokenBucket, source_tag
from bot.channels.webchat_protocol import (
    NOT_UNDERSTOOD,
    ChatMessage,
    Frame,
    Hello,
    Rejected,
    ack_frame,
    error_frame,
    interface_frame,
    parse_frame,
    reply_frame,
)
from bot.handoff.relay import OutboundMessage
from bot.i18n import SUPPORTED_LOCALES, Translator, _, parse_accept_language
from bot.messages import Channel, ConversationHandler, IncomingMessage, Reply
from bot.privacy.pseudonym import pseudonym_for
from bot.settings import Settings
from bot.web.chat_page import chat_page_routes, negotiate

log = structlog.get_logger(__name__)

SOMETHING_WENT_WRONG = _("Sorry, something went wrong on our side. Please try again in a moment.")
SLOW_DOWN = _("You are sending messages very fast. Please wait a moment and send it again.")
# WebSocket close codes (RFC 6455): over a socket cap, "try again later" (the page reconnects with backoff);
# no hello in time, "policy violation".
TRY_AGAIN_LATER = 1013
NO_HELLO = 1008


def webchat_routes(
    handler: ConversationHandler,
    settings: Settings,
    secret: bytes,
    locales: Sequence[str] = SUPPORTED_LOCALES,
    frames: FrameLedger | None = None,
) -> list[BaseRoute]:
    """The web chat's page, its static files and its WebSocket, ready to mount in the web app."""
    return webchat(handler, settings, secret, locales, frames)[0]


def webchat(
    handler: ConversationHandler,
    settings: Settings,
    secret: bytes,
    locales: Sequence[str] = SUPPORTED_LOCALES,
    frames: FrameLedger | None = None,
) -> tuple[list[BaseRoute], ChatSocket]:
    """The web chat's routes, and its socket (which also delivers counsellors' messages).

    `frames` remembers which messages were handled (Redis); without it a message sent again is handled again.
    """
    if not secret:
        raise ValueError("the pseudonym secret must not be empty")
    socket = ChatSocket(handler, settings, secret, locales, frames)
    routes: list[BaseRoute] = [
        *chat_page_routes(settings, locales),
        WebSocketRoute("/chat/ws", socket.serve, name="webchat_socket"),
    ]
    return routes, socket


@dataclass
class Conversation:
    """What one socket knows after its hello: the person's pseudonym, their browser's language, the
    language they are answered in (which changes when they choose another), and where they write from
    (keyed: the handoff caps the open tickets of one address)."""

    pseudonym: str
    hint: str
    locale: str
    source: str


class ChatSocket:
    """The WebSocket: frames in, the conversation core's replies out, one message at a time."""

    def __init__(
        self,
        handler: ConversationHandler,
        settings: Settings,
        secret: bytes,
        locales: Sequence[str],
        frames: FrameLedger | None = None,
    ) -> None:
        self._handler = handler
        self._frames = frames
        self._settings = settings
        self._secret = secret
        self._locales = locales
        # Open sockets by pseudonym, so a counsellor's message reaches every tab the person has open.
        self._connected: dict[str, set[WebSocket]] = {}
        self._limits = SocketLimits(settings.webchat_max_sockets_per_source, settings.webchat_max_sockets)
        self.on_connect: Callable[[], Awaitable[None]] | None = None

    async def deliver(self, message: OutboundMessage) -> bool:
        """Show a counsellor's (or the helpline's) message; False while the person has no page open."""
        sockets = list(self._connected.get(message.pseudonym, ()))
        buttons = [{"title": title, "payload": payload} for title, payload in message.buttons]
        frame: dict[str, object] = {
            "type": "reply",
            "reply_to": None,
            "text": message.text,
            "buttons": buttons,
            "from": message.sender,
        }
        delivered = False
        for websocket in sockets:
            try:
                await websocket.send_json(frame)
                delivered = True
            except (WebSocketDisconnect, WebSocketDisconnected, RuntimeError):
                self._forget(message.pseudonym, websocket)
        return delivered

    def _forget(self, pseudonym: str, websocket: WebSocket) -> None:
        sockets = self._connected.get(pseudonym)
        if sockets is not None:
            sockets.discard(websocket)
            if not sockets:
                del self._connected[pseudonym]

    async def serve(self, websocket: WebSocket) -> None:
        """WS /chat/ws: frames are handled strictly in order, so replies keep the conversation's order."""
        # The client address is the proxy's X-Forwarded-For when uvicorn trusts the proxy (loopback).
        source = websocket.client.host if websocket.client else "unknown"
        await websocket.accept()  # accepted first: only an open socket can carry a close code
        if not self._limits.admit(source):
            log.info("webchat_socket_refused", open_sockets=self._limits.open_sockets)
            await _close(websocket, TRY_AGAIN_LATER)
            return
        header_languages = parse_accept_language(websocket.headers.get("accept-language"))
        locale = negotiate(header_languages, self._settings, self._locales)
        try:
            await self._serve(websocket, header_languages, locale, source_tag(source, self._secret))
        except (WebSocketDisconnect, WebSocketDisconnected):
            pass
        finally:
            self._limits.release(source)
            for pseudonym in [name for name, sockets in self._connected.items() if websocket in sockets]:
                self._forget(pseudonym, websocket)

    async def _serve(
        self, websocket: WebSocket, header_languages: list[str], locale: str, source: str
    ) -> None:
        conversation: Conversation | None = None
        bucket = TokenBucket(self._settings.webchat_messages_per_s, self._settings.webchat_message_burst)
        hello_by = time.monotonic() + self._settings.webchat_hello_timeout_s
        while True:
            message = await _receive(websocket, None if conversation else hello_by)
            if message is None:
                log.info("webchat_hello_timeout")
                await _close(websocket, NO_HELLO)
                return
            if message["type"] == "websocket.disconnect":
                return
            frame = parse_frame(_text_of(message))
            if conversation is not None:
                locale = conversation.locale
            if isinstance(frame, Hello) and conversation is None:
                conversation = await self._hello(websocket, frame, header_languages, source)
                if conversation is None:
                    return
            elif not bucket.take():  # over the rate: said so, and not handled
                await self._reject(websocket, Rejected(_reply_to(frame), "too_fast", SLOW_DOWN), locale)
            elif isinstance(frame, Hello):  # one conversation per socket: a second hello changes nothing
                await self._reject(websocket, Rejected(None, "second_hello", NOT_UNDERSTOOD), locale)
            elif isinstance(frame, Rejected):
                await self._reject(websocket, frame, locale)
            elif conversation is None:
                await self._reject(websocket, Rejected(frame.id, "no_hello", NOT_UNDERSTOOD), locale)
            elif frame.text:
                await self._converse(websocket, conversation, frame)
            elif frame.id is not None:  # nothing to answer, nothing to send again
                await websocket.send_json(ack_frame(frame.id))

    async def _hello(
        self, websocket: WebSocket, hello: Hello, header_languages: list[str], source: str
    ) -> Conversation | None:
        """Start the socket's one conversation; None (the socket closed) when the services fail."""
        try:
            conversation = await self._start(websocket, hello, header_languages, source)
        except (WebSocketDisconnect, WebSocketDisconnected):
            raise
        except Exception as error:  # Redis or the store overloaded: a kind error, the page tries again later
            log.error("webchat_hello_failed", error=type(error).__name__)
            locale = negotiate(header_languages, self._settings, self._locales)
            with contextlib.suppress(WebSocketDisconnect, WebSocketDisconnected, RuntimeError):
                await websocket.send_json(error_frame(None, self._translate(locale, SOMETHING_WENT_WRONG)))
            await _close(websocket, TRY_AGAIN_LATER)
            return None
        self._connected.setdefault(conversation.pseudonym, set()).add(websocket)
        if self.on_connect is not None:  # messages that waited for this page
            try:
                await self.on_connect()
            except Exception as error:  # the delivery loop tries again on its own
                log.error("webchat_pending_delivery_failed", error=type(error).__name__)
        return conversation

    async def _start(
        self, websocket: WebSocket, hello: Hello, header_languages: list[str], source: str
    ) -> Conversation:
        session = hello.session
        if session is None:
            session = secrets.token_urlsafe(32)
            log.info("webchat_session_started")
        hint = negotiate([*hello.languages, *header_languages], self._settings, self._locales)
        pseudonym = pseudonym_for(Channel.WEBCHAT, session, self._secret)
        locale = await self._handler.locale_for(pseudonym, Channel.WEBCHAT, hint)
        ready = interface_frame(self._settings.catalog_dir, locale) | {"type": "ready", "session": session}
        await websocket.send_json(ready)
        return Conversation(pseudonym, hint, locale, source)

    async def _converse(self, websocket: WebSocket, conversation: Conversation, message: ChatMessage) -> None:
        """One turn, once per message id: a copy the page sends again after a reconnect is only acknowledged.

        The message counts as handled once the core has answered, before the replies go out: a socket that
        dies while they are sent loses those replies, never doubles the turn (or a counsellor's copy).
        """
        if message.id is None:  # an old page: no outbox, nothing to acknowledge
            replies = await self._turn(websocket, conversation, message, f"wc-{uuid.uuid4().hex}")
            await self._send_replies(websocket, conversation, message, replies or [])
            return
        digest = frame_digest(conversation.pseudonym, message.id)
        if self._frames is not None and not await self._frames.claim(digest):
            await websocket.send_json(ack_frame(message.id))
            return
        replies = await self._turn(websocket, conversation, message, f"wc-{digest}")
        if self._frames is not None:
            await (self._frames.release(digest) if replies is None else self._frames.done(digest))
        if replies is not None:
            await self._send_replies(websocket, conversation, message, replies)
            await websocket.send_json(ack_frame(message.id))

    async def _turn(
        self, websocket: WebSocket, conversation: Conversation, message: ChatMessage, key: str
    ) -> list[Reply] | None:
        """The core's replies to the message; None when the turn failed (the person is told kindly)."""
        incoming = IncomingMessage(
            pseudonym=conversation.pseudonym,
            channel=Channel.WEBCHAT,
            text=message.text,
            locale=conversation.hint,
            message_key=key,
            source=conversation.source,
        )
        try:
            return await self._handler.handle(incoming)
        except Exception as error:  # the core should not raise, but a person must never see a trace
            log.error("webchat_turn_failed", error=type(error).__name__)
            text = self._translate(conversation.locale, SOMETHING_WENT_WRONG)
            await websocket.send_json(error_frame(message.id, text))
            return None

    async def _send_replies(
        self, websocket: WebSocket, conversation: Conversation, message: ChatMessage, replies: list[Reply]
    ) -> None:
        for reply in replies:
            if reply.locale and reply.locale != conversation.locale:
                conversation.locale = reply.locale
                await websocket.send_json(interface_frame(self._settings.catalog_dir, reply.locale))
            await websocket.send_json(reply_frame(message.id, reply))

    async def _reject(self, websocket: WebSocket, rejected: Rejected, locale: str) -> None:
        log.info("webchat_frame_rejected", kind=rejected.kind)
        text = self._translate(locale, rejected.reason)
        await websocket.send_json(error_frame(rejected.reply_to, text))

    def _translate(self, locale: str, message: str) -> str:
        return Translator(self._settings.catalog_dir, locale).gettext(message)


async def _receive(websocket: WebSocket, deadline: float | None) -> Message | None:
    """The next ASGI message; None when `deadline` (a `time.monotonic()` time) passes first."""
    if deadline is None:
        return await websocket.receive()
    try:
        return await asyncio.wait_for(websocket.receive(), max(0.0, deadline - time.monotonic()))
    except TimeoutError:
        return None


async def _close(websocket: WebSocket, code: int) -> None:
    """Close with `code`; the client may be gone already."""
    with contextlib.suppress(WebSocketDisconnect, WebSocketDisconnected, RuntimeError):
        await websocket.close(code=code)


def _reply_to(frame: Frame) -> str | None:
    if isinstance(frame, Rejected):
        return frame.reply_to
    return frame.id if isinstance(frame, ChatMessage) else None


def _text_of(message: Message) -> str | None:
    text = message.get("text")
    return text if isinstance(text, str) else None
