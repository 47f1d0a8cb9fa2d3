"""Rendering console pages from the Jinja2 templates in bot/web/templates/console/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bot.i18n import (
    SUPPORTED_LOCALES,
    Translator,
    _,
    choose_locale,
    parse_accept_language,
    text_direction,
)
from bot.web.templates import templates

ROLE_RANK = {"counsellor": 0, "supervisor": 1, "admin": 2}
# What a page says after a form redirected to it (`?notice=taken`): fixed sentences, never echoed input.
NOTICES = {
    "claimed": _("You have the chat now."),
    "taken": _("Another counsellor took that ticket first."),
    "gone": _("That ticket is no longer waiting."),
    "at_capacity": _("You already hold as many chats as you can take. Resolve or transfer one first."),
    "language": _("That ticket waits a little longer for a counsellor who speaks the language."),
    "transferred": _("The chat went to your colleague."),
    "requeued": _("The ticket is back in the queue."),
    "resolved": _("The chat is resolved. The survivor is talking with the bot again."),
    "not_holding": _("You no longer hold that chat."),
    "note_added": _("Note kept. The survivor does not see it."),
    "sent": _("Sent."),
    "empty": _("Nothing to send."),
    "too_long": _("That message is too long."),
    "counsellor_added": _("Counsellor added."),
    "counsellor_exists": _("A counsellor with that name already exists."),
    "invalid": _("Some fields were not valid. Nothing was changed."),
    "deactivated": _("Account deactivated; its sessions have ended."),
    "activated": _("Account active again."),
    "second_factor_reset": _(
        "Second factor reset; the account's sessions have ended. It sets one up again at "
        "its next login: tell the person to log in soon."
    ),
    "language_saved": _("Your console language is saved."),
    "alert_acknowledged": _("Alert acknowledged."),
    "login_again": _("That step expired or had too many wrong codes. Log in again."),
    "flagged": _("Chat flagged. A supervisor will review it."),
    "blocked": _(
        "Blocked. The person gets a neutral message with the emergency numbers until the block ends."
    ),
    "unblocked": _("Block ended. The person can reach the helpline again."),
}


def base_path(connection: HTTPConnection) -> str:
    """Where the console is mounted ("/console"), so links work wherever the lead mounts it."""
    return str(connection.scope.get("root_path", "")).rstrip("/")


def see_other(connection: HTTPConnection, path: str, notice: str | None = None) -> Response:
    """303 to a console path (after a form), with an optional notice key the next page explains."""
    query = f"?notice={notice}" if notice else ""
    return RedirectResponse(f"{base_path(connection)}{path}{query}", status_code=303)


def console_locale(connection: HTTPConnection, chosen: str | None = None) -> str:
    """The language a staff page is shown in: the counsellor's own setting, else their browser's
    (Accept-Language), else English."""
    if chosen in SUPPORTED_LOCALES:
        return chosen
    return choose_locale(parse_accept_language(connection.headers.get("accept-language")))


class Renderer:
    """Renders a console template with what every page needs (paths, the CSRF token, who is logged in, and
    the words of the staff member's language)."""

    def __init__(self, catalog_dir: Path | None = None) -> None:
        self._catalog_dir = catalog_dir

    def page(
        self,
        connection: HTTPConnection,
        template: str,
        context: dict[str, Any],
        status_code: int = 200,
    ) -> Response:
        """The page `console/{template}` as an HTML response."""
        base = base_path(connection)
        staff = context.get("staff")
        words = self.words(self.locale(connection, context))
        notice = NOTICES.get(connection.query_params.get("notice", ""))
        common = {
            "base": base,
            "stylesheet": f"{base}/static/console.css",
            "script": f"{base}/static/console.js",
            "staff": staff,
            "is_supervisor": staff is not None and ROLE_RANK[staff.role] >= ROLE_RANK["supervisor"],
            "is_admin": staff is not None and staff.role == "admin",
            "notice": words["gettext"](notice) if notice else None,
            "error_args": {},
            **words,
        }
        html = templates().get_template(f"console/{template}").render({**common, **context})
        return HTMLResponse(html, status_code=status_code)

    def locale(self, connection: HTTPConnection, context: dict[str, Any]) -> str:
        """The page's language: `console_locale` if the context gives one, else the logged-in staff member's
        setting, else their browser's."""
        chosen = context.get("console_locale") or getattr(context.get("staff"), "console_language", None)
        return console_locale(connection, chosen)

    def translator(self, locale: str) -> Translator | None:
        """The catalogs' words for `locale` (None: no catalogs, English as written)."""
        return Translator(self._catalog_dir, locale) if self._catalog_dir is not None else None

    def words(self, locale: str) -> dict[str, Any]:
        """What a template needs to speak `locale`: `_`/`gettext`/`ngettext`, and the page's lang and dir."""
        translator = self.translator(locale)
        if translator is None:
            gettext: Any = str
            ngettext: Any = lambda singular, plural, n: singular if n == 1 else plural  # noqa: E731
        else:
            gettext, ngettext = translator.gettext, translator.ngettext
        return {
            "_": gettext,
            "gettext": gettext,
            "ngettext": ngettext,
            "lang": locale.replace("_", "-"),
            "dir": text_direction(locale),
        }

    def refusal(
        self, connection: HTTPConnection, status_code: int, message: str, staff: Any = None
    ) -> Response:
        """A short page saying why a request was refused (403, 404, 409); `message` is translated there."""
        return self.page(connection, "refused.html", {"message": message, "staff": staff}, status_code)
