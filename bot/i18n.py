"""Interface strings through Babel message catalogs, and the choice of a person's locale."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from pathlib import Path

from babel import Locale, negotiate_locale
from babel.dates import format_date
from babel.support import NullTranslations, Translations

CATALOG_DOMAIN = "helpline"
DEFAULT_LOCALE = "en"
# A language is supported when it has training data, a complete catalog and content (README: adding one).
SUPPORTED_LOCALES: tuple[str, ...] = (
    "en",
    "es",
    "fr",
    "pt",
    "ro",
    "ru",
    "uk",
    "ar",
    "sq",
    "vi",
    "zh",
    "th",
    "ti",
    "tl",
)
# The project's code where CLDR has another: CLDR knows Tagalog as Filipino (`fil`) and would read `tl` as
# "Filipino (Philippines)"; the project keeps `tl` (ISO 639-1, issue 17) and asks Babel for `fil`.
_BABEL_CODES = {"tl": "fil"}
_PROJECT_CODES = {babel: code for code, babel in _BABEL_CODES.items()}
# A picker's name where CLDR's own name is not the one speakers look for.
_OWN_NAMES = {"tl": "Tagalog"}
# What a language button sends back (`/language_uk`); the conversation core acts on it, Rasa never sees it.
_LANGUAGE_PAYLOAD = re.compile(r"^/language_([a-z]{2,3})$")


def choose_locale(preferred: Iterable[str | None], supported: Iterable[str] = SUPPORTED_LOCALES) -> str:
    """Pick the supported locale that best matches the person's preferences, or English."""
    wanted = [tag.replace("-", "_") for tag in preferred if tag]
    available = list(supported)
    # Babel matches "pt_BR" to "pt" only when asked by language alone, so offer both forms; apps and
    # browsers set to Filipino say "fil" or "fil-PH", the project's `tl`.
    wanted += [tag.split("_")[0] for tag in wanted]
    wanted = [project_locale(tag) for tag in wanted]
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


def language_payload(locale: str) -> str:
    """The payload of the button that switches to this locale."""
    return f"/language_{locale}"


def locale_from_payload(text: str, supported: Iterable[str] = SUPPORTED_LOCALES) -> str | None:
    """The supported locale a language button asks for, or None if the text is not such a button."""
    match = _LANGUAGE_PAYLOAD.match(text.strip())
    return match.group(1) if match and match.group(1) in tuple(supported) else None


def project_locale(code: str) -> str:
    """The project's locale for a CLDR language code ("fil" → "tl"); other codes are the same."""
    return _PROJECT_CODES.get(code, code)


def babel_locale(locale: str) -> Locale:
    """Babel's locale for a project locale ("pt_BR", "tl" → `fil`); raises as Locale.parse does."""
    code = locale.replace("-", "_")
    return Locale.parse(_BABEL_CODES.get(code, code))


def language_name(locale: str) -> str:
    """The language's name in itself ("Español", "Українська", "العربية"), as a picker shows it."""
    name = _OWN_NAMES.get(locale) or babel_locale(locale).get_display_name(babel_locale(locale)) or locale
    return name[:1].upper() + name[1:]


def long_date(day: date, locale: str) -> str:
    """A date as people of this locale write it ("23 de noviembre de 2026")."""
    return format_date(day, format="long", locale=babel_locale(locale))


# Phone numbers, other numbers and links inside right-to-left text: "+1 888 373 7888" would be shown as
# "7888 373 888 1+" by the bidi algorithm. Each run is wrapped in LEFT-TO-RIGHT ISOLATE ... POP
# DIRECTIONAL ISOLATE (Unicode UAX #9), which Telegram apps and browsers honour.
_LTR_RUN = re.compile(r"https?://\S*[^\s.,;:!?)]|\+?\d(?:[\d ()./\-]*\d)?")
LRI, PDI = "\u2066", "\u2069"


def isolate_ltr_runs(text: str) -> str:
    """Right-to-left text with its numbers and links kept left to right."""
    return _LTR_RUN.sub(lambda match: f"{LRI}{match.group(0)}{PDI}", text)


def text_direction(locale: str) -> str:
    """`rtl` or `ltr`, for the web page's `dir` attribute."""
    return "rtl" if babel_locale(locale).character_order == "right-to-left" else "ltr"


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

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        """The singular or plural interface string for `count`, in this locale."""
        return self._catalog.ngettext(singular, plural, count)


def _(message: str) -> str:
    """Mark a string for extraction; translate it later with a `Translator`."""
    return message


# Letters of the scripts written without spaces between words: Chinese (CJK ideographs), Japanese kana,
# Thai. Where words are read (the danger net, country and place names), each of these letters is read as
# a word of its own, so a name or a pattern is found inside unspaced text ("我在英国" holds "英国") while
# other scripts keep whole-word matching. A regular-expression class; vowel and tone marks are not in it.
UNSPACED_LETTER = (
    "(?=\\w)[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]"
)
_UNSPACED_LETTER = re.compile(UNSPACED_LETTER)


def space_out_unspaced(text: str) -> str:
    """The text with a space on each side of each letter of an unspaced script ("我被锁" → " 我  被  锁 ")."""
    return _UNSPACED_LETTER.sub(r" \g<0> ", text)


# Letters of the Ge'ez (Ethiopic) script, in which Tigrinya is written: syllables of the Ethiopic,
# Ethiopic Supplement, Extended and Extended-A blocks. Ge'ez is written with spaces between words, but may
# use the Ethiopic wordspace "፡" for a space and "።" (full stop), "፧" (question mark), "፨" (paragraph
# separator) to end a sentence. A regular-expression class.
GEEZ_LETTER = "[\u1200-\u135a\u1380-\u138f\u2d80-\u2ddf\uab00-\uab2f]"
ETHIOPIC_WORDSPACE = "\u1361"
ETHIOPIC_SENTENCE_ENDS = "\u1362\u1367\u1368"  # ። ፧ ፨


def ethiopic_spaced(text: str) -> str:
    """The text with each Ethiopic wordspace as a space ("ሓገዝ፡ደልየ" → "ሓገዝ ደልየ")."""
    return text.replace(ETHIOPIC_WORDSPACE, " ")
