"""Words for a report's categories in the staff member's language: channels, languages, countries, topics
(their content labels), danger sources, handoff stages, outcomes."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from babel import Locale, UnknownLocaleError

from bot.countries import country_name
from bot.i18n import DEFAULT_LOCALE, _
from bot.store.outcomes import OUTCOME_WORDS

NOT_KNOWN = _("Not known")
CHANNEL_WORDS = {
    "telegram": _("Telegram"),
    "webchat": _("Web chat"),
    "whatsapp": _("WhatsApp"),
    "sms": _("SMS"),
}
DANGER_WORDS = {
    "net": _("Danger words noticed in the message"),
    "model": _("Danger understood by the language model"),
}
HANDOFF_WORDS = {
    "requested": _("Asked for a person"),
    "offered": _("Offered a counsellor"),
    "queued": _("Accepted the offer (queued)"),
    "answered": _("Answered by a counsellor"),
    "abandoned": _("Left the queue before an answer"),
}
TopicLabels = Mapping[str, Mapping[str, str]]  # intent → {locale: label}


class Labels:
    """Names a report's keys in one locale, with that locale's gettext for the fixed words."""

    def __init__(
        self, locale: str, gettext: Callable[[str], str] = str, topics: TopicLabels | None = None
    ) -> None:
        self.locale = locale
        self._ = gettext
        self._topics = topics or {}

    def name(self, kind: str, key: str) -> str:
        """The words for one key of a table of this kind."""
        if kind == "channel":
            return self._(CHANNEL_WORDS[key]) if key in CHANNEL_WORDS else key or self._(NOT_KNOWN)
        if kind == "language":
            return self.language(key)
        if kind == "country":
            return country_name(key, self.locale) if key else self._(NOT_KNOWN)
        if kind == "topic":
            return self.topic(key)
        kinds: dict[str, Mapping[str, str]] = {
            "danger": DANGER_WORDS,
            "handoff": HANDOFF_WORDS,
            "outcome": OUTCOME_WORDS,
        }
        words = kinds.get(kind, {})
        return self._(words[key]) if key in words else key.replace("_", " ")

    def language(self, locale: str) -> str:
        """A language's name in the staff member's language ("Spanish", "Spanisch")."""
        if not locale:
            return self._(NOT_KNOWN)
        try:
            name = Locale.parse(locale.replace("-", "_")).get_display_name(self.locale) or locale
        except (UnknownLocaleError, ValueError):
            return locale
        return name[:1].upper() + name[1:]

    def topic(self, intent: str) -> str:
        """A topic's label from content, in this language, else English, else its intent in words."""
        labels = self._topics.get(intent, {})
        for candidate in (self.locale, self.locale.split("_")[0], DEFAULT_LOCALE):
            if labels.get(candidate):
                return labels[candidate]
        return intent.removeprefix("ask_").replace("_", " ").capitalize()
