"""The web chat adapter: a page and a WebSocket in front of the conversation core.

The browser keeps a random session token in sessionStorage. The server turns it into a pseudonym at once
and never logs or stores the token itself; closing the tab (or the quick exit) forgets it.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import structlog
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketDisconnected

from bot.conversation.messages import Channel, ConversationHandler, IncomingMessage, Reply
from bot.handoff.relay import OutboundMessage
from bot.i18n import SUPPORTED_LOCALES, Translator, _, choose_locale, parse_accept_language, text_direction
from bot.privacy.pseudonym import pseudonym_for
from bot.settings import Settings

log = structlog.get_logger(__name__)

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

TOO_LONG = _("That message is too long. Please send it in shorter parts.")
NOT_UNDERSTOOD = _("Sorry, I could not read that message. Please try again.")
SOMETHING_WENT_WRONG = _("Sorry, something went wrong on our side. Please try again in a moment.")
# The page's own words, by the key the page marks them with (`data-text`, `data-text-placeholder`...).
# The template renders them and the socket sends them again when the person switches language.
PAGE_TEXT: dict[str, str] = {
    "title": _("Chat"),
    "quick_exit": _("Quick exit"),
    "quick_exit_label": _("Quick exit: leave this page now"),
    "quick_exit_note": _("Quick exit hides this page. It does not erase your browser history."),
    "conversation": _("Conversation"),
    "connecting": _("Connecting…"),
    "connected": _("Connected"),
    "reconnecting": _("Connection lost. Trying again…"),
    "your_message": _("Your message"),
    "write": _("Write a message"),
    "send": _("Send"),
    "needs_javascript": _("This chat needs JavaScript to work."),
    "privacy": _("Privacy"),
    "erase": _("Erase"),
    "privacy_notice": _("What is kept about you, and for how long"),
}

PRIVACY_PATH = "/privacy"  # the privacy notice page (bot/web/privacy.py), linked from the chat
MAX_TEXT_CHARS = 4096
# A frame may escape every character of the longest message (`\uXXXX`); anything bigger is not a message.
MAX_FRAME_CHARS = 6 * MAX_TEXT_CHARS + 1024
MAX_CLIENT_ID_CHARS = 64
MAX_LANGUAGES = 10
# `secrets.token_urlsafe(32)`: 43 characters of the URL-safe base64 alphabet.
SESSION_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8}){0,4}")

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# Nothing of the chat should linger in caches or leak to the next site through a Referer.
PRIVATE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
PAGE_HEADERS = {
    **PRIVATE_HEADERS,
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "X-Robots-Tag": "noindex, nofollow",
}


def webchat_routes(
    handler: ConversationHandler,
    settings: Settings,
    secret: bytes,
    locales: Sequence[str] = SUPPORTED_LOCALES,
) -> list[BaseRoute]:
    """The web chat's page, its static files and its WebSocket, ready to mount in the web app."""
    return webchat(handler, settings, secret, locales)[0]


def webchat(
    handler: ConversationHandler,
    settings: Settings,
    secret: bytes,
    locales: Sequence[str] = SUPPORTED_LOCALES,
) -> tuple[list[BaseRoute], ChatSocket]:
    """The web chat's routes, and its socket (which also delivers counsellors' messages)."""
    if not secret:
        raise ValueError("the pseudonym secret must not be empty")
    page = ChatPage(settings, locales)
    socket = ChatSocket(handler, settings, secret, locales)
    static = WithHeaders(StaticFiles(directory=STATIC_DIR), PRIVATE_HEADERS)
    routes: list[BaseRoute] = [
        Route("/chat", page.render, methods=["GET"], name="webchat_page"),
        WebSocketRoute("/chat/ws", socket.serve, name="webchat_socket"),
        Mount("/static", app=static, name="webchat_static"),
    ]
    return routes, socket


def negotiate(preferred: Sequence[str], settings: Settings, locales: Sequence[str]) -> str:
    """The locale to talk in: the person's first supported preference, else the helpline's default."""
    return choose_locale([*preferred, settings.default_locale], locales)


class ChatPage:
    """The chat page, rendered in the locale the browser asks for."""

    def __init__(self, settings: Settings, locales: Sequence[str]) -> None:
        self._settings = settings
        self._locales = locales
        self._environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=jinja2.StrictUndefined
        )

    async def render(self, request: Request) -> Response:
        """GET /chat."""
        locale = negotiate(
            parse_accept_language(request.headers.get("accept-language")), self._settings, self._locales
        )
        html = self._environment.get_template("chat.html").render(
            locale=locale,
            direction=text_direction(locale),
            text=page_text(self._settings.catalog_dir, locale),
            quick_exit_url=self._settings.quick_exit_url,
            privacy_path=PRIVACY_PATH,
            socket_path=request.url_for("webchat_socket").path,
            stylesheet=request.url_for("webchat_static", path="/chat.css").path,
            script=request.url_for("webchat_static", path="/chat.js").path,
        )
        return HTMLResponse(html, headers=PAGE_HEADERS)


def page_text(catalog_dir: Path, locale: str) -> dict[str, str]:
    """The page's words in a locale."""
    translate = Translator(catalog_dir, locale).gettext
    return {key: translate(message) for key, message in PAGE_TEXT.items()}


@dataclass(frozen=True)
class Hello:
    """The first frame of a socket: who is back (maybe) and which languages they read."""

    session: str | None
    languages: tuple[str, ...]


@dataclass(frozen=True)
class ChatMessage:
    """Something the person typed, or the payload of a button they pressed."""

    id: str | None
    text: str


@dataclass(frozen=True)
class Rejected:
    """A frame that cannot be handled: `kind` is for the logs, `reason` (a catalog string) for the person."""

    reply_to: str | None
    kind: str
    reason: str


Frame = Hello | ChatMessage | Rejected


def parse_frame(raw: str | None) -> Frame:
    """Read one client frame; never raises, whatever a client sends."""
    if raw is None:
        return Rejected(None, "binary_frame", NOT_UNDERSTOOD)
    if len(raw) > MAX_FRAME_CHARS:
        return Rejected(None, "frame_too_long", TOO_LONG)
    try:
        data: Any = json.loads(raw)
    except (ValueError, RecursionError):
        return Rejected(None, "invalid_json", NOT_UNDERSTOOD)
    if not isinstance(data, dict):
        return Rejected(None, "not_an_object", NOT_UNDERSTOOD)
    kind = data.get("type")
    if kind == "hello":
        return Hello(_session_of(data.get("session")), _languages_of(data.get("languages")))
    reply_to = _client_id(data.get("id"))
    if kind != "message":
        return Rejected(reply_to, "unknown_type", NOT_UNDERSTOOD)
    text = data.get("text")
    if not isinstance(text, str):
        return Rejected(reply_to, "text_missing", NOT_UNDERSTOOD)
    text = text.strip()
    if len(text) > MAX_TEXT_CHARS:
        return Rejected(reply_to, "text_too_long", TOO_LONG)
    return ChatMessage(reply_to, text)


def _session_of(value: object) -> str | None:
    return value if isinstance(value, str) and SESSION_TOKEN.fullmatch(value) else None


def _languages_of(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    tags = [tag for tag in value if isinstance(tag, str) and LANGUAGE_TAG.fullmatch(tag)]
    return tuple(tags[:MAX_LANGUAGES])


def _client_id(value: object) -> str | None:
    return value if isinstance(value, str) and len(value) <= MAX_CLIENT_ID_CHARS else None


def reply_frame(reply_to: str | None, reply: Reply) -> dict[str, object]:
    """One of the core's replies, as the browser receives it, with its language and direction."""
    buttons = [{"title": button.title, "payload": button.payload} for button in reply.buttons]
    frame: dict[str, object] = {"type": "reply", "reply_to": reply_to, "text": reply.text, "buttons": buttons}
    if reply.locale:
        frame |= {"locale": reply.locale, "dir": text_direction(reply.locale)}
    # The page does what Telegram's gateway does with the chat: clear it, forget the session, vanish.
    if reply.clears_chat:
        frame["clear"] = True
    if reply.erased:
        frame["forget_session"] = True
    if reply.disappear_after_s is not None:
        frame["disappear_after_s"] = reply.disappear_after_s
    if reply.vanish_after_s is not None:
        frame["vanish_after_s"] = reply.vanish_after_s
    return frame


def interface_frame(catalog_dir: Path, locale: str) -> dict[str, object]:
    """The page's words in a new language, sent when the person switches to it."""
    return {
        "type": "interface",
        "locale": locale,
        "dir": text_direction(locale),
        "text": page_text(catalog_dir, locale),
    }


def error_frame(reply_to: str | None, text: str) -> dict[str, object]:
    """A kind, translated explanation of why a frame got no answer."""
    return {"type": "error", "reply_to": reply_to, "text": text}


@dataclass
class Conversation:
    """What one socket knows after its hello: the person's pseudonym, their browser's language, and the
    language they are answered in (which changes when they choose another)."""

    pseudonym: str
    hint: str
    locale: str


class ChatSocket:
    """The WebSocket: frames in, the conversation core's replies out, one message at a time."""

    def __init__(
        self, handler: ConversationHandler, settings: Settings, secret: bytes, locales: Sequence[str]
    ) -> None:
        self._handler = handler
        self._settings = settings
        self._secret = secret
        self._locales = locales
        # Open sockets by pseudonym, so a counsellor's message reaches every tab the person has open.
        self._connected: dict[str, set[WebSocket]] = {}
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
        await websocket.accept()
        header_languages = parse_accept_language(websocket.headers.get("accept-language"))
        locale = negotiate(header_languages, self._settings, self._locales)
        try:
            await self._serve(websocket, header_languages, locale)
        finally:
            for pseudonym in [name for name, sockets in self._connected.items() if websocket in sockets]:
                self._forget(pseudonym, websocket)

    async def _serve(self, websocket: WebSocket, header_languages: list[str], locale: str) -> None:
        conversation: Conversation | None = None
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                frame = parse_frame(_text_of(message))
                if isinstance(frame, Hello):
                    conversation = await self._start(websocket, frame, header_languages)
                    locale = conversation.locale
                    self._connected.setdefault(conversation.pseudonym, set()).add(websocket)
                    if self.on_connect is not None:  # messages that waited for this page
                        await self.on_connect()
                elif isinstance(frame, Rejected):
                    await self._reject(websocket, frame, locale)
                elif conversation is None:
                    await self._reject(websocket, Rejected(frame.id, "no_hello", NOT_UNDERSTOOD), locale)
                elif frame.text:
                    await self._converse(websocket, conversation, frame)
        except (WebSocketDisconnect, WebSocketDisconnected):
            return

    async def _start(self, websocket: WebSocket, hello: Hello, header_languages: list[str]) -> Conversation:
        session = hello.session
        if session is None:
            session = secrets.token_urlsafe(32)
            log.info("webchat_session_started")
        hint = negotiate([*hello.languages, *header_languages], self._settings, self._locales)
        pseudonym = pseudonym_for(Channel.WEBCHAT, session, self._secret)
        locale = await self._handler.locale_for(pseudonym, Channel.WEBCHAT, hint)
        ready = interface_frame(self._settings.catalog_dir, locale) | {"type": "ready", "session": session}
        await websocket.send_json(ready)
        return Conversation(pseudonym, hint, locale)

    async def _converse(self, websocket: WebSocket, conversation: Conversation, message: ChatMessage) -> None:
        incoming = IncomingMessage(
            pseudonym=conversation.pseudonym,
            channel=Channel.WEBCHAT,
            text=message.text,
            locale=conversation.hint,
            message_key=f"wc-{uuid.uuid4().hex}",
        )
        try:
            replies = await self._handler.handle(incoming)
        except Exception as error:  # the core should not raise, but a person must never see a trace
            log.error("webchat_turn_failed", error=type(error).__name__)
            text = self._translate(conversation.locale, SOMETHING_WENT_WRONG)
            await websocket.send_json(error_frame(message.id, text))
            return
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


def _text_of(message: Message) -> str | None:
    text = message.get("text")
    return text if isinstance(text, str) else None


class WithHeaders:
    """Wraps an ASGI app (here the static files) to add fixed response headers."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self._app = app
        self._headers = [(name.lower().encode(), value.encode()) for name, value in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request through; add the headers to the response's start."""

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *self._headers]}
            await send(message)

        await self._app(scope, receive, send_with_headers)
