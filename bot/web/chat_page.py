"""The web chat's page (GET /chat) and its words, in the language the browser asks for.

The page holds no conversation: the socket (bot/channels/webchat.py) does. Its words come from the
catalogs, and the same words are sent again over the socket when the person switches language.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.i18n import SUPPORTED_LOCALES, Translator, _, choose_locale, parse_accept_language, text_direction
from bot.settings import Settings
from bot.web.headers import PAGE_HEADERS, PRIVATE_HEADERS, SecurityHeaders
from bot.web.templates import STATIC_DIR, templates

# The page's own words, by the key the page marks them with (`data-text`, `data-text-placeholder`...).
# The template renders them and the socket sends them again when the person switches language.
PAGE_TEXT: dict[str, str] = {
    "title": _("Chat"),
    "quick_exit": _("Quick exit"),
    "quick_exit_label": _("Quick exit: leave this page now"),
    "quick_exit_note": _("Quick exit hides this page. It does not erase your browser history."),
    "conversation": _("Conversation"),
    "connecting": _("Connecting…"),
    "connected": _("Connected"),
    "reconnecting": _("Connection lost. Trying again…"),
    "your_message": _("Your message"),
    "write": _("Write a message"),
    "send": _("Send"),
    "needs_javascript": _("This chat needs JavaScript to work."),
    "privacy": _("Privacy"),
    "erase": _("Erase"),
    "privacy_notice": _("What is kept about you, and for how long"),
}

PRIVACY_PATH = "/privacy"  # the privacy notice page (bot/web/privacy.py), linked from the chat


def chat_page_routes(settings: Settings, locales: Sequence[str] = SUPPORTED_LOCALES) -> list[BaseRoute]:
    """GET /chat and the static files of the survivors' pages."""
    page = ChatPage(settings, locales)
    static = SecurityHeaders(StaticFiles(directory=STATIC_DIR), PRIVATE_HEADERS)
    return [
        Route("/chat", page.render, methods=["GET"], name="webchat_page"),
        Mount("/static", app=static, name="webchat_static"),
    ]


def negotiate(preferred: Sequence[str], settings: Settings, locales: Sequence[str]) -> str:
    """The locale to talk in: the person's first supported preference, else the helpline's default."""
    return choose_locale([*preferred, settings.default_locale], locales)


class ChatPage:
    """The chat page, rendered in the locale the browser asks for."""

    def __init__(self, settings: Settings, locales: Sequence[str]) -> None:
        self._settings = settings
        self._locales = locales

    async def render(self, request: Request) -> Response:
        """GET /chat."""
        locale = negotiate(
            parse_accept_language(request.headers.get("accept-language")), self._settings, self._locales
        )
        html = (
            templates()
            .get_template("chat.html")
            .render(
                locale=locale,
                direction=text_direction(locale),
                text=page_text(self._settings.catalog_dir, locale),
                quick_exit_url=self._settings.quick_exit_url,
                privacy_path=PRIVACY_PATH,
                socket_path=request.url_for("webchat_socket").path,
                stylesheet=request.url_for("webchat_static", path="/chat.css").path,
                script=request.url_for("webchat_static", path="/chat.js").path,
            )
        )
        return HTMLResponse(html, headers=PAGE_HEADERS)


def page_text(catalog_dir: Path, locale: str) -> dict[str, str]:
    """The page's words in a locale."""
    translate = Translator(catalog_dir, locale).gettext
    return {key: translate(message) for key, message in PAGE_TEXT.items()}
