"""The privacy notice as a web page (/privacy): what is kept, for how long, who can see it.

The same reviewed entry (content/messages/privacy.yml) that answers "is this chat private?" in the chat,
then what each channel can and cannot do (privacy_channels.yml: WhatsApp and SMS cannot delete from the
phone), in the language the browser asks for or the one picked on the page; nothing third-party.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from bot.content import ContentLibrary
from bot.i18n import SUPPORTED_LOCALES, language_name, parse_accept_language, text_direction
from bot.settings import Settings
from bot.web.chat_page import PRIVACY_PATH, negotiate, page_text
from bot.web.headers import PAGE_HEADERS
from bot.web.templates import templates

PRIVACY_ENTRY = "privacy"
CHANNELS_ENTRY = "privacy_channels"


class PrivacyPage:
    """GET /privacy[?lang=xx]: the privacy notice in one language, with links to every other."""

    def __init__(
        self, content: ContentLibrary, settings: Settings, locales: Sequence[str] = SUPPORTED_LOCALES
    ) -> None:
        self._content = content
        self._settings = settings
        self._locales = tuple(locales)

    def route(self) -> Route:
        """The page's route, named `privacy_page`."""
        return Route(PRIVACY_PATH, self.render, methods=["GET"], name="privacy_page")

    async def render(self, request: Request) -> Response:
        """The notice, as paragraphs of plain text."""
        asked = request.query_params.get("lang")
        preferred = [asked] if asked in self._locales else []
        header = parse_accept_language(request.headers.get("accept-language"))
        locale = negotiate([*preferred, *header], self._settings, self._locales)
        notice = "\n\n".join(
            self._content.reply(entry, locale).text for entry in (PRIVACY_ENTRY, CHANNELS_ENTRY)
        )
        html = (
            templates()
            .get_template("privacy.html")
            .render(
                locale=locale,
                direction=text_direction(locale),
                text=page_text(self._settings.catalog_dir, locale),
                paragraphs=[part.strip() for part in notice.split("\n\n") if part.strip()],
                languages=[(code, language_name(code)) for code in self._locales],
                page_path=request.url.path,
                chat_path=request.url_for("webchat_page").path,
                stylesheet=request.url_for("webchat_static", path="/chat.css").path,
            )
        )
        return HTMLResponse(html, headers=PAGE_HEADERS)
