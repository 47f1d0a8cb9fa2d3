"""A fake Telegram Bot API server on loopback that speaks the real HTTP API.

Telegram's servers cannot be reached from tests, so python-telegram-bot is pointed here with
`base_url`. Tests inject what a person does (`send_text`, `press_button`, `send_photo`, ...) and
observe what the bot did (`sent_messages`, `calls`, `wait_for_messages`). Requests are answered with
Telegram's JSON shapes and error descriptions (https://core.telegram.org/bots/api).

Deviations, on purpose: webhooks may use plain `http://` URLs (the receiver is a local test server),
a webhook update that still fails after a few retries is dropped (its error stays in
`getWebhookInfo`), text lengths are counted in code points, and `parse_mode` markup is not parsed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import hashlib
import inspect
import json
import logging
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

log = logging.getLogger(__name__)

JSON = dict[str, Any]
MAX_TEXT = 4096
MAX_CALLBACK_DATA_BYTES = 64
WEBHOOK_ATTEMPTS = 5
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_BOT_ID = 5_000_000_001
# Sent only when listed in allowed_updates.
NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


CHAT_ACTIONS = _words(
    "typing upload_photo record_video upload_video record_voice upload_voice upload_document "
    "choose_sticker find_location record_video_note upload_video_note"
)
# Parameters that are strings even when they look like JSON, numbers or booleans.
STRING_PARAMS = _words(
    "text caption data query url secret_token description short_description name title first_name "
    "last_name callback_query_id inline_message_id inline_query_id action parse_mode emoji phone_number "
    "address question explanation payload provider_data provider_token start_parameter next_offset "
    "ip_address language_code business_connection_id message_effect_id vcard file_id custom_emoji_id "
    "sticker photo voice document audio video animation video_note thumbnail certificate invite_link "
    "currency"
)
BAD_BUTTON = "Bad Request: can't parse inline keyboard button: "
COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
INTEGER = re.compile(r"^-?\d+$")
FLOAT = re.compile(r"^-?\d+\.\d*(e-?\d+)?$")
FILE_ID_PREFIX = {"photo": "AgACAgIAAxkBAA", "voice": "AwACAgIAAxkBAA", "document": "BQACAgIAAxkBAA"}
FILE_ID_PREFIX["sticker"] = "CAACAgIAAxkBAA"


@dataclass(frozen=True)
class Call:
    """One Bot API request the bot made, with its parameters decoded (`reply_markup` is a dict)."""

    method: str
    params: dict[str, Any]


@dataclass(frozen=True)
class ApiError:
    """An error answer the fake gave the bot."""

    method: str
    params: dict[str, Any]
    error_code: int
    description: str


class BotAPIError(Exception):
    """An error answer, as Telegram gives it."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> JSON:
        """The JSON answer."""
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass
class _Chat:
    info: JSON
    messages: dict[int, JSON] = field(default_factory=dict)
    bot_sent: list[int] = field(default_factory=list)
    deleted: set[int] = field(default_factory=set)
    last_message_id: int = 0
    bot_is_member: bool = True
    blocked: bool = False

    def next_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id


class FakeTelegramAPI:
    """A Bot API server for one bot, in a background thread; thread-safe to drive from tests."""

    def __init__(self, token: str = "123456:TEST-TOKEN", bot_username: str = "helpline_test_bot") -> None:
        self.token = token
        self.bot_username = bot_username
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else DEFAULT_BOT_ID
        self.port = 0
        self._cond = threading.Condition(threading.RLock())
        self._chats: dict[int, _Chat] = {}
        self._updates: list[JSON] = []
        self._webhook_queue: deque[JSON] = deque()
        self._last_update_id = 0
        self._allowed_updates: list[str] | None = None
        self._webhook: JSON | None = None
        self._webhook_error: tuple[int, str] | None = None
        self._poll_generation = 0
        self._calls: list[Call] = []
        self._errors: list[ApiError] = []
        self._failures: dict[str, deque[BotAPIError]] = {}
        self._callback_queries: dict[str, bool] = {}  # id -> answered
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._files: dict[str, JSON] = {}
        self._sequence = 0
        self._closing = False
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed_event: asyncio.Event | None = None
        self._handlers: dict[str, Callable[[JSON], Any]] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "answercallbackquery": self._answer_callback_query,
            "deletemessage": self._delete_message,
            "deletemessages": self._delete_messages,
            "leavechat": self._leave_chat,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendchataction": self._send_chat_action,
            "getchat": self._get_chat,
            "getfile": self._get_file,
            "close": lambda _params: True,
            "logout": lambda _params: True,
        }

    # ----- lifecycle -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What to give `ApplicationBuilder().base_url(...)`."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """What to give `ApplicationBuilder().base_file_url(...)`."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    def start(self) -> None:
        """Serve on a free loopback port in a background thread; return once it accepts connections."""
        if self._thread is not None:
            raise RuntimeError("the fake Bot API is already running")
        # proto=IPPROTO_TCP makes asyncio set TCP_NODELAY on accepted connections: without it, every
        # keep-alive request waits ~40 ms for a delayed ACK.
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        self.port = listener.getsockname()[1]
        app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._download, methods=["GET"]),
            ],
            exception_handlers={HTTPException: self._not_found},
        )
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=3,
        )
        self._closing = False
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._serve(listener)), name="fake-telegram-api", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake Bot API did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        """End long polls and webhook deliveries, stop serving and wait for the thread."""
        with self._cond:
            self._closing = True
            self._changed()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
        self._thread = None
        self._server = None

    def __enter__(self) -> FakeTelegramAPI:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    async def _serve(self, listener: socket.socket) -> None:
        assert self._server is not None
        self._loop = asyncio.get_running_loop()
        self._changed_event = asyncio.Event()
        worker = asyncio.create_task(self._webhook_worker())
        try:
            await self._server.serve(sockets=[listener])
        finally:
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
            self._loop = None
            listener.close()

    # ----- what a person does ----------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        *,
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> JSON:
        """A Telegram User object for a person."""
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        return user

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        language_code: str | None = "en",
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        chat_type: str = "private",
        chat_id: int | None = None,
    ) -> JSON:
        """The person sends a text message; a leading `/command` gets its bot_command entity."""
        content: JSON = {"text": text}
        command = re.match(r"^/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?", text)
        if command:
            length = _utf16_len(command.group(0))
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        sender = self.user(user_id, first_name=first_name, language_code=language_code)
        sender.update(
            {key: value for key, value in (("last_name", last_name), ("username", username)) if value}
        )
        return self._person_message(sender, content, chat_type, chat_id)

    def send_command(self, user_id: int, command: str, **person: Any) -> JSON:
        """The person sends a bot command such as `/start` (the slash is optional)."""
        return self.send_text(user_id, command if command.startswith("/") else f"/{command}", **person)

    def press_button(self, user_id: int, message: JSON, data: str, **person: Any) -> JSON:
        """The person presses an inline button with `data` under a message the bot sent."""
        chat_id, message_id = message["chat"]["id"], message["message_id"]
        with self._cond:
            chat = self._chats.get(chat_id)
            current = chat.messages.get(message_id) if chat else None
            shown = self._public(current if current is not None else message)
            query_id = str(4_382_000_000_000_000_000 + self._next_sequence())
            self._callback_queries[query_id] = False
            query = {
                "id": query_id,
                "from": self.user(user_id, **person),
                "message": shown,
                "chat_instance": str(int.from_bytes(_digest(f"chat:{chat_id}")[:8], "big", signed=True)),
                "data": data,
            }
            return self._push("callback_query", query)

    def edit_message(self, user_id: int, message: JSON, text: str) -> JSON:
        """The person edits a text message they sent (an `edited_message` update)."""
        with self._cond:
            chat = self._chats[message["chat"]["id"]]
            stored = chat.messages[message["message_id"]]
            if stored["from"]["id"] != user_id:
                raise ValueError("a person can only edit their own messages")
            stored.update(text=text, edit_date=int(time.time()))
            stored.pop("entities", None)
            return self._push("edited_message", copy.deepcopy(stored))

    def send_photo(self, user_id: int, *, caption: str | None = None, **person: Any) -> JSON:
        """The person sends a photo (four sizes, as Telegram makes them)."""
        with self._cond:
            sizes = []
            for width, height in ((90, 68), (320, 240), (800, 600), (1280, 960)):
                size = width * height // 8
                file = self._new_file("photo", size, "photos", "jpg", "image/jpeg")
                sizes.append({**file, "width": width, "height": height})
        return self._media_message(user_id, {"photo": sizes}, caption, person)

    def send_voice(
        self, user_id: int, *, duration: int = 4, caption: str | None = None, **person: Any
    ) -> JSON:
        """The person sends a voice message."""
        with self._cond:
            voice = self._new_file("voice", duration * 4_000, "voice", "oga", "audio/ogg")
        voice.update(duration=duration, mime_type="audio/ogg")
        return self._media_message(user_id, {"voice": voice}, caption, person)

    def send_document(
        self,
        user_id: int,
        *,
        file_name: str = "passport.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        **person: Any,
    ) -> JSON:
        """The person sends a file."""
        extension = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        with self._cond:
            document = self._new_file("document", 48_213, "documents", extension, mime_type)
        document.update(file_name=file_name, mime_type=mime_type)
        return self._media_message(user_id, {"document": document}, caption, person)

    def send_sticker(self, user_id: int, *, emoji: str = "👍", **person: Any) -> JSON:
        """The person sends a sticker."""
        with self._cond:
            sticker = self._new_file("sticker", 23_552, "stickers", "webp", "image/webp")
        sticker.update(type="regular", width=512, height=512, is_animated=False, is_video=False, emoji=emoji)
        sticker["set_name"] = "HelplineTestStickers"
        return self._media_message(user_id, {"sticker": sticker}, None, person)

    def send_location(
        self, user_id: int, *, latitude: float = 44.4268, longitude: float = 26.1025, **person: Any
    ) -> JSON:
        """The person shares a location."""
        location = {"latitude": latitude, "longitude": longitude}
        return self._media_message(user_id, {"location": location}, None, person)

    def send_contact(self, user_id: int, phone_number: str = "+40712345678", **person: Any) -> JSON:
        """The person shares their own contact (their phone number)."""
        contact = {
            "phone_number": phone_number,
            "first_name": person.get("first_name", "Test"),
            "user_id": user_id,
        }
        return self._media_message(user_id, {"contact": contact}, None, person)

    def add_to_group(
        self,
        user_id: int,
        group_chat_id: int,
        *,
        chat_type: str = "group",
        title: str = "Test group",
        **person: Any,
    ) -> JSON:
        """The person adds the bot to a group (a `my_chat_member` update: left -> member)."""
        if chat_type not in ("group", "supergroup"):
            raise ValueError("chat_type must be 'group' or 'supergroup'")
        with self._cond:
            chat = self._chat_for({"id": group_chat_id, "type": chat_type, "title": title})
            chat.bot_is_member = True
            bot = self._bot_user()
            change = {
                "chat": copy.deepcopy(chat.info),
                "from": self.user(user_id, **person),
                "date": int(time.time()),
                "old_chat_member": {"status": "left", "user": bot},
                "new_chat_member": {"status": "member", "user": bot},
            }
            return self._push("my_chat_member", change)

    def block_bot(self, user_id: int, **person: Any) -> JSON:
        """The person blocks the bot: `my_chat_member` member -> kicked; sending to them is Forbidden.

        Their next message unblocks the bot again, as writing to a blocked bot does.
        """
        with self._cond:
            sender = self.user(user_id, **person)
            chat = self._chat_for(_private_chat(sender))
            chat.blocked = True
            bot = self._bot_user()
            change = {
                "chat": copy.deepcopy(chat.info),
                "from": sender,
                "date": int(time.time()),
                "old_chat_member": {"status": "member", "user": bot},
                "new_chat_member": {"status": "kicked", "user": bot, "until_date": 0},
            }
            return self._push("my_chat_member", change)

    # ----- what the bot did ------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        """Every request the bot made (of one method, any case, if given), in order."""
        wanted = method.lower() if method else None
        with self._cond:
            return [call for call in self._calls if wanted is None or call.method.lower() == wanted]

    def errors(self) -> list[ApiError]:
        """Every error answer the fake gave, in order."""
        with self._cond:
            return list(self._errors)

    def sent_messages(self, chat_id: int) -> list[JSON]:
        """The messages the bot sent to a chat, in order, as they are now (edits applied).

        Each has `text` and, when the bot gave one, `reply_markup` as a dict (of any keyboard kind).
        Deleted messages stay in the list: see `deleted_message_ids`.
        """
        with self._cond:
            chat = self._chats.get(chat_id)
            if chat is None:
                return []
            return [copy.deepcopy(chat.messages[message_id]) for message_id in chat.bot_sent]

    def deleted_message_ids(self, chat_id: int) -> set[int]:
        """Ids of the messages the bot deleted in a chat."""
        with self._cond:
            chat = self._chats.get(chat_id)
            return set(chat.deleted) if chat else set()

    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed with getUpdates (or not yet delivered to the webhook)."""
        with self._cond:
            return copy.deepcopy([*self._updates, *self._webhook_queue])

    def wait_for_messages(self, chat_id: int, count: int, timeout: float = 30.0) -> list[JSON]:
        """Block until the bot has sent at least `count` messages to the chat; return them all."""
        with self._cond:
            done = self._cond.wait_for(lambda: self._sent_count(chat_id) >= count, timeout=timeout)
            seen = self.sent_messages(chat_id)
            errors = [f"{e.method}: {e.error_code} {e.description}" for e in self._errors]
        if not done:
            texts = [message.get("text") for message in seen]
            raise AssertionError(
                f"expected {count} message(s) from the bot in chat {chat_id} within {timeout} s, "
                f"saw {len(seen)}: {texts}; errors answered to the bot: {errors}"
            )
        return seen

    async def await_messages(self, chat_id: int, count: int, timeout: float = 30.0) -> list[JSON]:
        """`wait_for_messages` without blocking the event loop."""
        return await asyncio.to_thread(self.wait_for_messages, chat_id, count, timeout)

    def wait_for_call(
        self, method: str, timeout: float = 30.0, predicate: Callable[[Call], bool] | None = None
    ) -> Call:
        """Block until the bot has made a matching request (perhaps already); return the first."""

        def first() -> Call | None:
            return next((call for call in self.calls(method) if predicate is None or predicate(call)), None)

        with self._cond:
            self._cond.wait_for(lambda: first() is not None, timeout=timeout)
            found = first()
            made = [call.method for call in self._calls]
        if found is None:
            raise AssertionError(f"the bot made no matching {method} call within {timeout} s; it made {made}")
        return found

    async def await_call(
        self, method: str, timeout: float = 30.0, predicate: Callable[[Call], bool] | None = None
    ) -> Call:
        """`wait_for_call` without blocking the event loop."""
        return await asyncio.to_thread(self.wait_for_call, method, timeout, predicate)

    def fail_next(
        self,
        method: str,
        error_code: int = 500,
        description: str = "Internal Server Error",
        *,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` with this error (429 + retry_after: flood control)."""
        with self._cond:
            queue = self._failures.setdefault(method.lower(), deque())
            queue.extend(BotAPIError(error_code, description, retry_after) for _ in range(times))

    # ----- the HTTP API ----------------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        if request.path_params["token"] != self.token:
            return self._answer_error(method, {}, BotAPIError(401, "Unauthorized"))
        try:
            params = await _read_params(request)
        except BotAPIError as error:
            return self._answer_error(method, {}, error)
        with self._cond:
            self._calls.append(Call(method, params))
            failures = self._failures.get(method.lower())
            failure = failures.popleft() if failures else None
            self._changed()
        handler = self._handlers.get(method.lower())
        try:
            if failure is not None:
                raise failure
            if handler is None:
                raise BotAPIError(404, "Not Found")
            result = handler(params)
            if inspect.isawaitable(result):
                result = await result
        except BotAPIError as error:
            return self._answer_error(method, params, error)
        except Exception as error:  # a bug in the fake or a parameter of a type it did not expect
            log.exception("fake Bot API failed on %s", method)
            return self._answer_error(method, params, BotAPIError(500, f"Internal Server Error: {error!r}"))
        return JSONResponse({"ok": True, "result": result})

    def _answer_error(self, method: str, params: JSON, error: BotAPIError) -> JSONResponse:
        with self._cond:
            self._errors.append(ApiError(method, params, error.code, error.description))
            self._changed()
        return JSONResponse(error.body(), status_code=error.code)

    async def _not_found(self, _request: Request, _exc: Exception) -> JSONResponse:
        return JSONResponse(BotAPIError(404, "Not Found").body(), status_code=404)

    async def _download(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return JSONResponse(BotAPIError(401, "Unauthorized").body(), status_code=401)
        with self._cond:
            path = request.path_params["path"]
            file = next((f for f in self._files.values() if f["file_path"] == path), None)
        if file is None:
            return JSONResponse(BotAPIError(404, "Not Found").body(), status_code=404)
        content = (_digest(file["file_unique_id"]) * (file["file_size"] // 32 + 1))[: file["file_size"]]
        return Response(content, media_type=file["mime_type"])

    async def _get_updates(self, params: JSON) -> list[JSON]:
        offset = _int(params.get("offset", 0), "Bad Request: wrong parameter offset")
        limit = _int(params.get("limit", 100), "Bad Request: wrong parameter limit") or 100
        limit = min(max(limit, 1), 100)
        try:
            timeout = max(0.0, float(params.get("timeout") or 0))
        except (TypeError, ValueError):
            raise BotAPIError(400, "Bad Request: wrong parameter timeout") from None
        allowed = params.get("allowed_updates")
        with self._cond:
            self._check_no_webhook()
            if isinstance(allowed, list):
                self._allowed_updates = [str(kind) for kind in allowed] or None
            if offset > 0:
                self._updates = [update for update in self._updates if update["update_id"] >= offset]
            elif offset < 0:
                self._updates = self._updates[offset:]
            self._poll_generation += 1
            generation = self._poll_generation
            self._changed()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._changed_event
            assert event is not None
            with self._cond:
                if self._poll_generation != generation:
                    raise BotAPIError(
                        409,
                        "Conflict: terminated by other getUpdates request; "
                        "make sure that only one bot instance is running",
                    )
                self._check_no_webhook()
                remaining = deadline - loop.time()
                if self._updates or self._closing or remaining <= 0:
                    return copy.deepcopy(self._updates[:limit])
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(event.wait(), timeout=remaining)

    def _check_no_webhook(self) -> None:
        if self._webhook is not None:
            raise BotAPIError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )

    def _get_me(self, _params: JSON) -> JSON:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _send_message(self, params: JSON) -> JSON:
        text = _text(params)
        markup = _reply_markup(params)
        with self._cond:
            chat = self._chat(params)
            self._check_can_send(chat)
            reply_to = self._reply_target(chat, params)
            message: JSON = {
                "message_id": chat.next_message_id(),
                "from": self._bot_user(),
                "chat": copy.deepcopy(chat.info),
                "date": int(time.time()),
                "text": text,
            }
            if reply_to is not None:
                message["reply_to_message"] = reply_to
            if isinstance(params.get("entities"), list):
                message["entities"] = params["entities"]
            if params.get("protect_content") is True:
                message["has_protected_content"] = True
            if markup is not None:
                message["reply_markup"] = markup
            chat.messages[message["message_id"]] = message
            chat.bot_sent.append(message["message_id"])
            self._changed()
            return self._public(message)

    def _edit_message_text(self, params: JSON) -> JSON:
        with self._cond:
            message = self._editable(params)
            text = _text(params)
            markup = _inline_or_none(_reply_markup(params))
            entities = params.get("entities") if isinstance(params.get("entities"), list) else None
            if (text, markup, entities) == (
                message.get("text"),
                _inline_or_none(message.get("reply_markup")),
                message.get("entities"),
            ):
                raise _not_modified()
            message.update(text=text, edit_date=int(time.time()))
            _set_or_drop(message, "entities", entities)
            _set_or_drop(message, "reply_markup", markup)
            self._changed()
            return self._public(message)

    def _edit_message_reply_markup(self, params: JSON) -> JSON:
        with self._cond:
            message = self._editable(params)
            markup = _inline_or_none(_reply_markup(params))
            if markup == _inline_or_none(message.get("reply_markup")):
                raise _not_modified()
            message["edit_date"] = int(time.time())
            _set_or_drop(message, "reply_markup", markup)
            self._changed()
            return self._public(message)

    def _answer_callback_query(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if not query_id:
            raise BotAPIError(400, "Bad Request: query_id is empty")
        with self._cond:
            if self._callback_queries.get(query_id, True):
                raise BotAPIError(
                    400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
                )
            self._callback_queries[query_id] = True
        return True

    def _delete_message(self, params: JSON) -> bool:
        with self._cond:
            chat = self._chat(params)
            message_id = _message_id(params)
            if message_id not in chat.messages or message_id in chat.deleted:
                raise BotAPIError(400, "Bad Request: message to delete not found")
            chat.deleted.add(message_id)
            self._changed()
        return True

    def _delete_messages(self, params: JSON) -> bool:
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not ids:
            raise BotAPIError(400, "Bad Request: message identifiers are not specified")
        if len(ids) > 100:
            raise BotAPIError(400, "Bad Request: too many message identifiers specified")
        with self._cond:
            chat = self._chat(params)
            for raw in ids:
                message_id = _int(raw, "Bad Request: message identifier is not specified")
                if message_id in chat.messages:
                    chat.deleted.add(message_id)
            self._changed()
        return True

    def _leave_chat(self, params: JSON) -> bool:
        with self._cond:
            chat = self._chat(params)
            if chat.info["type"] == "private":
                raise BotAPIError(400, "Bad Request: chat member status can't be changed in private chats")
            self._check_can_send(chat)
            chat.bot_is_member = False
            self._changed()
        return True

    def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise BotAPIError(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not COMMAND.match(str(command.get("command", ""))):
                raise BotAPIError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise BotAPIError(400, "Bad Request: command description is empty")
        with self._cond:
            self._commands[_commands_key(params)] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        return True

    def _get_my_commands(self, params: JSON) -> list[JSON]:
        with self._cond:
            return copy.deepcopy(self._commands.get(_commands_key(params), []))

    def _delete_my_commands(self, params: JSON) -> bool:
        with self._cond:
            self._commands.pop(_commands_key(params), None)
        return True

    def _set_webhook(self, params: JSON) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return self._delete_webhook(params)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BotAPIError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not SECRET_TOKEN.match(str(secret)):
            raise BotAPIError(400, "Bad Request: secret token contains unallowed characters")
        allowed = params.get("allowed_updates")
        with self._cond:
            if isinstance(allowed, list):
                self._allowed_updates = [str(kind) for kind in allowed] or None
            if params.get("drop_pending_updates") is True:
                self._updates.clear()
                self._webhook_queue.clear()
            self._webhook_queue.extend(self._updates)
            self._updates.clear()
            self._webhook = {
                "url": url,
                "secret_token": None if secret is None else str(secret),
                "max_connections": _int(
                    params.get("max_connections", 40), "Bad Request: bad max connections"
                ),
            }
            self._webhook_error = None
            self._changed()
        return True

    def _delete_webhook(self, params: JSON) -> bool:
        with self._cond:
            self._webhook = None
            self._updates = sorted([*self._updates, *self._webhook_queue], key=lambda u: u["update_id"])
            self._webhook_queue.clear()
            if params.get("drop_pending_updates") is True:
                self._updates.clear()
            self._changed()
        return True

    def _get_webhook_info(self, _params: JSON) -> JSON:
        with self._cond:
            webhook = self._webhook
            info: JSON = {
                "url": webhook["url"] if webhook else "",
                "has_custom_certificate": False,
                "pending_update_count": len(self._webhook_queue) if webhook else len(self._updates),
            }
            if webhook:
                info.update(ip_address="127.0.0.1", max_connections=webhook["max_connections"])
                if self._webhook_error:
                    date, message = self._webhook_error
                    info.update(last_error_date=date, last_error_message=message)
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
            return info

    def _send_chat_action(self, params: JSON) -> bool:
        if params.get("action") not in CHAT_ACTIONS:
            raise BotAPIError(400, "Bad Request: wrong parameter action in request")
        with self._cond:
            self._check_can_send(self._chat(params))
        return True

    def _get_chat(self, params: JSON) -> JSON:
        with self._cond:
            info = copy.deepcopy(self._chat(params).info)
        gifts = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription")
        return {
            **info,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": dict.fromkeys((*gifts, "gifts_from_channels"), False),
        }

    def _get_file(self, params: JSON) -> JSON:
        with self._cond:
            file = self._files.get(str(params.get("file_id") or ""))
            if file is None:
                raise BotAPIError(400, "Bad Request: invalid file_id")
            return {key: file[key] for key in ("file_id", "file_unique_id", "file_size", "file_path")}

    # ----- webhook delivery ------------------------------------------------------------------------

    async def _webhook_worker(self) -> None:
        async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
            while True:
                event = self._changed_event
                assert event is not None
                with self._cond:
                    if self._closing:
                        return
                    webhook = self._webhook
                    update = self._webhook_queue.popleft() if webhook and self._webhook_queue else None
                if webhook is None or update is None:
                    await event.wait()
                    continue
                await self._deliver(client, webhook, update)

    async def _deliver(self, client: httpx.AsyncClient, webhook: JSON, update: JSON) -> None:
        headers = {"Content-Type": "application/json"}
        if webhook["secret_token"]:
            headers[SECRET_HEADER] = webhook["secret_token"]
        body = json.dumps(update, ensure_ascii=False).encode()
        for attempt in range(WEBHOOK_ATTEMPTS):
            try:
                response = await client.post(webhook["url"], content=body, headers=headers)
                if 200 <= response.status_code < 300:
                    return
                error = f"Wrong response from the webhook: {response.status_code} {response.reason_phrase}"
            except httpx.HTTPError as exc:
                error = f"Connection failed: {type(exc).__name__}: {exc}"
            with self._cond:
                self._webhook_error = (int(time.time()), error)
                if self._closing:
                    return
            await asyncio.sleep(0.05 * 2**attempt)
        log.warning("fake Bot API dropped update %s: %s", update["update_id"], error)

    # ----- internals -------------------------------------------------------------------------------

    def _changed(self) -> None:
        """Wake threads waiting on the condition and coroutines waiting on the server loop."""
        with self._cond:
            self._cond.notify_all()
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has just closed
                loop.call_soon_threadsafe(self._wake_coroutines)

    def _wake_coroutines(self) -> None:
        event, self._changed_event = self._changed_event, asyncio.Event()
        if event is not None:
            event.set()

    def _bot_user(self) -> JSON:
        return {"id": self.bot_id, "is_bot": True, "first_name": "Helpline", "username": self.bot_username}

    def _next_sequence(self) -> int:
        self._sequence += 1
        return self._sequence

    def _sent_count(self, chat_id: int) -> int:
        chat = self._chats.get(chat_id)
        return len(chat.bot_sent) if chat else 0

    def _chat_for(self, info: JSON) -> _Chat:
        """The chat with this Chat object, made or updated (a new dict, so messages keep the old)."""
        chat = self._chats.get(info["id"])
        if chat is None:
            chat = self._chats[info["id"]] = _Chat(info=info)
        elif chat.info != info:
            chat.info = info
        return chat

    def _chat(self, params: JSON, key: str = "chat_id") -> _Chat:
        raw = params.get(key)
        if raw is None or raw == "":
            raise BotAPIError(400, "Bad Request: chat_id is empty")
        if isinstance(raw, str) and raw.startswith("@"):
            found = next((c for c in self._chats.values() if c.info.get("username") == raw[1:]), None)
        else:
            try:
                found = self._chats.get(int(raw))
            except (TypeError, ValueError):
                found = None
        if found is None:
            raise BotAPIError(400, "Bad Request: chat not found")
        return found

    def _check_can_send(self, chat: _Chat) -> None:
        if chat.blocked:
            raise BotAPIError(403, "Forbidden: bot was blocked by the user")
        if chat.info["type"] in ("group", "supergroup") and not chat.bot_is_member:
            raise BotAPIError(403, f"Forbidden: bot is not a member of the {chat.info['type']} chat")

    def _reply_target(self, chat: _Chat, params: JSON) -> JSON | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            raw, allow = reply.get("message_id"), reply.get("allow_sending_without_reply") is True
        else:
            raw, allow = params.get("reply_to_message_id"), params.get("allow_sending_without_reply") is True
        if raw is None:
            return None
        message_id = _int(raw, "Bad Request: message to be replied not found")
        target = chat.messages.get(message_id)
        if target is None or message_id in chat.deleted:
            if allow:
                return None
            raise BotAPIError(400, "Bad Request: message to be replied not found")
        shown = self._public(target)
        shown.pop("reply_to_message", None)
        return shown

    def _editable(self, params: JSON) -> JSON:
        if params.get("inline_message_id"):
            raise BotAPIError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat = self._chat(params)
        message_id = _message_id(params)
        message = chat.messages.get(message_id)
        if message is None or message_id in chat.deleted:
            raise BotAPIError(400, "Bad Request: message to edit not found")
        if message["from"]["id"] != self.bot_id:
            raise BotAPIError(400, "Bad Request: message can't be edited")
        if "text" not in message:
            raise BotAPIError(400, "Bad Request: there is no text in the message to edit")
        return message

    def _public(self, message: JSON) -> JSON:
        """A message as the API shows it: only inline keyboards are part of a Message."""
        shown = copy.deepcopy(message)
        markup = _inline_or_none(shown.pop("reply_markup", None))
        if markup is not None:
            shown["reply_markup"] = markup
        return shown

    def _new_file(self, kind: str, size: int, folder: str, extension: str, mime_type: str) -> JSON:
        number = self._next_sequence()
        digest = _digest(f"{self.token}:{kind}:{number}")
        unique = "AQAD" + base64.urlsafe_b64encode(digest[:9]).decode()
        file_id = FILE_ID_PREFIX[kind] + base64.urlsafe_b64encode(digest + digest[:12]).decode().rstrip("=")
        path = f"{folder}/file_{number}.{extension}"
        self._files[file_id] = {
            "file_id": file_id,
            "file_unique_id": unique,
            "file_size": size,
            "file_path": path,
            "mime_type": mime_type,
        }
        return {"file_id": file_id, "file_unique_id": unique, "file_size": size}

    def _media_message(self, user_id: int, content: JSON, caption: str | None, person: JSON) -> JSON:
        if caption:
            content["caption"] = caption
        chat_type, chat_id = person.pop("chat_type", "private"), person.pop("chat_id", None)
        return self._person_message(self.user(user_id, **person), content, chat_type, chat_id)

    def _person_message(self, sender: JSON, content: JSON, chat_type: str, chat_id: int | None) -> JSON:
        if chat_type == "private" and chat_id not in (None, sender["id"]):
            raise ValueError("a private chat's id is the user's id")
        if chat_type not in ("private", "group", "supergroup"):
            raise ValueError("chat_type must be 'private', 'group' or 'supergroup'")
        with self._cond:
            if chat_type == "private":
                info = _private_chat(sender)
            else:
                if chat_id is None:
                    offset = 0 if chat_type == "group" else 1_000_000_000_000
                    chat_id = -offset - abs(sender["id"])
                known = self._chats.get(chat_id)
                info = known.info if known else {"id": chat_id, "type": chat_type, "title": "Test group"}
            chat = self._chat_for(info)
            chat.blocked = False
            chat.bot_is_member = True
            message = {
                "message_id": chat.next_message_id(),
                "from": sender,
                "chat": copy.deepcopy(chat.info),
                "date": int(time.time()),
                **content,
            }
            chat.messages[message["message_id"]] = message
            return self._push("message", copy.deepcopy(message))

    def redeliver(self, update: JSON) -> None:
        """Deliver an update again with its same id, as Telegram does when a bot crashed mid-update."""
        with self._cond:
            (self._webhook_queue if self._webhook else self._updates).append(copy.deepcopy(update))
            self._changed()

    def _push(self, kind: str, payload: JSON) -> JSON:
        """Queue an update for getUpdates or the webhook (if its type is allowed); return it."""
        with self._cond:
            self._last_update_id += 1
            update = {"update_id": self._last_update_id, kind: payload}
            allowed = self._allowed_updates
            if (kind in allowed) if allowed else (kind not in NOT_BY_DEFAULT):
                (self._webhook_queue if self._webhook else self._updates).append(copy.deepcopy(update))
                self._changed()
            return update


# ----- parameters ---------------------------------------------------------------------------------


async def _read_params(request: Request) -> JSON:
    """Parameters from the query string and a JSON, form-urlencoded or multipart body."""
    params: JSON = {key: _from_form(key, value) for key, value in request.query_params.multi_items()}
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    kind = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return params
    if kind == "application/json":
        try:
            data = json.loads(body)
        except ValueError:
            raise BotAPIError(400, "Bad Request: can't parse JSON encoded request") from None
        if not isinstance(data, dict):
            raise BotAPIError(400, "Bad Request: request parameters must be a JSON object")
        params.update({key: _from_json(key, value) for key, value in data.items()})
    elif kind == "application/x-www-form-urlencoded":
        try:
            fields = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            raise BotAPIError(400, "Bad Request: request body is not UTF-8") from None
        params.update({key: _from_form(key, value) for key, value in fields})
    elif kind == "multipart/form-data":
        params.update(_multipart(content_type, body))
    return params


def _multipart(content_type: str, body: bytes) -> JSON:
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise BotAPIError(400, "Bad Request: can't parse multipart/form-data request")
    params: JSON = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            continue
        raw = part.get_payload(decode=True)
        payload = raw if isinstance(raw, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            params[name] = {
                "file_name": filename,
                "mime_type": part.get_content_type(),
                "size": len(payload),
                "content": payload,
            }
        else:
            params[name] = _from_form(name, payload.decode(part.get_content_charset() or "utf-8"))
    return params


def _from_form(key: str, value: str) -> Any:
    """Form and query values are strings; complex ones are JSON (PTB sends reply_markup so)."""
    if key in STRING_PARAMS:
        return value
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if value in ("true", "false"):
        return value == "true"
    if INTEGER.match(value):
        return int(value)
    if FLOAT.match(value):
        return float(value)
    return value


def _from_json(key: str, value: Any) -> Any:
    """JSON bodies may still carry complex parameters JSON-encoded as strings."""
    if isinstance(value, str) and key not in STRING_PARAMS and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _int(value: Any, error: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and INTEGER.match(value.strip()):
        return int(value)
    raise BotAPIError(400, error)


def _message_id(params: JSON) -> int:
    return _int(params.get("message_id"), "Bad Request: message identifier is not specified")


def _text(params: JSON) -> str:
    raw = params.get("text")
    text = "" if raw is None else str(raw)
    if not text.strip():
        raise BotAPIError(400, "Bad Request: message text is empty")
    if len(text) > MAX_TEXT:
        raise BotAPIError(400, "Bad Request: message is too long")
    return text


def _reply_markup(params: JSON) -> JSON | None:
    """The reply_markup parameter, checked like Telegram checks inline keyboards."""
    markup = params.get("reply_markup")
    if markup is None or markup == "":
        return None
    if isinstance(markup, str):
        try:
            markup = json.loads(markup)
        except ValueError:
            markup = None
    if not isinstance(markup, dict):
        raise BotAPIError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise BotAPIError(400, f'{BAD_BUTTON}Field "inline_keyboard" must be an Array of Arrays')
        for button in (button for row in rows for button in row):
            _check_button(button)
    elif not {"keyboard", "remove_keyboard", "force_reply"} & markup.keys():
        raise BotAPIError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    return markup


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str) or not button["text"]:
        raise BotAPIError(400, f'{BAD_BUTTON}Field "text" must be of type String')
    if not set(button) - {"text"}:
        raise BotAPIError(400, f"{BAD_BUTTON}Text buttons are unallowed in the inline keyboard")
    if "callback_data" in button:
        size = len(str(button["callback_data"]).encode())
        if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
            raise BotAPIError(400, "Bad Request: BUTTON_DATA_INVALID")
    if "url" in button and urlsplit(str(button["url"])).scheme not in ("http", "https", "tg"):
        raise BotAPIError(400, "Bad Request: BUTTON_URL_INVALID")


def _inline_or_none(markup: Any) -> JSON | None:
    """An inline keyboard with at least one button, else None (no keyboard shown)."""
    if isinstance(markup, dict) and any(markup.get("inline_keyboard") or []):
        return markup
    return None


def _set_or_drop(message: JSON, key: str, value: Any) -> None:
    if value is None:
        message.pop(key, None)
    else:
        message[key] = value


def _not_modified() -> BotAPIError:
    return BotAPIError(
        400,
        "Bad Request: message is not modified: specified new message content and reply markup are "
        "exactly the same as a current content and reply markup of the message",
    )


def _commands_key(params: JSON) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")


def _private_chat(user: JSON) -> JSON:
    chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    for key in ("last_name", "username"):
        if key in user:
            chat[key] = user[key]
    return chat


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
