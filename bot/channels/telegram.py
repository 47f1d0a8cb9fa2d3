"""The Telegram adapter: python-telegram-bot in front of the conversation core.

Raw Telegram ids live only in memory while an update is handled: the core sees a pseudonym.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from redis.asyncio import Redis
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity, Update, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.channels.commands import COMMAND_PAYLOADS
from bot.channels.telegram_cleanup import ChatCleaner
from bot.handoff.relay import OutboundMessage
from bot.handoff.routes import RouteStore
from bot.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES, Translator, _, choose_locale
from bot.messages import Button, Channel, ConversationHandler, IncomingMessage, Reply
from bot.privacy.pseudonym import pseudonym_for

log = structlog.get_logger(__name__)

TEXT_ONLY = _(
    "I can only read text messages. Please write what you need in words. "
    "I don't keep photos, voice messages, files, contacts or locations."
)
PRIVATE_ONLY = _("I only talk in private chats, to keep conversations safe. Please write to me directly.")
SOMETHING_WENT_WRONG = _("Sorry, something went wrong on our side. Please try again in a moment.")
COMMAND_HELP = _("What I can help with")
COMMAND_START = _("Start or restart the conversation")
COMMAND_LANGUAGE = _("Choose your language")
COMMAND_COUNTRY = _("Change your country")
COMMAND_PRIVACY = _("What is kept about you")
COMMAND_ERASE = _("Erase this conversation")
COMMAND_VANISH = _("Disappearing messages")
COMMAND_CODE = _("A code to continue on another app")
COMMANDS = (
    ("start", COMMAND_START),
    ("help", COMMAND_HELP),
    ("language", COMMAND_LANGUAGE),
    ("country", COMMAND_COUNTRY),
    ("privacy", COMMAND_PRIVACY),
    ("erase", COMMAND_ERASE),
    ("vanish", COMMAND_VANISH),
    ("code", COMMAND_CODE),
)

# What a button may send back: an intent (`/ask_shelter`) or a language (`/language_uk`), nothing else;
# clients can forge callbacks.
BUTTON_PAYLOAD = re.compile(r"^/[a-z][a-z0-9_]{0,62}$")
UPDATE_SEEN_TTL_S = 24 * 3600
KEYBOARD_ONE_COLUMN_MAX = 6


@dataclass(frozen=True)
class TelegramConfig:
    """What the adapter needs to reach the Bot API."""

    token: str
    api_base_url: str
    catalog_dir: Path
    pseudonym_secret: bytes
    rate_limit: bool = True
    protect_content: bool = True  # no forwarding or saving of what the bot sends
    hidden_previews: bool = False  # every message a spoiler: hidden in notifications and the chat list


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Handles chats concurrently, but each chat's updates one at a time and in order."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the update's handlers under its chat's lock."""
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        try:
            async with lock:
                await coroutine
        finally:
            if not lock.locked() and self._locks.get(chat.id) is lock:
                del self._locks[chat.id]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Forget the locks."""
        self._locks.clear()


class TelegramAdapter:
    """Turns Telegram updates into `IncomingMessage`s and replies into Bot API calls."""

    def __init__(
        self,
        config: TelegramConfig,
        core: ConversationHandler,
        redis: Redis | None,
        cleaner: ChatCleaner | None = None,
    ) -> None:
        self._config = config
        self._core = core
        self._redis = redis
        self._cleaner = cleaner  # deletes the person's messages from their chat (erase, vanishing)

    def build(self) -> Application[Any, Any, Any, Any, Any, Any]:
        """Assemble the python-telegram-bot Application with every handler, in one place."""
        builder = (
            ApplicationBuilder()
            .token(self._config.token)
            .base_url(self._config.api_base_url)
            .base_file_url(self._config.api_base_url.replace("/bot", "/file/bot"))
            .concurrent_updates(PerChatUpdateProcessor(256))
            .connection_pool_size(64)
            .post_init(self._post_init)
        )
        application: Application[Any, Any, Any, Any, Any, Any] = (
            builder.rate_limiter(AIORateLimiter(max_retries=3)).build()
            if self._config.rate_limit
            else builder.build()
        )
        application.add_handler(TypeHandler(Update, self._drop_duplicates), group=-1)
        # Edits are not new messages: answering them again would repeat the conversation.
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
        groups = ~filters.ChatType.PRIVATE
        application.add_handler(ChatMemberHandler(self._on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
        application.add_handler(MessageHandler(groups, self._on_group_message))
        application.add_handler(CommandHandler(list(COMMAND_PAYLOADS), self._on_command, filters=private))
        application.add_handler(MessageHandler(private & filters.COMMAND, self._on_help))
        application.add_handler(MessageHandler(private & filters.TEXT, self._on_text))
        application.add_handler(CallbackQueryHandler(self._on_button))
        application.add_handler(MessageHandler(private & ~filters.TEXT, self._on_not_text))
        application.add_error_handler(self._on_error)
        return application

    async def _post_init(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        # The command menu in each supported language; Telegram shows the one matching the app's language.
        for locale in (None, *SUPPORTED_LOCALES):
            translate = Translator(self._config.catalog_dir, locale or DEFAULT_LOCALE).gettext
            commands = [(command, translate(description)) for command, description in COMMANDS]
            await application.bot.set_my_commands(commands, language_code=locale)

    async def _drop_duplicates(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Telegram redelivers updates after a crash; answer each one once."""
        if self._redis is None:
            return
        # Update ids count per bot: the bot's id (the token's public part) keeps two bots apart.
        bot_id = self._config.token.split(":", 1)[0]
        key = f"helpline:tg:{bot_id}:update:{update.update_id}"
        fresh = await self._redis.set(key, 1, nx=True, ex=UPDATE_SEEN_TTL_S)
        if not fresh:
            log.info("duplicate_update_dropped")
            raise ApplicationHandlerStop

    async def _on_command(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        command = (message.text or "/").split()[0].split("@")[0].lstrip("/").lower() if message else ""
        await self._converse(update, COMMAND_PAYLOADS.get(command, "/bot_capabilities"))

    async def _on_help(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._converse(update, "/bot_capabilities")

    async def _on_text(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await self._converse(update, update.effective_message.text or "")

    async def _on_button(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        if query.message is not None and query.message.chat.type != ChatType.PRIVATE:
            return
        payload = query.data or ""
        if not BUTTON_PAYLOAD.match(payload):
            log.warning("button_payload_rejected")
            payload = "/bot_capabilities"
        await self._converse(update, payload)

    async def _on_not_text(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        # Nothing of the media is downloaded or kept: we only answer that we read text.
        log.info("not_text_declined", kind=_message_kind(update))
        await self._remember_incoming(update)  # an erase or vanishing chat takes it away too
        await self._say(update, TEXT_ONLY)

    async def _on_group_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._decline_group(update, context)

    async def _on_membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        member = update.my_chat_member
        if member is None or member.chat.type == ChatType.PRIVATE:
            return
        if member.new_chat_member.status in (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR):
            await self._decline_group(update, context)

    async def _decline_group(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        log.info("group_declined")
        await self._say(update, PRIVATE_ONLY)
        await context.bot.leave_chat(chat.id)

    async def _converse(self, update: Update, text: str) -> None:
        user = update.effective_user
        if user is None:
            return
        chat = update.effective_chat
        assert chat is not None
        message = IncomingMessage(
            pseudonym=self._pseudonym(user),
            channel=Channel.TELEGRAM,
            text=text,
            locale=_locale_of(user),
            reply_route=str(chat.id),  # kept only for a handoff or vanishing mode, encrypted, expiring
            message_key=f"tg-{update.update_id}",
        )
        await self._remember_incoming(update)
        replies = await self._core.handle(message)
        bot = chat.get_bot()
        for reply in replies:
            if reply.clears_chat and self._cleaner is not None:
                await self._cleaner.clear(bot, chat.id, message.pseudonym)
            await self._send(bot, chat.id, message.pseudonym, reply.text, _keyboard(reply))
            if reply.disappear_after_s is not None and self._cleaner is not None:
                await self._cleaner.clear_later(chat.id, message.pseudonym, reply.disappear_after_s)

    def _pseudonym(self, user: User) -> str:
        return pseudonym_for(Channel.TELEGRAM, user.id, self._config.pseudonym_secret)

    async def _remember_incoming(self, update: Update) -> None:
        """Keep (encrypted, 48 h) the id of what the person sent, so an erase can delete it from the chat."""
        message, user, chat = update.message, update.effective_user, update.effective_chat
        if message is None or user is None or chat is None or chat.type != ChatType.PRIVATE:
            return
        await self._remember(chat.id, self._pseudonym(user), message.message_id)

    async def _remember(self, chat_id: int, pseudonym: str, message_id: int) -> None:
        if self._cleaner is not None:
            await self._cleaner.remember(chat_id, pseudonym, message_id)

    async def _send(
        self, bot: Bot, chat_id: int, pseudonym: str | None, text: str, markup: InlineKeyboardMarkup | None
    ) -> Message:
        """Send one message quietly (protected, a spoiler where configured) and remember its id."""
        entities = (
            [MessageEntity(MessageEntity.SPOILER, 0, len(text.encode("utf-16-le")) // 2)]
            if self._config.hidden_previews
            else None
        )
        sent = await bot.send_message(
            chat_id,
            text,
            reply_markup=markup,
            entities=entities,
            protect_content=self._config.protect_content,
        )
        if pseudonym is not None:
            await self._remember(chat_id, pseudonym, sent.message_id)
        return sent

    async def deliver(self, bot: Bot, routes: RouteStore, message: OutboundMessage) -> bool:
        """Send a counsellor's (or the helpline's) message to the survivor; False to try again later.

        A person who blocked the bot, or whose route expired, cannot be reached: that is logged and the
        message is not retried forever (the counsellor still sees it in the transcript).
        """
        route = await routes.get(Channel.TELEGRAM.value, message.pseudonym)
        if route is None:
            log.warning(
                "handoff_route_expired", pseudonym=message.pseudonym[:12], ticket=message.ticket_id[:8]
            )
            return True
        try:
            buttons = tuple(Button(title, payload) for title, payload in message.buttons)
            markup = _keyboard(Reply(message.text, buttons))
            await self._send(bot, int(route), message.pseudonym, message.text, markup)
        except Forbidden:
            log.warning("handoff_survivor_unreachable", pseudonym=message.pseudonym[:12])
            return True
        except TelegramError as error:  # network, flood control: keep it pending and try again
            log.warning("handoff_delivery_retry", error=type(error).__name__)
            return False
        log.info(
            "handoff_relayed",
            pseudonym=message.pseudonym[:12],
            ticket=message.ticket_id[:8],
            sender=message.sender,
        )
        return True

    async def _say(self, update: Update, message: str) -> None:
        """A notice of the gateway's own, in the person's language when they have chosen one."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None:
            return
        locale, pseudonym = _locale_of(user), None
        if user is not None and chat.type == ChatType.PRIVATE:
            pseudonym = self._pseudonym(user)
            locale = await self._core.locale_for(pseudonym, Channel.TELEGRAM, locale)
        text = Translator(self._config.catalog_dir, locale).gettext(message)
        await self._send(chat.get_bot(), chat.id, pseudonym, text, None)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram_update_failed", error=type(context.error).__name__)
        if (
            isinstance(update, Update)
            and update.effective_chat
            and update.effective_chat.type == ChatType.PRIVATE
        ):
            try:
                await self._say(update, SOMETHING_WENT_WRONG)
            except Exception as error:  # the Bot API itself may be what failed
                log.error("telegram_error_reply_failed", error=type(error).__name__)


def _locale_of(user: User | None) -> str:
    return choose_locale([user.language_code if user else None])


def _keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """One button per row; a long list (countries, languages) two per row, so it fits on a phone."""
    if not reply.buttons:
        return None
    width = 2 if len(reply.buttons) > KEYBOARD_ONE_COLUMN_MAX else 1
    buttons = [InlineKeyboardButton(button.title, callback_data=button.payload) for button in reply.buttons]
    return InlineKeyboardMarkup([buttons[index : index + width] for index in range(0, len(buttons), width)])


def _message_kind(update: Update) -> str:
    message = update.effective_message
    if message is None:
        return "unknown"
    for kind in (
        "photo",
        "voice",
        "audio",
        "video",
        "video_note",
        "document",
        "sticker",
        "location",
        "venue",
        "contact",
        "animation",
        "poll",
        "dice",
    ):
        if getattr(message, kind, None):
            return kind
    return "other"
