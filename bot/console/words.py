"""The console's words for what a ticket holds, in the staff member's language: the survivor's language,
country, topic (an intent, named with the content's button titles), an outcome, a wait, the local time."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from babel import UnknownLocaleError

from bot.console.local_time import local_time_range
from bot.countries import country_name
from bot.i18n import _, babel_locale
from bot.store.outcomes import OUTCOME_WORDS, Outcome

NOTHING = "—"
# Words the templates translate as they are (`_(ticket.status)`, `_(staff.role)`), marked for extraction.
STATUS_WORDS = (_("waiting"), _("claimed"), _("resolved"), _("cancelled"))
ROLE_WORDS = (_("counsellor"), _("supervisor"), _("admin"))
VISITOR = _("Visitor %(number)s")
_VISITOR = re.compile(r"Visitor (\d{1,6})")
SECONDS = _("%(seconds)s s")
MINUTES = _("%(minutes)s min")
HOURS = _("%(hours)s h %(minutes)s min")
AROUND = _("around %(hours)s there")


@dataclass(frozen=True)
class StaffWords:
    """How the console names things for a staff member reading `locale` (translated with `gettext`)."""

    locale: str
    gettext: Callable[[str], str] = str
    topic_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def language(self, code: str) -> str:
        """A language's name ("Spanish", "Español" for a Spanish reader), or the code if Babel lacks it."""
        try:
            name = babel_locale(code).get_display_name(babel_locale(self.locale))
        except (UnknownLocaleError, ValueError):
            return code
        return (name or code)[:1].upper() + (name or code)[1:]

    def nickname(self, nickname: str) -> str:
        """A ticket's nickname ("Visitor 4821") in the staff member's language ("Visitante 4821")."""
        match = _VISITOR.fullmatch(nickname)
        return self.gettext(VISITOR) % {"number": match.group(1)} if match else nickname

    def country(self, code: str | None) -> str:
        """A country's name, or a dash."""
        return country_name(code, self.locale) if code else NOTHING

    def topic(self, topic: str | None) -> str:
        """What the person asked about before: the content's words for it, else the intent read aloud."""
        if not topic:
            return NOTHING
        labels = self.topic_labels.get(topic, {})
        label = labels.get(self.locale) or labels.get(self.locale.split("_")[0]) or labels.get("en")
        return label or topic.replace("_", " ")

    def outcome(self, outcome: Outcome) -> str:
        """How a chat ended, in words."""
        return self.gettext(OUTCOME_WORDS[outcome])

    def waited(self, since_ms: int, now_ms: int) -> str:
        """A wait as staff read it: "45 s", "12 min", "2 h 5 min"."""
        seconds = max(0, (now_ms - since_ms) // 1000)
        if seconds < 60:
            return self.gettext(SECONDS) % {"seconds": seconds}
        minutes = seconds // 60
        if minutes < 60:
            return self.gettext(MINUTES) % {"minutes": minutes}
        return self.gettext(HOURS) % {"hours": minutes // 60, "minutes": minutes % 60}

    def local_time(self, country: str | None, now: datetime | None = None) -> str | None:
        """The survivor's time of day from their country alone ("around 14:00–15:00 there"), or None."""
        hours = local_time_range(country, self.locale, now)
        return self.gettext(AROUND) % {"hours": hours} if hours else None
