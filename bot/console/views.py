"""The console's queue (the inbox: tickets offered to me, my open chats), the claim, and the supervisor's
view of the whole queue and team."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, time, tzinfo

import structlog
from sqlalchemy import Engine, func, select
from starlette.requests import Request
from starlette.responses import Response

from bot.console.abuse import AbusePages
from bot.console.auth import StaffSession
from bot.console.deps import Console
from bot.console.render import see_other
from bot.console.survivor import JOINED, tell_survivor
from bot.console.tickets import now_ms, queue_snapshot, seat_of, ticket_view
from bot.handoff.queue import ClaimRefused
from bot.store.counsellors import utc
from bot.store.handoffs import UnknownHandoff
from bot.store.models import Handoff

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class DayCounts:
    """Handoffs of one day: queued, claimed (of those), resolved (that day)."""

    queued: int
    claimed: int
    resolved: int


def handoffs_today(database: Engine, zone: tzinfo, now: datetime | None = None) -> DayCounts:
    """How many handoffs were queued, claimed and resolved since midnight in `zone`."""
    moment = (now or datetime.now(zone)).astimezone(zone)
    since = utc(datetime.combine(moment.date(), time(0), tzinfo=zone))
    count = select(func.count()).select_from(Handoff)
    with database.connect() as connection:
        queued = connection.execute(count.where(Handoff.queued_at >= since)).scalar_one()
        claimed = connection.execute(count.where(Handoff.claimed_at >= since)).scalar_one()
        resolved = connection.execute(count.where(Handoff.resolved_at >= since)).scalar_one()
    return DayCounts(queued, claimed, resolved)


class QueuePages:
    """GET / (the queue) and POST /tickets/{id}/claim."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._deps = console.deps

    async def queue(self, request: Request, session: StaffSession, _form: dict[str, str]) -> Response:
        """The tickets offered to me and my open chats; console.js keeps them current over /live."""
        account = await self._console.account(session)
        if account is None:
            return await self._gone(request, session)
        words = self._console.words(request, session)
        snapshot = await queue_snapshot(self._deps.queue, account, words)
        context = {"staff": session, "csrf": session.csrf, "snapshot": snapshot}
        return self._console.renderer.page(request, "queue.html", context)

    async def claim(self, request: Request, session: StaffSession, _form: dict[str, str]) -> Response:
        """Take a ticket: recorded, the survivor told in their language, then the chat opens."""
        account = await self._console.account(session)
        if account is None:
            return await self._gone(request, session)
        ticket_id = request.path_params["ticket_id"]
        try:
            ticket = await self._deps.queue.claim(seat_of(account), ticket_id)
        except ClaimRefused as refusal:
            return see_other(request, "/", refusal.reason)
        try:
            await asyncio.to_thread(
                self._deps.handoffs.record_claimed, ticket.id, account.id, ticket.mismatch
            )
        except UnknownHandoff:  # the desk records every ticket; a missing row must not undo the claim
            log.warning("console_claim_unrecorded", ticket=ticket.id[:8])
        await tell_survivor(self._deps, ticket, JOINED)
        log.info("console_claimed", ticket=ticket.id[:8], counsellor=account.id, mismatch=ticket.mismatch)
        return see_other(request, f"/chats/{ticket.id}", "claimed")

    async def supervisor(self, request: Request, session: StaffSession, _form: dict[str, str]) -> Response:
        """Queue length, the longest wait, chats per counsellor, who is online, today's handoffs, and the
        flagged chats and blocks (abuse handling)."""
        deps = self._deps
        stats = await deps.queue.stats()
        waiting = await deps.queue.waiting()
        online = set(await self._console.presence.online())
        accounts = await asyncio.to_thread(deps.counsellors.list)
        today = await asyncio.to_thread(handoffs_today, deps.database, deps.day_zone)
        moment = now_ms()
        words = self._console.words(request, session)
        team = [
            {
                "name": account.name,
                "role": account.role,
                "languages": ", ".join(words.language(code) for code in sorted(account.languages)),
                "online": str(account.id) in online,
                "holding": stats.active.get(str(account.id), 0),
                "capacity": account.capacity,
            }
            for account in accounts
            if account.active
        ]
        names = {str(account.id): account.name for account in accounts}
        chats = [
            {**ticket_view(ticket, moment, words), "assignee": names.get(holder, holder)}
            for holder, count in sorted(stats.active.items())
            if count
            for ticket in await deps.queue.active_of(holder)
        ]
        context = {
            "staff": session,
            "csrf": session.csrf,
            "chats": chats,
            "waiting_count": stats.waiting,
            "longest_wait": words.waited(0, round(stats.longest_wait_s * 1000)),
            "waiting": [ticket_view(ticket, moment, words) for ticket in waiting],
            "team": team,
            "today": today,
            **await AbusePages(self._console).supervisor_context(),
        }
        return self._console.renderer.page(request, "supervisor.html", context)

    async def _gone(self, request: Request, session: StaffSession) -> Response:
        """The account was deactivated while logged in: the session ends here."""
        await self._console.sessions.end(session)
        return see_other(request, "/login")
