"""Reviewed content, loaded once, rendered for a person's intent, language and country."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.channels.capabilities import short_answers
from bot.content.check import missing_intent_problems, pack_problems
from bot.content.directory import Directory, directory_block, short_directory_block
from bot.content.pack import Pack, Problem, read_pack
from bot.content.schema import (
    BASE_LOCALE,
    COUNTRIES_BUTTON,
    EU,
    EU_MEMBER_STATES,
    FALLBACK_INTENT,
    INTERNATIONAL,
    LANGUAGES_BUTTON,
    MENU_BUTTON,
    Entry,
    ServiceKind,
    Variant,
)
from bot.countries import country_flag, country_name, country_payload
from bot.i18n import (
    SUPPORTED_LOCALES,
    Translator,
    _,
    isolate_ltr_runs,
    language_name,
    language_payload,
    long_date,
    text_direction,
)
from bot.messages import Button, Reply

# Said above a text shown in English because it is not translated yet; below each topic, its review date.
NOT_TRANSLATED = _("This part is not yet written in your language, so here it is in English.")
CHECKED_ON = _("Last checked by the helpline team: {date}.")
# Asked under a reply that depends on the country, when the person has not said which one they are in.
ASK_COUNTRY = _(
    "Which country are you in? Then I can give you the right numbers. "
    "Tap it below or write its name. I will never ask for your city or address."
)
CHANGE_COUNTRY_INTENT = "change_country"

# Codes people and EU documents use that are not ISO 3166: the UK, and Greece's "EL".
_COUNTRY_ALIASES = {"UK": "GB", "EL": "GR"}


@dataclass(frozen=True)
class RenderedButton:
    """A button under a reply: its title, and the payload Rasa parses as an intent (`/ask_shelter`)."""

    title: str
    payload: str


@dataclass(frozen=True)
class RenderedReply:
    """What a person reads: the text and buttons of one entry, in one locale and jurisdiction.

    `locale` is the person's locale; `fallback_locale` says the text itself is the English one.
    """

    entry_id: str
    text: str
    buttons: tuple[RenderedButton, ...]
    locale: str
    jurisdiction: str
    fallback_locale: bool
    reviewed: date
    country: str | None = None

    def as_reply(self) -> Reply:
        """The reply a channel sends: this text and these buttons."""
        return Reply(self.text, tuple(Button(button.title, button.payload) for button in self.buttons))


class ContentError(Exception):
    """The content pack is broken; names the file and field of every error found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        self.file = self.problems[0].file if self.problems else ""
        self.field = self.problems[0].field if self.problems else ""
        super().__init__("\n".join(str(problem) for problem in self.problems))


class ContentLibrary:
    """Every entry of a valid content pack, ready to render on every turn without I/O."""

    def __init__(self, pack: Pack, catalog_dir: Path, locales: Sequence[str] = SUPPORTED_LOCALES) -> None:
        """Index a pack that passed `pack_problems` (use `ContentLibrary.load`)."""
        self._catalog_dir = catalog_dir
        self._locales = tuple(locales)
        self._entries = dict(pack.entries)
        self._owners = {intent: entry for entry in self._entries.values() for intent in entry.answers}
        self._menu = pack.menu
        self._directory = Directory({code: country for code, (_name, country) in pack.countries.items()})
        self._variants = {
            entry.id: {variant.jurisdiction: variant for variant in entry.variants}
            for entry in self._entries.values()
        }
        self._buttons = {entry.id: self._expand(entry) for entry in self._entries.values()}

    @classmethod
    def load(cls, content_dir: Path, locales: Sequence[str] = SUPPORTED_LOCALES) -> ContentLibrary:
        """Parse and validate the whole pack; raise `ContentError` naming each bad file and field.

        The interface strings a reply adds (the "not translated" note, the review date) come from the
        message catalogs in `content_dir/locale`.
        """
        pack, problems = read_pack(content_dir)
        problems += pack_problems(pack, [BASE_LOCALE])
        problems += missing_intent_problems(pack, [FALLBACK_INTENT])
        errors = [problem for problem in problems if problem.severity == "error"]
        if errors:
            raise ContentError(errors)
        return cls(pack, content_dir / "locale", locales)

    @property
    def catalog_dir(self) -> Path:
        """The message catalogs the library's replies use for their interface words."""
        return self._catalog_dir

    def entry(self, entry_id: str) -> Entry:
        """The entry with this id; `KeyError` if there is none."""
        try:
            return self._entries[entry_id]
        except KeyError:
            raise KeyError(f"no content entry '{entry_id}'") from None

    def entry_for_intent(self, intent: str) -> Entry | None:
        """The entry that answers this intent, if any."""
        return self._owners.get(intent)

    def topic_labels(self) -> dict[str, dict[str, str]]:
        """Every intent's words by locale ("ask_shelter" → {"es": "Un lugar seguro donde quedarte", …}): the
        titles of the buttons that ask for it; the console names topics with them."""
        return {intent: dict(entry.label) for intent, entry in self._owners.items() if entry.label}

    def intents(self) -> frozenset[str]:
        """Every intent some entry answers."""
        return frozenset(self._owners)

    def variant(self, entry_id: str, jurisdiction: str | None = None) -> Variant:
        """The variant a person in this jurisdiction reads: the country, else the EU, else international."""
        variants = self._variants[self.entry(entry_id).id]
        for candidate in _jurisdictions_to_try(jurisdiction):
            if candidate in variants:
                return variants[candidate]
        return variants[INTERNATIONAL]

    def reply_for_intent(
        self, intent: str, locale: str, jurisdiction: str | None = None, channel: str | None = None
    ) -> RenderedReply:
        """The reply to an intent; an intent nobody answers gets the "not understood" reply."""
        entry = self._owners.get(intent) or self._owners[FALLBACK_INTENT]
        return self.reply(entry.id, locale, jurisdiction, channel)

    def for_channel(self, entry_id: str, channel: str | None) -> str:
        """The entry a person on `channel` reads: `<entry>_<channel>` where one is written (what that
        channel can and cannot do, bot/channels/capabilities.py), else the entry itself."""
        variant = f"{entry_id}_{channel}" if channel else ""
        return variant if variant in self._entries else entry_id

    def reply(
        self, entry_id: str, locale: str, jurisdiction: str | None = None, channel: str | None = None
    ) -> RenderedReply:
        """One entry rendered in the locale and for the person's country, exactly as the person reads it.

        Text not yet translated is shown in English under a note in the person's language. An entry that
        lists services adds the country's directory; one that depends on the country asks for it (with a
        button per covered country) while it is unknown. A topic ends with the date it was last checked,
        written the way the person's locale writes dates; numbers and links in right-to-left text are kept
        left to right.
        """
        shown_id = self.for_channel(entry_id, channel)
        # A channel variant (`shelter_sms`) changes the words; what the answer is about (its services, the
        # country question, the topic's buttons) stays the entry's own.
        base, entry = self.entry(entry_id), self.entry(shown_id)
        variant = self.variant(shown_id, jurisdiction)
        about = base if base.kind == "topic" else entry
        short = short_answers(channel)
        country = country_code(jurisdiction)
        text, used_locale = _localised(variant.text, locale)
        translate = Translator(self._catalog_dir, locale).gettext
        fallback = _language(used_locale) != _language(locale)
        if fallback:
            text = f"{translate(NOT_TRANSLATED)}\n\n{text}"
        if about.services and country:
            block = short_directory_block if short else directory_block
            text += "\n\n" + block(self._directory, country, about.services, locale, translate)
        asking = self.asks_country(about) and country is None
        if asking:
            text += "\n\n" + translate(ASK_COUNTRY)
        if about.kind == "topic" and not short:
            checked = translate(CHECKED_ON).format(date=long_date(variant.reviewed, locale))
            text += "\n\n" + (checked[:-1] if checked.endswith("..") else checked)  # "2026 р.."
        if text_direction(locale) == "rtl":
            text = isolate_ltr_runs(text)
        buttons = (
            self.country_buttons(locale, about.answers[0])
            if asking
            else self._rendered_buttons(about, locale, country)
        )
        return RenderedReply(
            entry_id=shown_id,
            text=text,
            buttons=buttons,
            locale=locale,
            jurisdiction=variant.jurisdiction,
            fallback_locale=fallback,
            reviewed=variant.reviewed,
            country=country,
        )

    def asks_country(self, entry: Entry) -> bool:
        """Whether the entry's answer depends on the person's country (and there are countries to offer)."""
        return entry.asks_country and bool(entry.answers) and bool(self._directory.countries())

    def countries(self) -> tuple[str, ...]:
        """The countries with reviewed numbers and services."""
        return self._directory.countries()

    def services_text(self, country: str | None, kinds: Sequence[ServiceKind], locale: str) -> str:
        """The country's services of these kinds, as a reply lists them; the helplines' entry if unknown."""
        if not country:
            return self.reply_for_intent("request_human", locale).text
        translate = Translator(self._catalog_dir, locale).gettext
        text = directory_block(self._directory, country, kinds, locale, translate)
        return isolate_ltr_runs(text) if text_direction(locale) == "rtl" else text

    def emergency_numbers(self, country: str) -> tuple[str, ...]:
        """A country's emergency numbers from its file (the EU's for member states without one)."""
        return self._directory.emergency_numbers(country)

    def country_buttons(self, locale: str, then_intent: str | None = None) -> tuple[RenderedButton, ...]:
        """A button per covered country, named in the person's language; it then answers `then_intent`."""
        names = {code: country_name(code, locale) for code in self._directory.countries()}
        return tuple(
            RenderedButton(f"{country_flag(code)} {names[code]}", country_payload(code, then_intent))
            for code in sorted(names, key=lambda code: _sort_key(names[code]))
        )

    def menu(self, locale: str) -> tuple[RenderedButton, ...]:
        """The first menu (content/menu.yml) as buttons."""
        return tuple(self._button(intent, locale) for intent in self._menu)

    def language_buttons(self) -> tuple[RenderedButton, ...]:
        """One button per supported language, each titled in its own language."""
        return tuple(RenderedButton(language_name(code), language_payload(code)) for code in self._locales)

    def _rendered_buttons(self, entry: Entry, locale: str, country: str | None) -> tuple[RenderedButton, ...]:
        buttons: list[RenderedButton] = []
        for intent in self._buttons[entry.id]:
            if intent == LANGUAGES_BUTTON:
                buttons += self.language_buttons()
            elif intent == COUNTRIES_BUTTON:
                buttons += self.country_buttons(locale)
            else:
                buttons.append(self._button(intent, locale))
        # Whoever reads numbers for a country can say it is the wrong one.
        changeable = entry.services and country and CHANGE_COUNTRY_INTENT not in entry.answers
        if changeable and CHANGE_COUNTRY_INTENT in self._owners:
            buttons.append(self._button(CHANGE_COUNTRY_INTENT, locale))
        return tuple(buttons)

    def _expand(self, entry: Entry) -> tuple[str, ...]:
        """Intents of an entry's buttons: `menu` expanded; repeats and the entry's own intents left out."""
        intents: list[str] = []
        for button in entry.buttons:
            intents += self._menu if button == MENU_BUTTON else [button]
        return tuple(intent for intent in dict.fromkeys(intents) if intent not in entry.answers)

    def _button(self, intent: str, locale: str) -> RenderedButton:
        title, _ = _localised(self._owners[intent].label, locale)
        return RenderedButton(title=title, payload=f"/{intent}")


def country_code(jurisdiction: str | None) -> str | None:
    """The two-letter country in a jurisdiction ("ro", "UK" → "GB"); None for none, `EU` or international."""
    code = (jurisdiction or "").strip().upper()
    code = _COUNTRY_ALIASES.get(code, code)
    return code if len(code) == 2 and code.isalpha() and code != EU else None


def _jurisdictions_to_try(jurisdiction: str | None) -> tuple[str, ...]:
    code = (jurisdiction or "").strip().upper()
    code = _COUNTRY_ALIASES.get(code, code)
    if code in ("", INTERNATIONAL.upper()):
        return (INTERNATIONAL,)
    if code == EU:
        return (EU, INTERNATIONAL)
    if code in EU_MEMBER_STATES:
        return (code, EU, INTERNATIONAL)
    return (code, INTERNATIONAL)


def _localised(texts: dict[str, str], locale: str) -> tuple[str, str]:
    """The text in the locale, else its language, else English; and the locale used."""
    for candidate in (locale, locale.replace("-", "_"), _language(locale), BASE_LOCALE):
        if texts.get(candidate):
            return texts[candidate], candidate
    raise KeyError(f"no '{BASE_LOCALE}' text")  # the pack checks rule this out


def _sort_key(name: str) -> str:
    """Names in alphabetical order as people expect it: "États-Unis" among the E's, not after Z."""
    return "".join(
        char for char in unicodedata.normalize("NFD", name.casefold()) if not unicodedata.combining(char)
    )


def _language(locale: str) -> str:
    return locale.replace("-", "_").split("_")[0].lower()
