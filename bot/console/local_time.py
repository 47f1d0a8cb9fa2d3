"""The survivor's time of day as staff see it: a range of hours from the ticket's country alone (never a
place, never a zone name), across every time zone the country has ("around 14:00–15:00 there")."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.core import get_global
from babel.dates import format_time

from bot.countries import is_country_code

HOUR = timedelta(hours=1)


@lru_cache(maxsize=512)
def country_zones(country: str) -> tuple[ZoneInfo, ...]:
    """The time zones of a country (ISO 3166-1 alpha-2), from the CLDR data Babel ships; none if unknown."""
    code = country.upper()
    names = get_global("territory_zones").get(code, ()) if is_country_code(code) else ()
    zones: list[ZoneInfo] = []
    for name in names:
        try:
            zones.append(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError):
            continue  # a zone this machine's tz database lacks: the others still give the range
    return tuple(zones)


def local_hours(country: str | None, now: datetime | None = None) -> tuple[time, time] | None:
    """The whole hours the time of day in `country` falls between now: one hour for a single zone (14:37 →
    14:00–15:00), from the earliest zone's hour to the latest's end for several; None for no known country."""
    zones = country_zones(country) if country else ()
    if not zones:
        return None
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    offsets = sorted({moment.astimezone(zone).utcoffset() or timedelta(0) for zone in zones})
    start = _floor_hour(moment + offsets[0])
    end = _floor_hour(moment + offsets[-1]) + HOUR
    return start.time(), end.time()


def local_time_range(country: str | None, locale: str, now: datetime | None = None) -> str | None:
    """ "14:00–15:00" (as `locale` writes times: "2:00 PM–3:00 PM" in English) for the country's time of day
    now; None when the country is unknown."""
    hours = local_hours(country, now)
    if hours is None:
        return None
    start, end = (format_time(moment, format="short", locale=locale) for moment in hours)
    return f"{start}–{end}"


def _floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)
