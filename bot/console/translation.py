"""Machine translation in a counsellor's chat (optional: HELPLINE_TRANSLATE_URL).

When the survivor writes in a language the counsellor does not list, and it is not the console's language,
the chat page shows each survivor message with a machine translation into the console's language, and the
counsellor may preview a reply translated into the survivor's language before sending it. The survivor
then reads the translation and a short note, in their language, that it is machine translation. A server
that fails never holds a message up: the original is shown or sent, marked untranslated. Only the
deployment's own LibreTranslate server sees the text; logs name the chat and the failure, never the text.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from starlette.requests import HTTPConnection

from bot.console.auth import StaffSession
from bot.console.deps import Console
from bot.console.render import console_locale
from bot.handoff.queue import Ticket
from bot.i18n import Translator, _

log = structlog.get_logger(__name__)

# Under a translated reply, in the survivor's language (machine-drafted in the catalogs).
SURVIVOR_MARK = _(
    "(Machine translation: your counsellor writes in another language. Ask if anything is unclear.)"
)


@dataclass(frozen=True)
class Languages:
    """A chat translated between the survivor's language and the counsellor's (console) language."""

    survivor: str
    counsellor: str


@dataclass(frozen=True)
class Shown:
    """A survivor message as the counsellor reads it: the original and its translation (None: it failed)."""

    translation: str | None

    @property
    def untranslated(self) -> bool:
        """The server did not translate it: the original alone is shown, marked."""
        return self.translation is None


def staff_locale(connection: HTTPConnection, session: StaffSession) -> str:
    """The counsellor's console language: their own setting where the session carries one
    (`console_language`), else their browser's, as the page itself is shown (Renderer.page)."""
    return console_locale(connection, getattr(session, "console_language", None))


async def chat_languages(
    console: Console, connection: HTTPConnection, session: StaffSession, ticket: Ticket
) -> Languages | None:
    """The languages to translate between in this chat; None when translation is off or not needed."""
    if console.deps.machine_translation is None:
        return None
    counsellor = staff_locale(connection, session)
    if _language(ticket.locale) == _language(counsellor):
        return None
    account = await console.account(session)
    if account is not None and ticket.locale in account.languages:
        return None  # the counsellor reads it: nothing need leave the helpline
    return Languages(ticket.locale, counsellor)


async def for_counsellor(console: Console, ticket: Ticket, text: str, languages: Languages) -> Shown:
    """A survivor message translated into the counsellor's language (never raises)."""
    return Shown(await _translated(console, ticket, text, languages.survivor, languages.counsellor))


async def for_survivor(console: Console, ticket: Ticket, text: str, languages: Languages) -> str | None:
    """A counsellor's reply translated into the survivor's language; None when the server did not."""
    return await _translated(console, ticket, text, languages.counsellor, languages.survivor)


def marked(console: Console, ticket: Ticket, translation: str) -> str:
    """What the survivor reads: the translation and, in their language, that it is machine translation."""
    mark = Translator(console.deps.catalog_dir, ticket.locale).gettext(SURVIVOR_MARK)
    return f"{translation}\n\n{mark}"


async def _translated(console: Console, ticket: Ticket, text: str, source: str, target: str) -> str | None:
    server = console.deps.machine_translation
    if server is None:
        return None
    try:
        return await server.translate(text, source, target)
    except Exception as error:  # the message goes through untranslated, whatever went wrong
        reason = getattr(error, "reason", type(error).__name__)
        log.warning("translation_failed", ticket=ticket.id[:8], source=source, target=target, reason=reason)
        return None


def _language(locale: str) -> str:
    return locale.replace("-", "_").split("_")[0]
