"""A counsellor's own settings: the language the console is shown in (GET /settings, POST
/settings/language). What only the browser keeps (the alert for new urgent tickets) is set on the same page
by console.js, in the browser's localStorage."""

from __future__ import annotations

import asyncio

import structlog
from starlette.requests import Request
from starlette.responses import Response

from bot.console.auth import StaffSession
from bot.console.deps import Console
from bot.console.render import see_other
from bot.i18n import SUPPORTED_LOCALES, language_name

log = structlog.get_logger(__name__)


class SettingsPages:
    """GET /settings and POST /settings/language, for whoever is logged in (their own account only)."""

    def __init__(self, console: Console) -> None:
        self._console = console

    async def page(self, request: Request, session: StaffSession, _form: dict[str, str]) -> Response:
        """The settings form: the console language (each named in itself), and this browser's alert."""
        context = {
            "staff": session,
            "csrf": session.csrf,
            "chosen": session.console_language or "",
            "console_languages": [(code, language_name(code)) for code in SUPPORTED_LOCALES],
        }
        return self._console.renderer.page(request, "settings.html", context)

    async def language(self, request: Request, session: StaffSession, form: dict[str, str]) -> Response:
        """Keep the counsellor's console language (empty: the browser's); their open sessions follow now."""
        try:
            chosen = await asyncio.to_thread(
                self._console.deps.counsellors.set_console_language,
                session.counsellor_id,
                form.get("language", "")[:16],
            )
        except (ValueError, KeyError):
            return see_other(request, "/settings", "invalid")
        await self._console.sessions.set_language(session.counsellor_id, chosen)
        log.info("console_language_set", counsellor=session.counsellor_id, language=chosen or "browser")
        return see_other(request, "/settings", "language_saved")
