"""A fake Telegram Bot API server on loopback that speaks the real HTTP API.

Telegram's servers cannot be reached from tests, so python-telegram-bot is pointed here with
`base_url`. Tests inject what a person does (`send_text`, `press_button`, `send_photo`, ...) and
observe what the bot did (`sent_messages`, `calls`, `wait_for_messages`). This is the only fake in
the test suite: everything behind the gateway is real.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

MAX_TEXT = 4096
BOT_ID = 5_000_000_001


@dataclass(frozen=True)
class Call:
    """One Bot API request the bot made."""

    method: str
    params: dict[str, Any]


class BotAPIError(Exception):
    """An error answer, as Telegram gives it."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def _decode(value: Any) -> Any:
    """Form values carry JSON for complex parameters (reply_markup, allowed_updates, ...)."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class FakeTelegramAPI:
    """A Bot API server for one bot, in a background thread; thread-safe to drive from tests."""

    def __init__(self, token: str = "123456:TEST-TOKEN", bot_username: str = "helpline_test_bot") -> None:
        self.token = token
        self.bot_username = bot_username
        self._lock = threading.Condition()
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._callback_ids = itertools.count(1)
        self._chats: dict[int, dict[str, Any]] = {}
        self._sent: dict[int, list[dict[str, Any]]] = {}
        self._deleted: dict[int, set[int]] = {}
        self._calls: list[Call] = []
        self._commands: list[dict[str, Any]] = []
        self._webhook_url = ""
        self._webhook_secret: str | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

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
        """Serve on a free loopback port; return once the server accepts connections."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        app = Starlette(routes=[Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="fake-telegram-api", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake Bot API did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.should_exit = True
        with self._lock:
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)

    # ----- what a person does ----------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        *,
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> dict[str, Any]:
        """A Telegram User object."""
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
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
    ) -> dict[str, Any]:
        """The person sends a text message."""
        sender = self.user(
            user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        return self._person_message(sender, {"text": text}, chat_type=chat_type, chat_id=chat_id)

    def send_command(self, user_id: int, command: str, **kwargs: Any) -> dict[str, Any]:
        """The person sends a bot command such as `/start`."""
        update = self.send_text(user_id, command, **kwargs)
        return update

    def press_button(self, user_id: int, message: dict[str, Any], data: str, **kwargs: Any) -> dict[str, Any]:
        """The person presses an inline keyboard button under a message the bot sent."""
        query = {
            "id": str(next(self._callback_ids)),
            "from": self.user(user_id, **kwargs),
            "message": message,
            "chat_instance": f"instance-{message['chat']['id']}",
            "data": data,
        }
        return self._push({"callback_query": query})

    def send_photo(self, user_id: int, **kwargs: Any) -> dict[str, Any]:
        """The person sends a photo."""
        sizes = [
            {
                "file_id": f"photo-{user_id}-{w}",
                "file_unique_id": f"u{w}",
                "width": w,
                "height": w,
                "file_size": w * 40,
            }
            for w in (90, 320, 800)
        ]
        return self._person_message(self.user(user_id, **kwargs), {"photo": sizes})

    def send_voice(self, user_id: int, **kwargs: Any) -> dict[str, Any]:
        """The person sends a voice message."""
        voice = {
            "file_id": f"voice-{user_id}",
            "file_unique_id": "uv",
            "duration": 4,
            "mime_type": "audio/ogg",
        }
        return self._person_message(self.user(user_id, **kwargs), {"voice": voice})

    def send_location(self, user_id: int, **kwargs: Any) -> dict[str, Any]:
        """The person shares a location."""
        return self._person_message(
            self.user(user_id, **kwargs), {"location": {"latitude": 44.43, "longitude": 26.1}}
        )

    def send_document(self, user_id: int, **kwargs: Any) -> dict[str, Any]:
        """The person sends a file."""
        document = {
            "file_id": f"doc-{user_id}",
            "file_unique_id": "ud",
            "file_name": "passport.pdf",
            "mime_type": "application/pdf",
        }
        return self._person_message(self.user(user_id, **kwargs), {"document": document})

    def send_sticker(self, user_id: int, **kwargs: Any) -> dict[str, Any]:
        """The person sends a sticker."""
        sticker = {
            "file_id": f"sticker-{user_id}",
            "file_unique_id": "us",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return self._person_message(self.user(user_id, **kwargs), {"sticker": sticker})

    def send_contact(self, user_id: int, phone_number: str = "+40712345678", **kwargs: Any) -> dict[str, Any]:
        """The person shares a contact (their phone number)."""
        contact = {"phone_number": phone_number, "first_name": "Test", "user_id": user_id}
        return self._person_message(self.user(user_id, **kwargs), {"contact": contact})

    def add_to_group(self, user_id: int, group_chat_id: int) -> dict[str, Any]:
        """The person adds the bot to a group."""
        chat = {"id": group_chat_id, "type": "group", "title": "A group"}
        with self._lock:
            self._chats[group_chat_id] = chat
        member_update = {
            "chat": chat,
            "from": self.user(user_id),
            "date": int(time.time()),
            "old_chat_member": {"status": "left", "user": self._bot_user()},
            "new_chat_member": {"status": "member", "user": self._bot_user()},
        }
        return self._push({"my_chat_member": member_update})

    # ----- what the bot did ------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        """Every request the bot made (of one method, if given), in order."""
        with self._lock:
            return [call for call in self._calls if method is None or call.method == method]

    def sent_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The messages the bot sent to a chat, in order."""
        with self._lock:
            return list(self._sent.get(chat_id, []))

    def deleted_message_ids(self, chat_id: int) -> set[int]:
        """Ids of messages the bot deleted in a chat."""
        with self._lock:
            return set(self._deleted.get(chat_id, set()))

    def wait_for_messages(self, chat_id: int, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Block until the bot has sent at least `count` messages to the chat; return them all."""
        with self._lock:
            done = self._lock.wait_for(lambda: len(self._sent.get(chat_id, [])) >= count, timeout=timeout)
            seen = list(self._sent.get(chat_id, []))
        if not done:
            texts = [message.get("text") for message in seen]
            raise AssertionError(
                f"expected {count} message(s) in chat {chat_id} within {timeout} s, got {texts}"
            )
        return seen

    async def await_messages(self, chat_id: int, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        """`wait_for_messages` without blocking the event loop."""
        return await asyncio.to_thread(self.wait_for_messages, chat_id, count, timeout)

    def wait_for_call(
        self, method: str, timeout: float = 30.0, predicate: Callable[[Call], bool] | None = None
    ) -> Call:
        """Block until the bot makes a matching request; return it."""

        def matching() -> Call | None:
            for call in self._calls:
                if call.method == method and (predicate is None or predicate(call)):
                    return call
            return None

        with self._lock:
            self._lock.wait_for(lambda: matching() is not None, timeout=timeout)
            found = matching()
        if found is None:
            raise AssertionError(f"the bot made no matching {method} call within {timeout} s")
        return found

    # ----- the HTTP API ----------------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.token:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401
            )
        method = request.path_params["method"]
        try:
            params = await self._params(request)
        except BotAPIError as error:
            body = {"ok": False, "error_code": error.code, "description": error.description}
            return JSONResponse(body, status_code=error.code)
        with self._lock:
            self._calls.append(Call(method, params))
            self._lock.notify_all()
        handler = getattr(self, f"_api_{method.lower()}", None)
        if handler is None:
            return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, status_code=404)
        try:
            result = await handler(params) if method.lower() == "getupdates" else handler(params)
        except BotAPIError as error:
            body = {"ok": False, "error_code": error.code, "description": error.description}
            return JSONResponse(body, status_code=error.code)
        return JSONResponse({"ok": True, "result": result})

    async def _params(self, request: Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query_params)
        content_type = request.headers.get("content-type", "")
        if "application/json" in content_type:
            body = await request.body()
            if body:
                params.update(json.loads(body))
        elif "application/x-www-form-urlencoded" in content_type:
            params.update(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        elif "multipart/form-data" in content_type:
            # Only uploads use multipart; the helpline never uploads files.
            raise BotAPIError(400, "Bad Request: the fake Bot API takes no file uploads")
        return {key: _decode(value) for key, value in params.items()}

    async def _api_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        with self._lock:
            if offset:
                self._updates = [update for update in self._updates if update["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                pending = self._updates[:limit]
            if pending or time.monotonic() >= deadline or (self._server and self._server.should_exit):
                return pending
            await asyncio.to_thread(self._wait_for_update, min(0.5, max(0.0, deadline - time.monotonic())))

    def _wait_for_update(self, timeout: float) -> None:
        with self._lock:
            self._lock.wait_for(lambda: bool(self._updates), timeout=timeout)

    def _api_getme(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self._bot_user(),
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _api_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        text = str(params.get("text") or "")
        if not text.strip():
            raise BotAPIError(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            raise BotAPIError(400, "Bad Request: message is too long")
        chat_id = int(params["chat_id"])
        with self._lock:
            chat = self._chats.get(chat_id)
            if chat is None:
                raise BotAPIError(400, "Bad Request: chat not found")
            message: dict[str, Any] = {
                "message_id": self._next_message_id(chat_id),
                "from": self._bot_user(),
                "chat": chat,
                "date": int(time.time()),
                "text": text,
            }
            for key in ("reply_markup", "protect_content", "disable_notification"):
                if key in params:
                    message[key] = params[key]
            self._sent.setdefault(chat_id, []).append(message)
            self._lock.notify_all()
        return message

    def _api_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find_sent(int(params["chat_id"]), int(params["message_id"]))
        with self._lock:
            message["text"] = str(params["text"])
            if "reply_markup" in params:
                message["reply_markup"] = params["reply_markup"]
        return message

    def _api_editmessagereplymarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find_sent(int(params["chat_id"]), int(params["message_id"]))
        with self._lock:
            if params.get("reply_markup"):
                message["reply_markup"] = params["reply_markup"]
            else:
                message.pop("reply_markup", None)
        return message

    def _api_answercallbackquery(self, _params: dict[str, Any]) -> bool:
        return True

    def _api_deletemessage(self, params: dict[str, Any]) -> bool:
        with self._lock:
            self._deleted.setdefault(int(params["chat_id"]), set()).add(int(params["message_id"]))
        return True

    def _api_deletemessages(self, params: dict[str, Any]) -> bool:
        ids = params["message_ids"]
        with self._lock:
            self._deleted.setdefault(int(params["chat_id"]), set()).update(int(i) for i in ids)
        return True

    def _api_leavechat(self, _params: dict[str, Any]) -> bool:
        return True

    def _api_setmycommands(self, params: dict[str, Any]) -> bool:
        with self._lock:
            self._commands = list(params.get("commands") or [])
        return True

    def _api_getmycommands(self, _params: dict[str, Any]) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._commands)

    def _api_deletemycommands(self, _params: dict[str, Any]) -> bool:
        with self._lock:
            self._commands = []
        return True

    def _api_setwebhook(self, params: dict[str, Any]) -> bool:
        with self._lock:
            self._webhook_url = str(params.get("url") or "")
            self._webhook_secret = params.get("secret_token")
        return True

    def _api_deletewebhook(self, _params: dict[str, Any]) -> bool:
        with self._lock:
            self._webhook_url = ""
            self._webhook_secret = None
        return True

    def _api_getwebhookinfo(self, _params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            return {
                "url": self._webhook_url,
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }

    def _api_sendchataction(self, _params: dict[str, Any]) -> bool:
        return True

    def _api_getchat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        with self._lock:
            chat = self._chats.get(chat_id)
        if chat is None:
            raise BotAPIError(400, "Bad Request: chat not found")
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11}

    def _api_close(self, _params: dict[str, Any]) -> bool:
        return True

    def _api_logout(self, _params: dict[str, Any]) -> bool:
        return True

    # ----- internals -------------------------------------------------------------------------------

    def _bot_user(self) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Helpline", "username": self.bot_username}

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _find_sent(self, chat_id: int, message_id: int) -> dict[str, Any]:
        with self._lock:
            for message in self._sent.get(chat_id, []):
                if message["message_id"] == message_id:
                    return message
        raise BotAPIError(400, "Bad Request: message to edit not found")

    def _person_message(
        self,
        sender: dict[str, Any],
        content: dict[str, Any],
        *,
        chat_type: str = "private",
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        if chat_type == "private":
            chat = {"id": sender["id"], "type": "private", "first_name": sender["first_name"]}
            for key in ("last_name", "username"):
                if key in sender:
                    chat[key] = sender[key]
        else:
            chat = {
                "id": chat_id if chat_id is not None else -sender["id"],
                "type": chat_type,
                "title": "A group",
            }
        with self._lock:
            self._chats[chat["id"]] = chat
            message = {
                "message_id": self._next_message_id(chat["id"]),
                "from": sender,
                "chat": chat,
                "date": int(time.time()),
                **content,
            }
        text = content.get("text")
        if isinstance(text, str) and text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._push({"message": message})

    def _push(self, content: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            update = {"update_id": next(self._update_ids), **content}
            webhook, secret = self._webhook_url, self._webhook_secret
            if not webhook:
                self._updates.append(update)
                self._lock.notify_all()
        if webhook:
            self._deliver(webhook, secret, update)
        return update

    def _deliver(self, url: str, secret: str | None, update: dict[str, Any]) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        for attempt in range(5):
            try:
                response = httpx.post(url, json=update, headers=headers, timeout=10)
                if response.status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2 * (attempt + 1))
        raise AssertionError(f"the webhook at {url} did not accept update {update['update_id']}")
