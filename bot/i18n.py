"""Interface strings through Babel message catalogs, and the choice of a person's locale."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from babel import Locale, negotiate_locale
from babel.support import NullTranslations, Translations

CATALOG_DOMAIN = "helpline"
DEFAULT_LOCALE = "en"
# Grows with each language that has training data, a complete catalog and content (see README).
SUPPORTED_LOCALES: tuple[str, ...] = ("en",)


def choose_locale(preferred: Iterable[str | None], supported: Iterable[str] = SUPPORTED_LOCALES) -> str:
    """Pick the supported locale that best matches the person's preferences, or English."""
    wanted = [tag.replace("-", "_") for tag in preferred if tag]
    available = list(supported)
    # Babel matches "pt_BR" to "pt" only when asked by language alone, so offer both forms.
    wanted += [tag.split("_")[0] for tag in wanted]
    return negotiate_locale(wanted, available, sep="_") or DEFAULT_LOCALE


def parse_accept_language(header: str | None) -> list[str]:
    """Language tags of an HTTP Accept-Language header, most preferred first."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def text_direction(locale: str) -> str:
    """`rtl` or `ltr`, for the web page's `dir` attribute."""
    return "rtl" if Locale.parse(locale).character_order == "right-to-left" else "ltr"


@lru_cache(maxsize=32)
def _translations(catalog_dir: Path, locale: str) -> NullTranslations:
    return Translations.load(str(catalog_dir), [locale], domain=CATALOG_DOMAIN)


class Translator:
    """gettext for one locale, loaded from the compiled catalogs in `content/locale`."""

    def __init__(self, catalog_dir: Path, locale: str) -> None:
        self.locale = locale
        self._catalog = _translations(catalog_dir, locale)

    def gettext(self, message: str) -> str:
        """The interface string in this locale (English when a catalog lacks it)."""
        return self._catalog.gettext(message)


def _(message: str) -> str:
    """Mark a string for extraction; translate it later with a `Translator`."""
    return message
