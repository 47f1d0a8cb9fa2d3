"""When counsellors are on duty, and an honest estimate of the wait; pure but for reading the YAML file."""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
RANGE = re.compile(r"(\d\d):(\d\d)-(\d\d):(\d\d)")
MINUTES_PER_DAY = 24 * 60
# Far enough to pass any run of holidays; a schedule with no hours at all never opens.
LOOKAHEAD_DAYS = 400
# Handle time assumed before any handoff has been resolved: on the long side, so the first estimates are not
# promises the helpline cannot keep.
ASSUMED_HANDLE_S = 15 * 60.0
# The measured median stands in for it once this many chats ended in the last HANDLE_WINDOW: fewer would
# let one long or short chat set every estimate.
MIN_HANDLE_SAMPLES = 5
HANDLE_WINDOW = timedelta(days=14)


@dataclass(frozen=True)
class Staffing:
    """Staffing hours: weekly opening ranges in one time zone, and holidays when nobody is on duty."""

    time_zone: ZoneInfo
    # Weekday (0 = Monday) → (start, end) in minutes after local midnight; end may be 1440 (24:00).
    hours: Mapping[int, tuple[tuple[int, int], ...]]
    holidays: frozenset[date]

    @classmethod
    def load(cls, path: Path) -> Staffing:
        """Read a staffing file (see content/staffing.yml for the format)."""
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, Mapping):
            raise ValueError(f"{path}: expected a mapping with time_zone, hours, holidays")
        return cls.from_mapping(data)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Staffing:
        """Build from parsed YAML: {time_zone, hours: {weekday: ["HH:MM-HH:MM", ...]}, holidays: [dates]}."""
        hours_by_name = data.get("hours") or {}
        unknown = set(hours_by_name) - set(WEEKDAYS)
        if unknown:
            raise ValueError(f"unknown weekdays in hours: {', '.join(sorted(map(str, unknown)))}")
        hours = {
            WEEKDAYS.index(name): tuple(sorted(_range(text) for text in ranges or ()))
            for name, ranges in hours_by_name.items()
        }
        holidays = frozenset(
            day if isinstance(day, date) else date.fromisoformat(str(day))
            for day in data.get("holidays") or ()
        )
        return cls(ZoneInfo(str(data["time_zone"])), hours, holidays)

    def is_open(self, at: datetime) -> bool:
        """Whether counsellors are on duty at this moment (an aware datetime, any zone)."""
        local = self._local(at)
        if local.date() in self.holidays:
            return False
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.hours.get(local.weekday(), ()))

    def next_opening(self, at: datetime) -> datetime | None:
        """When counsellors are next on duty, in the schedule's zone: `at` itself when open; None if never."""
        local = self._local(at)
        if self.is_open(local):
            return local
        for offset in range(LOOKAHEAD_DAYS):
            day = local.date() + timedelta(days=offset)
            if day in self.holidays:
                continue
            for start, _end in self.hours.get(day.weekday(), ()):
                opening = datetime.combine(day, _clock(start), tzinfo=self.time_zone)
                if opening > local:
                    return opening
        return None

    def _local(self, at: datetime) -> datetime:
        if at.tzinfo is None:
            raise ValueError("staffing hours need an aware datetime (UTC from the clock)")
        return at.astimezone(self.time_zone)


def typical_handle_s(
    recent_handle_s: Sequence[float],
    *,
    assumed_handle_s: float = ASSUMED_HANDLE_S,
    min_samples: int = MIN_HANDLE_SAMPLES,
) -> float:
    """How long a chat with a counsellor takes: the median of recent chats' handling times (seconds from
    claim to end), or `assumed_handle_s` while fewer than `min_samples` chats are known."""
    if len(recent_handle_s) < max(1, min_samples):
        return assumed_handle_s
    return float(statistics.median(recent_handle_s))


def wait_estimate(
    position: int,
    active_counsellors: int,
    recent_handle_s: Sequence[float],
    *,
    assumed_handle_s: float = ASSUMED_HANDLE_S,
    min_samples: int = MIN_HANDLE_SAMPLES,
) -> int:
    """Minutes a person at `position` may wait: typical handle time × position / counsellors, up to 5 min.

    Rounded up to a multiple of five and at least five: a promise of "2 minutes" that turns into ten hurts
    more than an honest "about 10". With too few recent chats to go by, `assumed_handle_s` stands in.
    """
    if position < 1:
        raise ValueError("position is 1-based")
    median_s = typical_handle_s(recent_handle_s, assumed_handle_s=assumed_handle_s, min_samples=min_samples)
    seconds = median_s * position / max(1, active_counsellors)
    return max(5, math.ceil(seconds / 300) * 5)


def _range(text: str) -> tuple[int, int]:
    """Minutes after midnight of "HH:MM-HH:MM"; the end must follow the start on the same day."""
    match = RANGE.fullmatch(str(text).strip())
    if not match:
        raise ValueError(f"expected HH:MM-HH:MM, got {text!r}")
    start_h, start_m, end_h, end_m = (int(part) for part in match.groups())
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    if start_h > 23 or start_m > 59 or end_m > 59 or not start < end <= MINUTES_PER_DAY:
        raise ValueError(f"{text!r}: a range is within one day (write overnight hours as two ranges)")
    return start, end


def _clock(minutes: int) -> clock_time:
    return clock_time(minutes // 60, minutes % 60)
