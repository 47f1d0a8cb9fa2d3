"""The fake Telegram Bot API, driven by python-telegram-bot itself over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    RetryAfter,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakes.telegram_api import FakeTelegramAPI
from tests.stack import free_port

USER = 700_000_123
GROUP = -1_001_234_567_890
SECRET = "s3cret-Token_1"


@pytest.fixture
def fake() -> Iterator[FakeTelegramAPI]:
    with FakeTelegramAPI() as api:
        yield api


@pytest.fixture
async def bot(fake: FakeTelegramAPI) -> AsyncIterator[Bot]:
    async with Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as bot:
        yield bot


def build_app(
    fake: FakeTelegramAPI, *handlers: BaseHandler[Any, Any, Any]
) -> Application[Any, Any, Any, Any, Any, Any]:
    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )
    for handler in handlers:
        app.add_handler(handler)
    return app


@asynccontextmanager
async def polling(
    fake: FakeTelegramAPI, *handlers: BaseHandler[Any, Any, Any]
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """A small PTB Application long-polling the fake, as the gateway does."""
    app = build_app(fake, *handlers)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


class Receiver:
    """A tiny webhook receiver that records every POST and answers 500 to the first `fail_first`."""

    def __init__(self, fail_first: int = 0) -> None:
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        self._fail_first = fail_first
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with receiver._cond:
                    receiver.requests.append((dict(self.headers), body))
                    failing = len(receiver.requests) <= receiver._fail_first
                    receiver._cond.notify_all()
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[dict[str, str], dict[str, Any]]]:
        def wait() -> list[tuple[dict[str, str], dict[str, Any]]]:
            with self._cond:
                assert self._cond.wait_for(lambda: len(self.requests) >= count, timeout), self.requests
                return list(self.requests)

        return await asyncio.to_thread(wait)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


async def test_get_me_describes_the_bot(fake: FakeTelegramAPI, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456, True, "helpline_test_bot")
    assert bot.username == "helpline_test_bot"
    assert [call.method for call in fake.calls("getMe")] == ["getMe", "getMe"]  # initialize + ours


async def test_send_message_returns_a_full_message_with_the_keyboard_decoded(
    fake: FakeTelegramAPI, bot: Bot
) -> None:
    fake.send_text(USER, "hello")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Shelter", callback_data="/ask_shelter")]])
    sent = await bot.send_message(USER, "[not JSON] {really}", reply_markup=keyboard)
    second = await bot.send_message(USER, "true")

    assert (sent.message_id, second.message_id) == (2, 3)  # shared with the person's message 1
    assert sent.from_user is not None and sent.from_user.id == bot.id
    assert sent.chat.id == USER and sent.reply_markup == keyboard
    [call, _] = fake.calls("sendMessage")
    assert call.params == {"chat_id": USER, "text": "[not JSON] {really}", "reply_markup": keyboard.to_dict()}
    [first, plain] = fake.sent_messages(USER)
    assert first["text"] == "[not JSON] {really}"
    assert first["reply_markup"] == {
        "inline_keyboard": [[{"text": "Shelter", "callback_data": "/ask_shelter"}]]
    }
    assert plain["text"] == "true" and "reply_markup" not in plain


async def test_send_message_is_refused_as_telegram_refuses_it(fake: FakeTelegramAPI, bot: Bot) -> None:
    fake.send_text(USER, "hello")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "x" * 4097)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER, "")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(USER + 1, "who are you?")
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("B", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(USER, "keyboard", reply_markup=too_long)
    assert await bot.send_message(USER, "x" * 4096)
    assert [(error.error_code, error.description) for error in fake.errors()][:2] == [
        (400, "Bad Request: message is too long"),
        (400, "Bad Request: message text is empty"),
    ]
    assert len(fake.sent_messages(USER)) == 1


async def test_a_polling_application_echoes_and_answers_commands(fake: FakeTelegramAPI) -> None:
    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None and update.effective_message is not None
        await update.effective_chat.send_message(f"echo: {update.effective_message.text}")

    async def start(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("welcome", do_quote=True)

    handlers = (CommandHandler("start", start), MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with polling(fake, *handlers):
        command = fake.send_command(USER, "/start")
        text = fake.send_text(USER, "I need help", language_code="ro")
        welcome, echoed = await fake.await_messages(USER, 2, timeout=10)
    assert command["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert welcome["text"] == "welcome"
    assert welcome["reply_to_message"]["message_id"] == command["message"]["message_id"]
    assert echoed["text"] == "echo: I need help"
    assert echoed["message_id"] == text["message"]["message_id"] + 2
    assert fake.pending_updates() == []  # PTB confirmed both updates with its next offset


async def test_a_pressed_button_is_answered_and_its_message_edited(fake: FakeTelegramAPI, bot: Bot) -> None:
    async def on_button(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Noted")
        await query.edit_message_text(f"You chose {query.data}")

    fake.send_command(USER, "start")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="/yes")]])
    await bot.send_message(USER, "Are you safe?", reply_markup=keyboard)
    [question] = fake.sent_messages(USER)
    async with polling(fake, CallbackQueryHandler(on_button)):
        pressed = fake.press_button(USER, question, "/yes")
        edit = await fake.await_call("editMessageText", timeout=10)

    query_id = pressed["callback_query"]["id"]
    assert fake.calls("answerCallbackQuery")[0].params == {"callback_query_id": query_id, "text": "Noted"}
    assert edit.params["message_id"] == question["message_id"]
    [edited] = fake.sent_messages(USER)
    assert edited["text"] == "You chose /yes" and "edit_date" in edited
    assert "reply_markup" not in edited  # editing the text without a keyboard removes it, as on Telegram
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)


async def test_edits_that_change_nothing_are_refused(fake: FakeTelegramAPI, bot: Bot) -> None:
    fake.send_text(USER, "hi")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Menu", callback_data="/menu")]])
    sent = await bot.send_message(USER, "Menu", reply_markup=keyboard)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Menu", chat_id=USER, message_id=sent.message_id, reply_markup=keyboard)
    edited = await bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id)
    assert isinstance(edited, type(sent)) and edited.reply_markup is None
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("forged", chat_id=USER, message_id=1)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("gone", chat_id=USER, message_id=99)


async def test_deleted_messages_are_recorded(fake: FakeTelegramAPI, bot: Bot) -> None:
    person = fake.send_text(USER, "my passport number is ...")["message"]["message_id"]
    ids = [(await bot.send_message(USER, f"answer {n}")).message_id for n in range(3)]
    assert await bot.delete_messages(USER, [person, ids[0], ids[1], 999])
    assert await bot.delete_message(USER, ids[2])
    assert fake.deleted_message_ids(USER) == {person, *ids}
    assert fake.calls("deleteMessages")[0].params["message_ids"] == [person, ids[0], ids[1], 999]
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(USER, ids[2])
    assert len(fake.sent_messages(USER)) == 3


async def test_webhook_mode_posts_updates_with_the_secret_and_retries(
    fake: FakeTelegramAPI, bot: Bot
) -> None:
    receiver = Receiver(fail_first=1)
    try:
        assert await bot.set_webhook(receiver.url, secret_token=SECRET)
        assert (await bot.get_webhook_info()).url == receiver.url
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
        update = fake.send_text(USER, "over the webhook")
        [(_, failed), (headers, body)] = await receiver.wait_for(2)
        assert failed == body == update
        assert headers["X-Telegram-Bot-Api-Secret-Token"] == SECRET
        parsed = Update.de_json(body, bot)
        assert parsed.message is not None and parsed.message.text == "over the webhook"

        assert await bot.delete_webhook()
        second = fake.send_text(USER, "back to polling")
        [polled] = await bot.get_updates(timeout=0)
        assert polled.update_id == second["update_id"]
        assert len(receiver.requests) == 2
    finally:
        receiver.close()


async def test_a_webhook_application_gets_updates_from_the_fake(fake: FakeTelegramAPI) -> None:
    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None and update.effective_message is not None
        await update.effective_chat.send_message(f"echo: {update.effective_message.text}")

    port = free_port()
    app = build_app(fake, MessageHandler(filters.TEXT, echo))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="telegram",
            webhook_url=f"http://127.0.0.1:{port}/telegram",
            secret_token=SECRET,
        )
        try:
            fake.send_text(USER, "hi by webhook")
            [echoed] = await fake.await_messages(USER, 1, timeout=10)
        finally:
            await app.updater.stop()
            await app.stop()
    assert echoed["text"] == "echo: hi by webhook"
    assert fake.calls("setWebhook")[0].params["secret_token"] == SECRET


async def test_a_wrong_token_is_unauthorized(fake: FakeTelegramAPI) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=fake.base_url):
            pass
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{fake.base_url}999:WRONG/getMe")
    assert answer.status_code == 401
    assert answer.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert fake.calls() == []


async def test_an_unknown_method_is_not_found(fake: FakeTelegramAPI, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": USER})
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{fake.base_url}{fake.token}/sendTelepathy")
        elsewhere = await client.get(f"http://127.0.0.1:{fake.port}/nothing/here")
    assert answer.status_code == elsewhere.status_code == 404
    assert answer.json() == elsewhere.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_parameters_arrive_as_query_string_json_form_or_multipart(fake: FakeTelegramAPI) -> None:
    fake.send_text(USER, "hi")
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "/a"}]]}
    url = f"{fake.base_url}{fake.token}/sendMessage"
    async with httpx.AsyncClient() as client:
        by_query = await client.get(
            url, params={"chat_id": USER, "text": "123", "reply_markup": json.dumps(markup)}
        )
        by_json = await client.post(
            url, json={"chat_id": str(USER), "text": "{}", "reply_markup": json.dumps(markup)}
        )
        by_form = await client.post(
            url, data={"chat_id": USER, "text": "[1, 2]", "disable_notification": "true"}
        )
        by_multipart = await client.post(
            url,
            data={"chat_id": str(USER), "text": "ĉu vi?"},
            files={"photo": ("a.jpg", b"\xff\xd8", "image/jpeg")},
        )
        bad_json = await client.post(url, content=b"{", headers={"Content-Type": "application/json"})
    for answer in (by_query, by_json, by_form, by_multipart):
        assert answer.status_code == 200 and answer.json()["ok"] is True
    assert by_query.json()["result"]["reply_markup"] == markup
    assert [call.params for call in fake.calls("sendMessage")][:4] == [
        {"chat_id": USER, "text": "123", "reply_markup": markup},
        {"chat_id": str(USER), "text": "{}", "reply_markup": markup},
        {"chat_id": USER, "text": "[1, 2]", "disable_notification": True},
        {
            "chat_id": USER,
            "text": "ĉu vi?",
            "photo": {"file_name": "a.jpg", "mime_type": "image/jpeg", "size": 2, "content": b"\xff\xd8"},
        },
    ]
    assert bad_json.status_code == 400 and bad_json.json()["ok"] is False


async def test_get_updates_long_polls_and_an_offset_confirms(fake: FakeTelegramAPI, bot: Bot) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.2)
    injected = fake.send_text(USER, "wake up")
    [update] = await asyncio.wait_for(poll, timeout=5)
    assert time.monotonic() - started < 3
    assert update.update_id == injected["update_id"]
    assert len(await bot.get_updates(timeout=0)) == 1  # not confirmed yet
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
    assert fake.pending_updates() == []
    fake.send_text(USER, "one")
    fake.send_text(USER, "two")
    [last] = await bot.get_updates(offset=-1, timeout=0)
    assert last.message is not None and last.message.text == "two"


async def test_every_injected_update_parses_in_ptb(fake: FakeTelegramAPI, bot: Bot) -> None:
    fake.send_photo(USER, caption="my contract")
    fake.send_voice(USER)
    fake.send_location(USER)
    fake.send_document(USER)
    fake.send_sticker(USER)
    fake.send_contact(USER)
    fake.add_to_group(USER, GROUP)
    fake.send_text(USER, "hello group", chat_type="group", chat_id=GROUP)
    typed = fake.send_text(USER, "typo", first_name="Ana", last_name="Pop", username="ana_p")
    fake.edit_message(USER, typed["message"], "fixed")
    updates = await bot.get_updates(timeout=0)
    photo, voice, location, document, sticker, contact, joined, group, text, edited = updates

    assert [update.update_id for update in updates] == list(range(1, 11))
    assert (
        photo.message is not None and len(photo.message.photo) == 4 and photo.message.caption == "my contract"
    )
    assert voice.message is not None and voice.message.voice is not None and voice.message.voice.duration
    assert location.message is not None and location.message.location is not None
    assert document.message is not None and document.message.document is not None
    assert sticker.message is not None and sticker.message.sticker is not None
    assert contact.message is not None and contact.message.contact is not None
    assert contact.message.contact.user_id == USER
    assert joined.my_chat_member is not None and joined.my_chat_member.new_chat_member.status == "member"
    assert joined.my_chat_member.new_chat_member.user.id == bot.id
    assert group.effective_chat is not None and (group.effective_chat.id, group.effective_chat.type) == (
        GROUP,
        "group",
    )
    assert text.effective_user is not None and text.effective_user.username == "ana_p"
    assert edited.edited_message is not None and edited.edited_message.text == "fixed"

    file = await photo.message.photo[-1].get_file()
    content = await file.download_as_bytearray()
    assert len(content) == photo.message.photo[-1].file_size


async def test_wait_for_messages_reports_what_it_saw(fake: FakeTelegramAPI, bot: Bot) -> None:
    fake.send_text(USER, "hi")
    await bot.send_message(USER, "only one")
    with pytest.raises(AssertionError, match=r"expected 2 message\(s\).*'only one'"):
        await fake.await_messages(USER, 2, timeout=0.2)
    with pytest.raises(AssertionError, match="no matching leaveChat"):
        fake.wait_for_call("leaveChat", timeout=0.1)


async def test_commands_chats_and_leaving_a_group(fake: FakeTelegramAPI, bot: Bot) -> None:
    assert await bot.set_my_commands([("start", "Start"), ("help", "What I can do")])
    assert [(c.command, c.description) for c in await bot.get_my_commands()] == [
        ("start", "Start"),
        ("help", "What I can do"),
    ]
    assert await bot.get_my_commands(language_code="ro") == ()
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([("Not A Command", "x")])
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()

    fake.add_to_group(USER, GROUP)
    chat = await bot.get_chat(GROUP)
    assert (chat.id, chat.type, chat.title) == (GROUP, "group", "Test group")
    assert await bot.send_chat_action(GROUP, "typing")
    assert await bot.leave_chat(GROUP)
    with pytest.raises(Forbidden, match="not a member"):
        await bot.send_message(GROUP, "still here?")
    fake.send_text(USER, "hi")
    with pytest.raises(BadRequest):
        await bot.leave_chat(USER)
    assert fake.wait_for_call("leaveChat", timeout=1).params == {"chat_id": GROUP}


async def test_injected_failures_and_blocked_users(fake: FakeTelegramAPI, bot: Bot) -> None:
    fake.send_text(USER, "hi")
    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    with pytest.raises(RetryAfter, match=r"Retry in (3 seconds|0:00:03)"):
        await bot.send_message(USER, "too fast")
    assert await bot.send_message(USER, "now fine")
    fake.block_bot(USER)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(USER, "are you there?")
    fake.send_text(USER, "sorry, unblocked")
    assert await bot.send_message(USER, "welcome back")
    assert [m["text"] for m in fake.sent_messages(USER)] == ["now fine", "welcome back"]
