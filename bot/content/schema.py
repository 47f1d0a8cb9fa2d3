"""The shape of a content entry: what staff write in `content/`, validated by pydantic."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

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
    "nlu_fallback",
)
FALLBACK_INTENT = "nlu_fallback"
MENU_BUTTON = "menu"  # in `buttons`, expands to the list in content/menu.yml
LANGUAGES_BUTTON = "languages"  # in `buttons`, expands to one button per supported language
BASE_LOCALE = "en"  # every entry is written in English first; other locales fall back to it
INTERNATIONAL = "international"
EU = "EU"
MAX_TEXT_CHARS = 4096  # Telegram's limit for one message
MAX_LABEL_CHARS = 32

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
LocaleCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")]
Jurisdiction = Annotated[str, StringConstraints(pattern=r"^(international|EU|[A-Z]{2})$")]
Url = Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]
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
    """One topic or conversation message, in every jurisdiction and locale it is written for."""

    id: Identifier
    kind: Literal["topic", "message"]
    answers: list[Identifier]
    label: dict[LocaleCode, str] = Field(default_factory=dict)
    buttons: list[Identifier] = Field(default_factory=list)
    variants: list[Variant] = Field(min_length=1)

    @field_validator("label")
    @classmethod
    def _strip_label(cls, label: dict[str, str]) -> dict[str, str]:
        return {locale: value.strip() for locale, value in label.items()}


class Translation(_Strict):
    """`content/translations/<locale>/<entry>.yml`: one entry's label and variant texts in one language.

    Kept apart from the English entry so that a translator works on one file per entry and language, and
    each translation carries its own review date.
    """

    entry: Identifier
    locale: LocaleCode
    reviewed: date
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
