"""A conversation in the console: the bot part so far, the handoff chat, notes, canned replies, and what the
assignee does with it: write, transfer, requeue, resolve with an outcome."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import Response

from bot.console.abuse_words import REASON_LABELS
from bot.console.auth import StaffSession, allows
from bot.console.deps import Console
from bot.console.render import see_other
from bot.console.security import row_id
from bot.console.survivor import ENDED, clean_text, keep_note, send_as_counsellor, tell_survivor
from bot.console.tickets import now_ms, reply_window, seat_of, ticket_view
from bot.console.translation import chat_languages, for_counsellor, for_survivor, marked
from bot.console.words import StaffWords
from bot.handoff.queue import ClaimRefused, NotHolding, Ticket
from bot.i18n import _
from bot.store.handoffs import OUTCOMES, UnknownHandoff

log = structlog.get_logger(__name__)

NO_SUCH_CHAT = _("No such chat (it may have expired).")
SOMEONE_ELSES = _("This chat is assigned to someone else.")


def may_read(ticket: Ticket, session: StaffSession) -> bool:
    """The assignee reads their chat; supervisors and admins read any."""
    return ticket.counsellor == session.seat_id or allows(session.role, "supervisor")


def is_open(ticket: Ticket) -> bool:
    """Waiting or claimed; an ended chat (resolved, cancelled) is read only: no notes, no messages."""
    return ticket.status in ("waiting", "claimed")


def holds(ticket: Ticket, session: StaffSession) -> bool:
    """True when this counsellor is the ticket's assignee and it is still open."""
    return ticket.status == "claimed" and ticket.counsellor == session.seat_id


class ChatPages:
    """GET /chats/{id} and its forms: messages, canned replies, notes, transfer, requeue, resolve."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._deps = console.deps

    async def page(self, request: Request, session: StaffSession, _form: dict[str, str]) -> Response:
        """The conversation: only its assignee (or a supervisor) may open it; every reading is audited."""
        ticket = await self._deps.queue.get(request.path_params["ticket_id"])
        if ticket is None:
            return self._console.renderer.refusal(request, 404, NO_SUCH_CHAT, session)
        if not may_read(ticket, session):
            await asyncio.to_thread(
                self._deps.handoffs.audit, "read", session.counsellor_id, ticket.id, "refused"
            )
            log.warning("console_chat_refused", ticket=ticket.id[:8], counsellor=session.counsellor_id)
            return self._console.renderer.refusal(request, 403, SOMEONE_ELSES, session)
        context = await self._context(request, ticket, session, self._console.words(request, session))
        return self._console.renderer.page(request, "chat.html", context)

    async def message(self, request: Request, session: StaffSession, form: dict[str, str]) -> Response:
        """POST /chats/{id}/messages: send what the counsellor wrote (without JavaScript)."""
        ticket = await self._held(request, session)
        if isinstance(ticket, Response):
            return ticket
        text = clean_text(form.get("text"))
        if text is None:
            return see_other(request, f"/chats/{ticket.id}", "empty" if not form.get("text") else "too_long")
        translation = clean_text(form.get("translation"))
        languages = await chat_languages(self._console, request, session, ticket)
        if translation is not None and languages is not None:  # previewed: the survivor reads it, marked
            text = marked(self._console, ticket, translation)
        await send_as_counsellor(self._deps, ticket, session.counsellor_id, text)
        return see_other(request, f"/chats/{ticket.id}")

    async def translate(self, request: Request, session: StaffSession, form: dict[str, str]) -> Response:
        """POST /chats/{id}/translate: the chat page with the reply and its machine translation, to check
        before sending (or, when the server fails, the reply to send as written)."""
        ticket = await self._held(request, session)
        if isinstance(ticket, Response):
            return ticket
        text = clean_text(form.get("text"))
        languages = await chat_languages(self._console, request, session, ticket)
        if text is None or languages is None:
            return see_other(request, f"/chats/{ticket.id}", "empty" if not form.get("text") else "invalid")
        translation = await for_survivor(self._console, ticket, text, languages)
        context = await self._context(request, ticket, session, self._console.words(request, session))
        context["preview"] = {"text": text, "translation": translation}
        return self._console.renderer.page(request, "chat.html", context)

    async def canned(self, request: Request, session: StaffSession, form: dict[str, str]) -> Response:
        """POST /chats/{id}/canned: send a canned reply of the survivor's language."""
        ticket = await self._held(request, session)
        if isinstance(ticket, Response):
            return ticket
        replies = await asyncio.to_thread(self._deps.canned.for_locale, ticket.locale)
        body = next((body for reply_id, _, body in replies if str(reply_id) == form.get("reply")), None)
        if body is None:
            return see_other(request, f"/chats/{ticket.id}", "invalid")
        await send_as_counsellor(self._deps, ticket, session.counsellor_id, body)
        return see_other(request, f"/chats/{ticket.id}", "sent")

    async def note(self, request: Request, session: StaffSession, form: dict[str, str]) -> Response:
        """POST /chats/{id}/notes: a private note (the assignee or a supervisor) while the chat is open."""
        ticket = await self._deps.queue.get(request.path_params["ticket_id"])
        if ticket is None or not may_read(ticket, session) or not is_open(ticket):
            return see_other(request, "/", "not_holding")
        text = clean_text(form.get("text"))
        if text is None:
            return see_other(request, f"/chats/{ticket.id}", "empty" if not form.get("text") else "too_long")
        await keep_note(self._deps, ticket, session.counsellor_id, text)
        return see_other(request, f"/chats/{ticket.id}", "note_added")

    async def transfer(self, request: Request, session: StaffSession, form: dict[str, str]) -> Response:
        """POST /chats/{id}/transfer: hand the chat to a colleague (within their capacity)."""
        ticket = await self._held(request, session)
        if isinstance(ticket, Response):
            return ticket
        to = row_id(form.get("to"))
        colleague = await asyncio.to_thread(self._deps.counsellors.get, to) if to is not None else None
        if colleague is None or not colleague.active or colleague.id == session.counsellor_id:
            return see_other(request, f"/chats/{ticket.id}", "invalid")
        try:
            await self._deps.queue.transfer(ticket.id, session.seat_id, seat_of(colleague))
        except NotHolding:
            return see_other(request, "/", "not_holding")
        except ClaimRefused as refusal:
            return see_other(request, f"/chats/{ticket.id}", refusal.reason)
        await self._recorded(
            self._deps.handoffs.record_transferred, ticket.id, session.counsellor_id, colleague.id
        )
        return see_other(request, "/", "transferred")

    async def requeue(self, request: Request, session: StaffSession, _form: dict[str, str]) -> Response:
        """POST /chats/{id}/requeue: back to the queue, at its original place."""
        ticket = await self._held(request, session)
        if isinstance(ticket, Response):
            return ticket
        try:
            await self._deps.queue.requeue(ticket.id, session.seat_id)
        except NotHolding:
            return see_other(request, "/", "not_holding")
        await self._recorded(self._deps.handoffs.record_requeued, ticket.id, session.counsellor_id)
        return see_other(request, "/", "requeued")

    async def resolve(self, request: Request, session: StaffSession, form: dict[str, str]) -> Response:
        """POST /chats/{id}/resolve: end with an outcome; the survivor is told and the bot answers again."""
        ticket = await self._held(request, session)
        if isinstance(ticket, Response):
            return ticket
        outcome = next((known for known in OUTCOMES if known == form.get("outcome")), None)
        if outcome is None:
            return see_other(request, f"/chats/{ticket.id}", "invalid")
        try:
            await self._deps.queue.resolve(ticket.id, session.seat_id)
        except NotHolding:
            return see_other(request, "/", "not_holding")
        await self._recorded(self._deps.handoffs.record_resolved, ticket.id, session.counsellor_id, outcome)
        await tell_survivor(self._deps, ticket, ENDED)
        # The chat goes from Redis with its ended ticket; the database keeps the transcript.
        await self._deps.relay.expire(ticket.id, self._deps.queue.ended_ttl_s)
        # Kept without expiry while the chat was open; now it goes after the usual inactivity.
        await self._deps.routes.release(ticket.channel, ticket.pseudonym, self._deps.route_ttl_s)
        try:
            await self._deps.engine.resume(ticket.pseudonym)
        except Exception as error:  # the chat is over either way; a paused bot must be seen in the logs
            log.error("console_resume_failed", ticket=ticket.id[:8], error=type(error).__name__)
        log.info("console_resolved", ticket=ticket.id[:8], counsellor=session.counsellor_id, outcome=outcome)
        return see_other(request, "/", "resolved")

    async def _held(self, request: Request, session: StaffSession) -> Ticket | Response:
        """The ticket if this counsellor holds it; otherwise where to go instead."""
        ticket = await self._deps.queue.get(request.path_params["ticket_id"])
        if ticket is None:
            return self._console.renderer.refusal(request, 404, NO_SUCH_CHAT, session)
        if not holds(ticket, session):
            return see_other(request, "/", "not_holding")
        return ticket

    async def _recorded(self, record: Any, *args: Any) -> None:
        """Record a change in the store (which audits it); a missing row must not undo the queue's change."""
        try:
            await asyncio.to_thread(record, *args)
        except UnknownHandoff:
            log.warning("console_change_unrecorded", ticket=str(args[0])[:8])

    async def _context(
        self, request: Request, ticket: Ticket, session: StaffSession, words: StaffWords
    ) -> dict[str, Any]:
        deps = self._deps
        bot_part = await _bot_part(self._console, ticket)
        chat = await deps.relay.chat(ticket.id)
        languages = await chat_languages(self._console, request, session, ticket)
        survivor_said = [item.text for item in chat if item.sender == "survivor"]
        survivor_said += [line["text"] for line in bot_part or [] if line["sender"] == "survivor"]
        shown = await asyncio.gather(
            *(for_counsellor(self._console, ticket, text, languages) for text in survivor_said if languages)
        )
        translations = iter(shown)
        lines = await asyncio.to_thread(deps.handoffs.transcript, ticket.id, session.counsellor_id)
        canned = await asyncio.to_thread(deps.canned.for_locale, ticket.locale)
        accounts = await asyncio.to_thread(deps.counsellors.list)
        online = set(await self._console.presence.online())
        colleagues = [
            {"id": account.id, "name": account.name, "online": str(account.id) in online}
            for account in accounts
            if account.active and str(account.id) != ticket.counsellor
        ]
        return {
            "staff": session,
            "csrf": session.csrf,
            "ticket": ticket_view(ticket, now_ms(), words),
            "language": words.language(ticket.locale),
            "holder": holds(ticket, session),
            "open": is_open(ticket),
            "bot_part": bot_part,  # the survivor's lines get their translations after the chat's (below)
            "chat": [
                {
                    "sender": item.sender,
                    "text": item.text,
                    "at_ms": item.at_ms,
                    "shown": next(translations) if languages and item.sender == "survivor" else None,
                }
                for item in chat
            ],
            "bot_part_shown": [
                next(translations) if languages and line["sender"] == "survivor" else None
                for line in bot_part or []
            ],
            "translating": languages is not None,
            "preview": None,
            "after": chat[-1].entry_id if chat else "0-0",
            "notes": [line.text for line in lines if line.sender == "note"],
            "canned": [{"id": reply_id, "title": title, "body": body} for reply_id, title, body in canned],
            "colleagues": colleagues,
            "outcomes": {outcome: words.outcome(outcome) for outcome in OUTCOMES},
            "reply_window": await reply_window(deps.routes, deps.reply_window_h, ticket, words),
            "abuse_reasons": REASON_LABELS,
        }


async def _bot_part(console: Console, ticket: Ticket) -> list[dict[str, str]] | None:
    """What the survivor and the bot said before the handoff; None when the engine cannot tell now.

    Cut at the ticket's creation: the bot is paused from then until the chat ends, so this is all there was
    when the chat was claimed, and never what the person writes to the bot after it ended."""
    try:
        said = await console.deps.engine.conversation(ticket.pseudonym, before_ms=ticket.created_ms)
    except Exception as error:  # the counsellor can still help without the history
        log.warning("console_bot_part_unavailable", ticket=ticket.id[:8], error=type(error).__name__)
        return None
    return [{"sender": who, "text": text} for who, text in said]
