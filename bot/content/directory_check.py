"""Checks of the country files: numbers that really are numbers of that country, sources, unique ids."""

from __future__ import annotations

import phonenumbers
from phonenumbers import shortnumberinfo

from bot.content.pack import Pack, Problem, error
from bot.content.schema import EU, EU_MEMBER_STATES, Contact, CountryFile
from bot.countries import is_country_code


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
            if service.hours and service.hours.open and not service.hours.timezone:
                message = "opening days need the service's time zone (e.g. Europe/Warsaw)"
                problems.append(error(name, f"{field}.hours.timezone", message))
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
