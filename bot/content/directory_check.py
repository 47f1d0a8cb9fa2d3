"""Checks of the country files: numbers that really are numbers of that country, sources, unique ids."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import shortnumberinfo

from bot.content.directory import shown_number
from bot.content.pack import Pack, Problem, error
from bot.content.schema import EU, EU_MEMBER_STATES, Contact, CountryFile
from bot.countries import is_country_code

# A phone number as a text may write it: digits in groups, maybe a leading +, spaces or hyphens between.
_WRITTEN_NUMBER = re.compile(r"(?<![\w+])\+?\d[\d -]{4,16}\d(?![\w])")


def country_problems(pack: Pack) -> list[Problem]:
    """Every problem in `content/countries/`: codes, phone and emergency numbers, sources, service ids."""
    problems: list[Problem] = []
    owners: dict[str, str] = {}
    for name, country in pack.countries.values():
        problems += _file_problems(name, country)
        for service in country.services:
            field = f"services[{service.id}]"
            if service.id in owners:
                problems.append(
                    error(name, f"{field}.id", f"'{service.id}' is already used in {owners[service.id]}")
                )
            owners.setdefault(service.id, name)
            if not service.sources:
                problems.append(error(name, f"{field}.sources", "at least one source is required"))
            for index, contact in enumerate(service.contacts):
                message = contact_problem(contact, country.country)
                if message:
                    problems.append(error(name, f"{field}.contacts[{index}].number", message))
                elif contact.written is not None and digits(contact.written) not in number_digits(contact):
                    message = f"'{contact.written}' is not written from the same number as '{contact.number}'"
                    problems.append(error(name, f"{field}.contacts[{index}].written", message))
            if service.hours and service.hours.open and not service.hours.timezone:
                message = "opening days need the service's time zone (e.g. Europe/Warsaw)"
                problems.append(error(name, f"{field}.hours.timezone", message))
    return problems


def digits(text: str) -> str:
    """Only the digits of a number as written ("+44 800 012 1700" → "448000121700")."""
    return "".join(char for char in text if char.isdigit())


def number_digits(contact: Contact) -> set[str]:
    """The digits of every way one writes a contact's number: with the country code, or dialled at home."""
    number = contact.number.replace(" ", "")
    if not number.startswith("+"):
        return {digits(number)}
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return {digits(number)}
    national = str(parsed.national_number)
    region = phonenumbers.region_code_for_number(parsed) or ""
    prefix = phonenumbers.ndd_prefix_for_region(region, True) or ""
    return {digits(number), national, prefix + national}


def number_form_problems(pack: Pack) -> list[Problem]:
    """A number written in a text in another form than the list of services shows it ("116000" in one
    place, "116 000" in another; "08000 121 700" against "+44 800 012 1700"): one number, one way."""
    shown: dict[str, str] = {}
    for _name, country in pack.countries.values():
        for service in country.services:
            for contact in service.contacts:
                form = shown_number(contact, country.country)
                for written_digits in number_digits(contact):
                    shown.setdefault(written_digits, form)
    problems: list[Problem] = []
    for entry_id, entry in pack.entries.items():
        for variant in entry.variants:
            for locale, text in variant.text.items():
                for written in sorted(set(_WRITTEN_NUMBER.findall(text))):
                    one_way = shown.get(digits(written))
                    if one_way is not None and written.strip() != one_way:
                        message = (
                            f"'{written.strip()}' is written '{one_way}' in the list of services: write it so"
                        )
                        file = pack.files.get(entry_id, entry_id)
                        problems.append(
                            error(file, f"variants[{variant.jurisdiction}].text.{locale}", message)
                        )
    return problems


def contact_problem(contact: Contact, country: str) -> str | None:
    """Why a number is not one people in `country` can dial, or None when it is."""
    number = contact.number.replace(" ", "")
    regions = sorted(EU_MEMBER_STATES) if country == EU else [country]
    if number.startswith("+"):
        try:
            parsed = phonenumbers.parse(number, None)
        except phonenumbers.NumberParseException as error:
            return f"'{contact.number}' is not a phone number: {error}"
        if not phonenumbers.is_valid_number(parsed):
            return f"'{contact.number}' is not a valid phone number"
        region = phonenumbers.region_code_for_number(parsed)
        if country != EU and region != country:
            return f"'{contact.number}' is a number of {region}, not of {country}"
        return None
    parsed = phonenumbers.parse(number, regions[0])
    if any(shortnumberinfo.is_valid_short_number_for_region(parsed, region) for region in regions):
        return None
    if contact.unlisted_short_number and any(
        shortnumberinfo.is_possible_short_number_for_region(parsed, region) for region in regions
    ):
        return None
    return (
        f"'{contact.number}' is neither E.164 (+country code…) nor a short number of {country} known to "
        "phonenumbers; if the source confirms it, set `unlisted_short_number: true`"
    )


def _file_problems(name: str, country: CountryFile) -> list[Problem]:
    problems: list[Problem] = []
    code = country.country
    if code != EU and not is_country_code(code):
        problems.append(error(name, "country", f"'{code}' is not an ISO 3166 country code"))
    if not country.sources:
        problems.append(error(name, "sources", "at least one source is required (for the emergency numbers)"))
    if code != EU and not country.emergency and code not in EU_MEMBER_STATES:
        problems.append(error(name, "emergency", "a country outside the EU needs its emergency number"))
    regions = sorted(EU_MEMBER_STATES) if code == EU else [code]
    for index, emergency in enumerate(country.emergency):
        number = emergency.number.replace(" ", "")
        if not all(shortnumberinfo.is_emergency_number(number, region) for region in regions):
            where = "every EU member state" if code == EU else code
            message = f"'{emergency.number}' is not an emergency number in {where} (phonenumbers)"
            problems.append(error(name, f"emergency[{index}].number", message))
    return problems
