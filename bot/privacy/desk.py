"""The person's privacy controls, answered by the conversation core itself (never by Rasa).

Erase (after one confirmation), vanishing mode and the safe word. These turns never reach the dialogue
engine, so nothing of them lands in its tracker; their texts are reviewed entries of content/.
"""

from __future__ import annotations

import re
import uuid

import structlog

from bot.channels.capabilities import capabilities_of
from bot.content import ContentLibrary
from bot.handoff.desk import HandoffDesk
from bot.i18n import Translator, _
from bot.messages import IncomingMessage, Reply
from bot.privacy.erasure import Eraser
from bot.privacy.ledger import VANISH_CHOICES_MIN, ChatLedger
from bot.privacy.resume_codes import ResumeCodes
from bot.privacy.safe_word import is_safe_word

log = structlog.get_logger(__name__)

ERASE_OFFER = "/delete_data"  # the /erase command and the web chat's button: "do you want to erase?"
ERASE_CONFIRM = "/erase_confirm"
ERASE_CANCEL = "/erase_cancel"
VANISH_MENU = "/vanish_menu"
VANISH = re.compile(r"^/vanish_(off|\d{1,3})$")
NEUTRAL_ENTRY = "neutral"
ERASE_INCOMPLETE = _(
    "Your chat was deleted, but part of what the helpline keeps could not be erased right now. "
    "Please ask again to erase in a minute."
)


class PrivacyDesk:
    """Answers the privacy buttons and the safe word; None for every other message."""

    def __init__(
        self,
        content: ContentLibrary,
        eraser: Eraser,
        ledger: ChatLedger,
        safe_words: tuple[str, ...],
        erase_notice_s: int,
        handoff: HandoffDesk | None = None,
        codes: ResumeCodes | None = None,
    ) -> None:
        self._content = content
        self._eraser = eraser
        self._ledger = ledger
        self._safe_words = safe_words
        self._erase_notice_s = erase_notice_s
        self._handoff = handoff
        self._codes = codes

    def is_erase(self, text: str) -> bool:
        """True for the confirmation that erases everything."""
        return text == ERASE_CONFIRM

    async def turn(self, message: IncomingMessage, locale: str, country: str | None) -> list[Reply] | None:
        """The replies of a privacy turn, or None when the message is not one."""
        text, channel = message.text, message.channel.value
        if is_safe_word(text, self._safe_words):
            return await self._safe_word(message, locale, country)
        if text == ERASE_OFFER:
            return [self._reply("delete_data", locale, country, channel)]
        if text == ERASE_CONFIRM:
            return [await self._erase(message, locale, country)]
        if text == ERASE_CANCEL:
            return [self._reply("erase_cancelled", locale, country, channel)]
        chosen = VANISH.match(text)
        if text == VANISH_MENU or (chosen and not capabilities_of(message.channel).vanishing):
            # Where the channel cannot delete from the phone, the answer says so and how to do it by hand.
            return [self._reply("vanishing", locale, country, channel)]
        if chosen and (chosen.group(1) == "off" or int(chosen.group(1)) in VANISH_CHOICES_MIN):
            return [await self._vanish(message, chosen.group(1), locale, country)]
        return None

    async def _safe_word(self, message: IncomingMessage, locale: str, country: str | None) -> list[Reply]:
        """Harmless text, and the recent messages gone from the chat; a counsellor is told quietly."""
        if self._handoff is not None:
            ticket = await self._handoff.open_ticket(message)
            if ticket is not None:
                key = message.message_key or f"s-{uuid.uuid4().hex}"
                await self._handoff.note_safe_word(ticket, key)
        if self._codes is not None:  # a code seen on the screen must not open the chat elsewhere
            await self._codes.forget(message.channel.value, message.pseudonym)
        log.info("safe_word", pseudonym=message.pseudonym[:12], channel=message.channel.value)
        neutral = self._content.reply(NEUTRAL_ENTRY, locale, country, message.channel.value).as_reply()
        # Only a channel that can delete from the phone clears the chat; elsewhere the harmless text is all.
        return [Reply(neutral.text, clear_chat=capabilities_of(message.channel).deletes_from_phone)]

    async def _erase(self, message: IncomingMessage, locale: str, country: str | None) -> Reply:
        erasure = await self._eraser.erase(message.channel.value, message.pseudonym)
        # Where the channel cannot delete from the phone, the notice stays: it says how to delete by hand.
        deletes = capabilities_of(message.channel).deletes_from_phone
        if not erasure.complete:
            text = Translator(self._content.catalog_dir, locale).gettext(ERASE_INCOMPLETE)
            return Reply(
                text, erased=True, disappear_after_s=max(60, self._erase_notice_s) if deletes else None
            )
        channel = message.channel.value
        done = self._content.reply_for_intent(ERASE_CONFIRM[1:], locale, country, channel).as_reply()
        return Reply(done.text, erased=True, disappear_after_s=self._erase_notice_s if deletes else None)

    async def _vanish(self, message: IncomingMessage, choice: str, locale: str, country: str | None) -> Reply:
        minutes = None if choice == "off" else int(choice)
        await self._ledger.set_vanishing(message.channel.value, message.pseudonym, minutes)
        log.info("vanishing_set", pseudonym=message.pseudonym[:12], minutes=minutes or 0)
        reply = self._reply(f"vanish_{choice}", locale, country)
        return Reply(reply.text, reply.buttons, vanish_after_s=(minutes or 0) * 60)

    def _reply(self, entry_id: str, locale: str, country: str | None, channel: str | None = None) -> Reply:
        return self._content.reply(entry_id, locale, country, channel).as_reply()
