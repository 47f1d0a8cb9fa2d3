"""The shape of a content entry: what staff write in `content/`, validated by pydantic."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

# The intent contract (../shared/nlu-contract.md), plus Rasa's `nlu_fallback` for "not understood".
# Names are an API: add freely, never rename or merge.
CONTRACT_INTENTS: tuple[str, ...] = (
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_capabilities",
    "out_of_scope",
    "immediate_danger",
    "request_human",
    "change_language",
    "delete_data",
    "privacy_question",
    "describe_situation",
    "ask_rights",
    "ask_residence_permit",
    "ask_asylum",
    "ask_shelter",
    "ask_health_support",
    "ask_legal_aid",
    "ask_compensation",
    "ask_criminal_record",
    "ask_report_police",
    "ask_return_home",
    "ask_child_protection",
    "ask_child_labour",
    "ask_is_trafficking",
    "ask_identification",
    # Added by this project (the contract allows new intents): "I'm in another country now".
    "change_country",
    "nlu_fallback",
)
FALLBACK_INTENT = "nlu_fallback"
DANGER_INTENT = "immediate_danger"  # answered with the emergency number first, whatever else
# Buttons the conversation core answers itself, never Rasa (bot/privacy/desk.py): an entry answering one of
# them gives the button its title and the core its reply.
CORE_ACTIONS: tuple[str, ...] = (
    "erase_confirm",
    "erase_cancel",
    "vanish_menu",
    "vanish_5",
    "vanish_30",
    "vanish_60",
    "vanish_off",
    "resume_code",  # a code to continue on another app (bot/privacy/resume.py)
)
MENU_BUTTON = "menu"  # in `buttons`, expands to the list in content/menu.yml
LANGUAGES_BUTTON = "languages"  # in `buttons`, expands to one button per supported language
COUNTRIES_BUTTON = "countries"  # in `buttons`, expands to one button per country in content/countries
BASE_LOCALE = "en"  # every entry is written in English first; other locales fall back to it
INTERNATIONAL = "international"
EU = "EU"
# Member states of the European Union (ISO 3166 alpha-2); their people also read the `EU` variant.
EU_MEMBER_STATES = frozenset(
    {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
        "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    }
)  # fmt: skip
MAX_TEXT_CHARS = 4096  # Telegram's limit for one message
# Replies go out as plain text (no parse mode) on Telegram and the web chat: markup would show as typed.
PARSE_MODE: str | None = None
MAX_CALLBACK_BYTES = 64  # Telegram's limit for a button's payload
MAX_LABEL_CHARS = 32

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
LocaleCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")]
Jurisdiction = Annotated[str, StringConstraints(pattern=r"^(international|EU|[A-Z]{2})$")]
Url = Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
# A number as staff copy it from the source: E.164 ("+40800800678") or a short number dialled inside the
# country ("112", "116 000"); spaces allowed for reading, checked with phonenumbers by `content check`.
PhoneNumber = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 ]{1,18}[0-9]$")]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")]
ServiceKind = Literal["hotline", "shelter", "legal_aid", "health", "ngo", "children"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Strict(BaseModel):
    """A frozen model that refuses fields it does not know (a typo must not pass silently)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """Where a fact comes from: a title, and a link when there is one."""

    title: NonBlank
    url: Url | None = None


class Variant(_Strict):
    """The text of an entry for one jurisdiction, with its sources and review date."""

    jurisdiction: Jurisdiction
    reviewed: date
    sources: list[Source]
    text: dict[LocaleCode, str]

    @field_validator("text")
    @classmethod
    def _strip_text(cls, text: dict[str, str]) -> dict[str, str]:
        return {locale: value.strip() for locale, value in text.items()}


class Entry(_Strict):
    """One topic or conversation message, in every jurisdiction and locale it is written for.

    `services` names the kinds of services from the person's country directory listed under the text
    (a shelter topic lists hotlines that place people in shelters); an entry with services depends on
    the country, so when the country is unknown the reply asks for it.
    """

    id: Identifier
    kind: Literal["topic", "message"]
    answers: list[Identifier]
    label: dict[LocaleCode, str] = Field(default_factory=dict)
    buttons: list[Identifier] = Field(default_factory=list)
    services: list[ServiceKind] = Field(default_factory=list)
    asks_country: bool = False
    variants: list[Variant] = Field(min_length=1)

    @field_validator("label")
    @classmethod
    def _strip_label(cls, label: dict[str, str]) -> dict[str, str]:
        return {locale: value.strip() for locale, value in label.items()}


class Translation(_Strict):
    """`content/translations/<locale>/<entry>.yml`: one entry's label and variant texts in one language.

    Kept apart from the English entry so that a translator works on one file per entry and language, and
    each translation carries its own review date. `machine_drafted: true` marks a translation drafted by
    machine (LLM-assisted) that no native speaker has reviewed yet; without it, the file has been reviewed
    by a native speaker (docs/translators.md); `reviewer` is that speaker's note (a role or initials).
    """

    entry: Identifier
    locale: LocaleCode
    reviewed: date
    machine_drafted: bool = False
    reviewer: NonBlank | None = None
    label: str | None = None
    text: dict[Jurisdiction, str]

    @field_validator("text")
    @classmethod
    def _strip_text(cls, text: dict[str, str]) -> dict[str, str]:
        return {jurisdiction: value.strip() for jurisdiction, value in text.items()}

    @field_validator("label")
    @classmethod
    def _strip_label(cls, label: str | None) -> str | None:
        return label.strip() if label is not None else None


class MenuFile(_Strict):
    """`content/menu.yml`: the intents offered as the first menu, in order."""

    menu: list[Identifier] = Field(min_length=1)


class Contact(_Strict):
    """One way to reach a service: call (the default), text, TTY, or a number for callers abroad.

    `unlisted_short_number` says staff confirmed with the source a short number that phonenumbers'
    metadata does not know yet (Ukraine's 527); without it such a number fails the check.
    """

    number: PhoneNumber
    use: Literal["call", "text", "tty", "from_abroad"] = "call"
    unlisted_short_number: bool = False
    # How the source (and so every text) writes the number, e.g. "08000 121 700": what people read, the
    # same in the list of services as in the texts. Without it the list shows E.164 in international form.
    written: str | None = Field(default=None, max_length=24)


class OpeningTimes(_Strict):
    """Days a service answers and, when the source gives them, the hours (local time of the service)."""

    days: list[Weekday] = Field(min_length=1)
    opens: time | None = None
    closes: time | None = None


class Hours(_Strict):
    """When a service answers: always, or on some days in the service's time zone; omitted if unknown."""

    always: bool = False
    timezone: str | None = None
    open: list[OpeningTimes] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str | None) -> str | None:
        if zone is not None:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    f"unknown time zone '{zone}' (use an IANA name like Europe/Bucharest)"
                ) from None
        return zone


class Service(_Strict):
    """A helpline, shelter hotline, legal aid or health service in one country, as its source describes it.

    Shelters' addresses are never published: people reach a shelter through its hotline. `police`
    is True for a police line, False when the source says it is not the police, None when it says nothing.
    """

    id: Identifier
    name: NonBlank
    kinds: list[ServiceKind] = Field(min_length=1)
    contacts: list[Contact] = Field(min_length=1)
    email: Email | None = None
    website: Url | None = None
    hours: Hours | None = None
    languages: list[LocaleCode] = Field(default_factory=list)
    interpreters: bool = False
    free: bool | None = None
    confidential: bool | None = None
    anonymous: bool | None = None
    police: bool | None = None
    for_women: bool = False
    for_children: bool = False
    reviewed: date
    sources: list[Source]


class EmergencyNumber(_Strict):
    """A number to call in danger; the first one of a country is the one said first."""

    number: PhoneNumber
    answers: Literal["all", "police", "ambulance", "fire"] = "all"


class CountryFile(_Strict):
    """`content/countries/<CODE>.yml`: a country's emergency numbers and directory of services.

    `EU.yml` holds services that answer in every EU member state (116 000).
    """

    country: Annotated[str, StringConstraints(pattern=r"^(EU|[A-Z]{2})$")]
    reviewed: date
    sources: list[Source]
    emergency: list[EmergencyNumber] = Field(default_factory=list)
    services: list[Service] = Field(default_factory=list)
