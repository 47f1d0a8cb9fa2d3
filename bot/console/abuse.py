"""Abuse handling in the console: a counsellor flags a chat as abusive (a reason from a fixed list); a
supervisor sees the flagged chats and blocks the person for a period, or ends a block early.

Forms name a chat, a flag or a block by its id, never the pseudonym; the store audits every change.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import Response

from bot.console.abuse_words import PERIOD_LABELS, REASON_LABELS
from bot.console.auth import StaffSession
from bot.console.chat import may_read
from bot.console.deps import Console
from bot.console.render import see_other
from bot.console.security import row_id
from bot.store.blocks import PERIODS, REASONS, ActiveBlock, FlaggedChat, UnknownFlag

log = structlog.get_logger(__name__)


def when(moment: datetime) -> str:
    """A moment as staff read it on the supervisor page (UTC, to the minute)."""
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def flagged_view(chat: FlaggedChat) -> dict[str, Any]:
    """A flagged chat as the supervisor page shows it: no pseudonym."""
    return {
        "flag_id": chat.flag_id,
        "handoff_id": chat.handoff_id,
        "nickname": chat.nickname or "—",
        "reason": REASON_LABELS.get(chat.reason, chat.reason),
        "flagged_at": when(chat.flagged_at),
        "flags": chat.flags,
        "blocked_until": when(chat.blocked_until) if chat.blocked_until else None,
    }


def block_view(block: ActiveBlock) -> dict[str, Any]:
    """A block in force as the supervisor page shows it: no pseudonym."""
    return {
        "block_id": block.block_id,
        "nickname": block.nickname or "—",
        "reason": REASON_LABELS.get(block.reason, block.reason),
        "blocked_at": when(block.blocked_at),
        "until": when(block.until),
    }


class AbusePages:
    """POST /chats/{id}/flag (its readers); /supervisor/flags/{id}/block, /supervisor/blocks/{id}/unblock."""

    def __init__(self, console: Console) -> None:
        self._console = console

    async def flag(self, request: Request, session: StaffSession, form: dict[str, str]) -> Response:
        """Flag a chat the counsellor may read (open or just ended) as abusive, with a reason."""
        ticket = await self._console.deps.queue.get(request.path_params["ticket_id"])
        if ticket is None or not may_read(ticket, session):
            return see_other(request, "/", "not_holding")
        reason = form.get("reason", "")
        if reason not in REASONS:
            return see_other(request, f"/chats/{ticket.id}", "invalid")
        blocks = self._console.blocks
        await asyncio.to_thread(blocks.flag, ticket.id, ticket.pseudonym, session.counsellor_id, reason)
        log.info("console_flagged", ticket=ticket.id[:8], counsellor=session.counsellor_id, reason=reason)
        return see_other(request, f"/chats/{ticket.id}", "flagged")

    async def block(self, request: Request, session: StaffSession, form: dict[str, str]) -> Response:
        """Block the person of a flagged chat for one of PERIODS (supervisors)."""
        flag_id = row_id(request.path_params["flag_id"])
        period = PERIODS.get(form.get("period", ""))
        if flag_id is None or period is None:
            return see_other(request, "/supervisor", "invalid")
        try:
            await asyncio.to_thread(self._console.blocks.block, flag_id, session.counsellor_id, period)
        except UnknownFlag:
            return see_other(request, "/supervisor", "invalid")
        log.info("console_blocked", flag=flag_id, counsellor=session.counsellor_id, period=form["period"])
        return see_other(request, "/supervisor", "blocked")

    async def unblock(self, request: Request, session: StaffSession, _form: dict[str, str]) -> Response:
        """End a block now (supervisors)."""
        block_id = row_id(request.path_params["block_id"])
        if block_id is None:
            return see_other(request, "/supervisor", "invalid")
        ended = await asyncio.to_thread(self._console.blocks.unblock, block_id, session.counsellor_id)
        log.info("console_unblocked", block=block_id, counsellor=session.counsellor_id, ended=ended)
        return see_other(request, "/supervisor", "unblocked" if ended else "invalid")

    async def supervisor_context(self) -> dict[str, Any]:
        """What the supervisor page adds: the flagged chats and the blocks in force."""
        blocks = self._console.blocks
        flagged = await asyncio.to_thread(blocks.flagged)
        active = await asyncio.to_thread(blocks.active)
        return {
            "flagged": [flagged_view(chat) for chat in flagged],
            "blocks": [block_view(block) for block in active],
            "periods": PERIOD_LABELS,
        }
