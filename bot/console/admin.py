"""The admin page: the team's accounts; add a counsellor, deactivate or reactivate one, reset someone's second
factor, and the alerts raised by many failed logins for one account, until an admin acknowledges them; and
which translations are still machine-drafted, waiting for a native speaker's review."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog
from starlette.requests import Request
from starlette.responses import Response

from bot.console.auth import StaffSession
from bot.console.deps import Console
from bot.console.render import see_other
from bot.console.security import row_id, whole_number
from bot.content.drafts import draft_name
from bot.i18n import _
from bot.store.counsellors import MAX_CAPACITY, ROLES, SECOND_FACTOR_ROLES, CounsellorExists

NAME_TAKEN = _("A counsellor with that name already exists.")
NOT_ADDED = _("Not added: %(reason)s.")
PASSWORDS_DIFFER = _("the two passwords differ")
NO_SUCH_ACCOUNT = _("No such account.")

log = structlog.get_logger(__name__)


class AdminPages:
    """GET /admin, POST /admin/counsellors and
    /admin/counsellors/{id}/(deactivate|activate|reset-second-factor|acknowledge-alert)."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._counsellors = console.deps.counsellors

    async def page(self, request: Request, session: StaffSession, _form: dict[str, str]) -> Response:
        """Every account, and the form to add one."""
        return await self._render(request, session, None, {}, 200)

    async def add(self, request: Request, session: StaffSession, form: dict[str, str]) -> Response:
        """Add a counsellor; the store hashes the password (argon2) and audits the addition."""
        capacity = whole_number(form.get("capacity", "2"), MAX_CAPACITY)
        try:
            if capacity is None:
                raise ValueError(f"capacity is a number from 1 to {MAX_CAPACITY}")
            if form.get("password", "") != form.get("password_again", ""):
                raise ValueError(PASSWORDS_DIFFER)
            account = await asyncio.to_thread(
                self._counsellors.add,
                form.get("name", ""),
                form.get("password", ""),
                form.get("role", ""),  # type: ignore[arg-type]  # the store checks it against ROLES
                form.get("languages", ""),
                capacity,
                session.counsellor_id,
            )
        except CounsellorExists:
            return await self._render(request, session, NAME_TAKEN, form, 409)
        except ValueError as error:  # the store's messages name the field, never a password
            gettext = self._console.words(request, session).gettext
            reason = gettext(str(error))  # translated where the catalogs know it
            return await self._render(request, session, gettext(NOT_ADDED) % {"reason": reason}, form, 400)
        log.info("console_counsellor_added", counsellor=account.id, by=session.counsellor_id)
        return see_other(request, "/admin", "counsellor_added")

    async def deactivate(self, request: Request, session: StaffSession, _form: dict[str, str]) -> Response:
        """Stop an account from logging in, and end its sessions now."""
        counsellor_id = row_id(request.path_params["counsellor_id"])
        if counsellor_id is None:
            return self._no_such_account(request, session)
        if counsellor_id == session.counsellor_id:  # an admin never locks the team out by accident
            return see_other(request, "/admin", "invalid")
        if not await self._change(self._counsellors.set_active, counsellor_id, False):
            return see_other(request, "/admin", "invalid")
        await self._console.sessions.end_all(counsellor_id)
        await self._console.presence.mark_offline(str(counsellor_id))
        log.info("console_counsellor_deactivated", counsellor=counsellor_id, by=session.counsellor_id)
        return see_other(request, "/admin", "deactivated")

    async def activate(self, request: Request, session: StaffSession, _form: dict[str, str]) -> Response:
        """Let a deactivated account log in again."""
        counsellor_id = row_id(request.path_params["counsellor_id"])
        if counsellor_id is None:
            return self._no_such_account(request, session)
        if not await self._change(self._counsellors.set_active, counsellor_id, True):
            return see_other(request, "/admin", "invalid")
        log.info("console_counsellor_activated", counsellor=counsellor_id, by=session.counsellor_id)
        return see_other(request, "/admin", "activated")

    async def reset_second_factor(
        self, request: Request, session: StaffSession, _form: dict[str, str]
    ) -> Response:
        """Forget someone's second factor (a lost phone): their sessions end; they enroll at next login."""
        counsellor_id = row_id(request.path_params["counsellor_id"])
        if counsellor_id is None:
            return self._no_such_account(request, session)
        if counsellor_id == session.counsellor_id:  # not one's own: that would end this session
            return see_other(request, "/admin", "invalid")
        second_factor = self._console.deps.second_factor
        if not await self._change(second_factor.reset, counsellor_id, session.counsellor_id):
            return see_other(request, "/admin", "invalid")
        await self._console.sessions.end_all(counsellor_id)
        await self._console.presence.mark_offline(str(counsellor_id))
        log.info("console_second_factor_reset", counsellor=counsellor_id, by=session.counsellor_id)
        return see_other(request, "/admin", "second_factor_reset")

    async def acknowledge_alert(
        self, request: Request, session: StaffSession, _form: dict[str, str]
    ) -> Response:
        """An admin has seen an alert of many failed logins (and acted on it): it leaves the page."""
        counsellor_id = row_id(request.path_params["counsellor_id"])
        if counsellor_id is None:
            return self._no_such_account(request, session)
        acknowledge = self._counsellors.acknowledge_login_alert
        if not await self._change(acknowledge, counsellor_id, session.counsellor_id):
            return see_other(request, "/admin", "invalid")
        log.info("console_login_alert_acknowledged", counsellor=counsellor_id, by=session.counsellor_id)
        return see_other(request, "/admin", "alert_acknowledged")

    def _no_such_account(self, request: Request, session: StaffSession) -> Response:
        # Not a number, or one no account can have (a 10,000-digit id): a page, never a database error.
        return self._console.renderer.refusal(request, 404, NO_SUCH_ACCOUNT, session)

    async def _change(self, change: Callable[..., None], *args: object) -> bool:
        try:
            await asyncio.to_thread(change, *args)
        except KeyError:
            return False
        return True

    async def _render(
        self,
        request: Request,
        session: StaffSession,
        error: str | None,
        form: dict[str, str],
        status_code: int,
    ) -> Response:
        accounts = await asyncio.to_thread(self._counsellors.list)
        rows = [
            {
                "id": account.id,
                "name": account.name,
                "role": account.role,
                "languages": ", ".join(sorted(account.languages)),
                "capacity": account.capacity,
                "active": account.active,
                "second_factor": account.second_factor,
                "needs_second_factor": account.role in SECOND_FACTOR_ROLES,
                "me": account.id == session.counsellor_id,
            }
            for account in accounts
        ]
        alerts = [
            {
                "id": account.id,
                "name": account.name,
                "at": account.login_alert_at.strftime("%Y-%m-%d %H:%M UTC"),
            }
            for account in accounts
            if account.login_alert_at is not None
        ]
        # The form comes back filled after an error, but never with the passwords.
        kept = {name: form.get(name, "") for name in ("name", "languages", "role", "capacity")}
        context = {
            "staff": session,
            "csrf": session.csrf,
            "accounts": rows,
            "alerts": alerts,
            "alert_policy": self._console.deps.login,
            "roles": ROLES,
            "error": error,
            "drafts": [
                {"locale": locale, "names": [draft_name(file) for file in files]}
                for locale, files in self._console.deps.translation_drafts.items()
            ],
        }
        return self._console.renderer.page(request, "admin.html", {**context, "form": kept}, status_code)
