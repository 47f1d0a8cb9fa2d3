"""The directory of services and emergency numbers per country, rendered for a person's language.

Every fact comes from `content/countries/<CODE>.yml`; only the words around them (labels such as "free" or
"open 24/7", day names, times, language names) come from the message catalogs and Babel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import time

import phonenumbers
from babel import Locale, UnknownLocaleError
from babel.dates import format_time, get_day_names, get_timezone_location
from babel.lists import format_list

from bot.content.schema import (
    EU,
    EU_MEMBER_STATES,
    WEEKDAYS,
    Contact,
    CountryFile,
    Hours,
    Service,
    ServiceKind,
)
from bot.countries import country_name
from bot.i18n import _, babel_locale

WHERE_TO_CALL = _("Where to call in {country}:")
NO_CHECKED_SERVICE = _("I have no checked helpline for {country} yet.")
IN_AN_EMERGENCY = _("In an emergency, call {number}.")
OPEN_ALWAYS = _("open 24/7")
FREE = _("free")
CONFIDENTIAL = _("confidential")
ANONYMOUS = _("you can stay anonymous")
POLICE = _("this is the police")
NOT_POLICE = _("not the police")
FOR_WOMEN = _("for women")
FOR_CHILDREN = _("for children")
LANGUAGES = _("Languages: {languages}")
INTERPRETERS = _("interpreters for other languages")
CONTACT_USES = {
    "call": _("Call: {number}"),
    "text": _("Text message: {number}"),
    "tty": _("TTY: {number}"),
    "from_abroad": _("From abroad: {number}"),
}
DAYS_AND_HOURS = _("{days}, {opens}–{closes} ({zone})")

Translate = Callable[[str], str]


class Directory:
    """The countries the content covers: their emergency numbers and services (EU-wide ones included)."""

    def __init__(self, countries: Mapping[str, CountryFile]) -> None:
        self._countries = dict(countries)

    def countries(self) -> tuple[str, ...]:
        """Codes of the countries with a file (not `EU`), sorted."""
        return tuple(sorted(code for code in self._countries if code != EU))

    def covers(self, country: str | None) -> bool:
        """Whether there is a reviewed file for this country."""
        return bool(country) and country != EU and country in self._countries

    def emergency_numbers(self, country: str) -> tuple[str, ...]:
        """The country's emergency numbers, the one to say first first; the EU's 112 for member states."""
        own = self._countries.get(country)
        if own and own.emergency:
            return tuple(number.number for number in own.emergency)
        eu = self._countries.get(EU)
        if country in EU_MEMBER_STATES and eu:
            return tuple(number.number for number in eu.emergency)
        return ()

    def services(self, country: str, kinds: Iterable[ServiceKind]) -> tuple[Service, ...]:
        """The country's services of these kinds, then the EU-wide ones for member states, in file order."""
        wanted = set(kinds)
        files = [self._countries.get(country)]
        if country in EU_MEMBER_STATES:
            files.append(self._countries.get(EU))
        return tuple(
            service for file in files if file for service in file.services if wanted & set(service.kinds)
        )


def directory_block(
    directory: Directory, country: str, kinds: Sequence[ServiceKind], locale: str, translate: Translate
) -> str:
    """The services of these kinds in the country, or a plain "none checked yet" with its emergency number."""
    name = country_name(country, locale)
    services = directory.services(country, kinds)
    if services:
        blocks = [service_text(service, country, locale, translate) for service in services]
        return "\n\n".join([translate(WHERE_TO_CALL).format(country=name), *blocks])
    lines = [translate(NO_CHECKED_SERVICE).format(country=name)]
    emergency = directory.emergency_numbers(country)
    if emergency:
        lines.append(translate(IN_AN_EMERGENCY).format(number=emergency[0]))
    return " ".join(lines)


# On SMS every character costs: at most this many services, each on one line with its numbers only.
SHORT_SERVICES = 3


def short_directory_block(
    directory: Directory, country: str, kinds: Sequence[ServiceKind], locale: str, translate: Translate
) -> str:
    """The directory as an SMS gives it: the first few services, one line each ("▪ Name: number"), then
    the country's emergency number. Hours, languages and the rest are in the full answer on other channels
    and from the helplines themselves."""
    name = country_name(country, locale)
    services = directory.services(country, kinds)[:SHORT_SERVICES]
    emergency = directory.emergency_numbers(country)
    if not services:
        return directory_block(directory, country, kinds, locale, translate)
    lines = [translate(WHERE_TO_CALL).format(country=name)]
    lines += [f"▪ {service.name}: {_short_contacts(service, country, translate)}" for service in services]
    if emergency:
        lines.append(translate(IN_AN_EMERGENCY).format(number=emergency[0]))
    return "\n".join(lines)


def _short_contacts(service: Service, country: str, translate: Translate) -> str:
    """A service's numbers on one line: the first number to call, and the first to text if there is one."""
    calls = [contact for contact in service.contacts if contact.use == "call"]
    texts = [contact for contact in service.contacts if contact.use == "text"]
    parts = [shown_number(calls[0], country)] if calls else []
    if texts:
        parts.append(translate(CONTACT_USES["text"]).format(number=shown_number(texts[0], country)))
    if not parts and service.contacts:
        parts.append(shown_number(service.contacts[0], country))
    if not parts and service.website:
        parts.append(service.website)
    return " · ".join(parts)


def service_text(service: Service, country: str, locale: str, translate: Translate) -> str:
    """One service as a few short lines: name, how to reach it, when, what it is like, languages."""
    lines = [f"▪ {service.name}"]
    lines += [_contact_line(contact, country, translate) for contact in service.contacts]
    if service.email:
        lines.append(f"✉️ {service.email}")
    if service.website:
        lines.append(f"🌐 {service.website}")
    facts = [hours_text(service.hours, locale, translate)] if service.hours else []
    facts += [
        translate(label)
        for flag, label in (
            (service.free, FREE),
            (service.confidential, CONFIDENTIAL),
            (service.anonymous, ANONYMOUS),
            (service.police, POLICE),
            (service.police is False, NOT_POLICE),
            (service.for_women, FOR_WOMEN),
            (service.for_children, FOR_CHILDREN),
        )
        if flag
    ]
    if facts:
        lines.append(" · ".join(facts))
    languages = [language_display_name(code, locale) for code in service.languages]
    if service.interpreters:
        languages.append(translate(INTERPRETERS))
    if languages:
        lines.append(
            translate(LANGUAGES).format(languages=format_list(languages, locale=_babel_locale(locale)))
        )
    return "\n".join(lines)


def hours_text(hours: Hours, locale: str, translate: Translate) -> str:
    """When a service answers, in the person's words: "open 24/7" or "Monday–Friday, 09:00–17:00 (…)"."""
    if hours.always:
        return translate(OPEN_ALWAYS)
    parts: list[str] = []
    babel_locale = _babel_locale(locale)
    for opening in hours.open:
        days = _day_ranges(opening.days, babel_locale)
        if opening.opens and opening.closes and hours.timezone:
            parts.append(
                translate(DAYS_AND_HOURS).format(
                    days=days,
                    opens=_time(opening.opens, babel_locale),
                    closes=_time(opening.closes, babel_locale),
                    zone=get_timezone_location(hours.timezone, locale=babel_locale),
                )
            )
        else:
            parts.append(days)
    return "; ".join(parts)


def shown_number(contact: Contact, country: str) -> str:
    """A contact's number as people read it, in the list of services and in every text: as the source
    writes it (`written`), else as a phone dials it."""
    return contact.written or dialled_number(contact.number, country)


def dialled_number(number: str, country: str) -> str:
    """A number the way a phone dials it: E.164 in international format, a short number as written."""
    if not number.startswith("+"):
        return number
    try:
        parsed = phonenumbers.parse(number, None if country == EU else country)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def language_display_name(language: str, locale: str) -> str:
    """A language's name in the person's language, e.g. "inglés" for `en` in Spanish."""
    return str(_babel_locale(locale).languages.get(language, language))


def _contact_line(contact: Contact, country: str, translate: Translate) -> str:
    icon = "📞" if contact.use in ("call", "from_abroad", "tty") else "💬"
    return f"{icon} " + translate(CONTACT_USES[contact.use]).format(number=shown_number(contact, country))


def _day_ranges(days: Sequence[str], locale: Locale) -> str:
    """Consecutive days as ranges: mon..fri → "Monday–Friday"; mon, wed → "Monday, Wednesday"."""
    names = get_day_names("wide", locale=locale)
    indexes = sorted({WEEKDAYS.index(day) for day in days})
    runs: list[list[int]] = []
    for index in indexes:
        if runs and runs[-1][-1] == index - 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    words = [names[run[0]] if len(run) == 1 else f"{names[run[0]]}–{names[run[-1]]}" for run in runs]
    return ", ".join(words)


def _time(value: time, locale: Locale) -> str:
    return format_time(value, format="short", locale=locale)


def _babel_locale(locale: str) -> Locale:
    try:
        return babel_locale(locale)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")
