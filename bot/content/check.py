"""List everything wrong with a content pack, so staff see every problem at once."""

from __future__ import annotations

import calendar
import re
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from datetime import date
from pathlib import Path

from bot.channels.sms_segments import count_segments
from bot.channels.sms_text import plain
from bot.content.limits import text_problems
from bot.content.pack import MENU_FILE, Pack, Problem, error, read_pack
from bot.content.places import PLACES_FILE, gazetteer_problems
from bot.content.schema import (
    BASE_LOCALE,
    COUNTRIES_BUTTON,
    INTERNATIONAL,
    LANGUAGES_BUTTON,
    MAX_LABEL_CHARS,
    MAX_TEXT_CHARS,
    MENU_BUTTON,
    Entry,
    Translation,
    Variant,
)
from bot.countries import is_country_code

_NUMBER = re.compile(r"\d+")


WARN_AFTER_MONTHS = 12
# An answer written for SMS, by itself, in at most this many texts in every language (docs/channels.md).
MAX_SMS_SEGMENTS = 4
SMS_SUFFIX = "_sms"


EXPIRE_AFTER_MONTHS = 24


def source_problems(
    content_dir: Path, locales: Sequence[str], today: date, required_intents: Collection[str]
) -> tuple[Pack, list[Problem]]:
    """The pack as read, and every problem in its files: schema, cross-references, locales, review dates."""
    pack, problems = read_pack(content_dir)
    problems += pack_problems(pack, [BASE_LOCALE])
    problems += translation_problems(pack, locales)
    problems += missing_intent_problems(pack, required_intents)
    problems += unknown_intent_problems(pack, required_intents)
    problems += review_problems(pack, today)
    problems += length_problems(pack)
    problems += sms_length_problems(pack)
    covered = [code for code in pack.countries if is_country_code(code)]
    problems += gazetteer_problems(content_dir / PLACES_FILE, covered, locales)
    return pack, problems


def length_problems(pack: Pack) -> list[Problem]:
    """A topic too long to read in danger, in any language: over 100 words before the list of services, or
    a sentence over 20 words (characters for scripts written without spaces; bot/content/limits.py)."""
    problems: list[Problem] = []
    for entry_id, entry in pack.entries.items():
        if entry.kind != "topic":
            continue
        for variant in entry.variants:
            for locale, text in variant.text.items():
                translated = pack.translations.get((entry_id, locale))
                file, field = (
                    (translated[0], f"text.{variant.jurisdiction}")
                    if translated
                    else (pack.files[entry_id], f"variants[{variant.jurisdiction}].text.{locale}")
                )
                problems += [error(file, field, message) for message in text_problems(text, locale)]
    return problems


def sms_length_problems(pack: Pack) -> list[Problem]:
    """A topic's answer written for SMS (`<topic>_sms`) that takes more than `MAX_SMS_SEGMENTS` texts by
    itself, in any language (the country's numbers and the numbered options are added to it). Privacy
    answers are not held to it: what a channel cannot erase is said in full."""
    problems: list[Problem] = []
    for entry_id, entry in pack.entries.items():
        topic = pack.entries.get(entry_id.removesuffix(SMS_SUFFIX))
        if not entry_id.endswith(SMS_SUFFIX) or topic is None or topic.kind != "topic":
            continue
        for variant in entry.variants:
            for locale, text in variant.text.items():
                count = count_segments(plain(text))
                if count.segments <= MAX_SMS_SEGMENTS:
                    continue
                translated = pack.translations.get((entry_id, locale))
                file, field = (
                    (translated[0], f"text.{variant.jurisdiction}")
                    if translated
                    else (pack.files[entry_id], f"variants[{variant.jurisdiction}].text.{locale}")
                )
                problems.append(
                    error(
                        file,
                        field,
                        f"{count.segments} SMS segments ({count.encoding}, {count.units} characters): "
                        f"an SMS answer may take at most {MAX_SMS_SEGMENTS}; shorten it",
                    )
                )
    return problems


def translation_problems(pack: Pack, locales: Sequence[str]) -> list[Problem]:
    """What a translator should fix: missing or outdated translations, and numbers that differ.

    A missing translation is a warning (readers get the English text with a note in their language);
    a phone number or other number that differs from the English is an error.
    """
    problems = [
        Problem(
            "warning",
            pack.files[entry_id],
            f"not translated into '{locale}': readers get English with a note",
        )
        for entry_id in pack.entries
        for locale in locales
        if locale != BASE_LOCALE and (entry_id, locale) not in pack.translations
    ]
    for (entry_id, _locale), (name, translation) in pack.translations.items():
        entry = pack.entries[entry_id]
        problems += _translated_text_problems(entry, translation, name)
        if entry.label and not translation.label:
            problems.append(Problem("warning", name, "missing: the button title", "label"))
        if translation.label and len(translation.label) > MAX_LABEL_CHARS:
            message = f"{len(translation.label)} characters; a button title has at most {MAX_LABEL_CHARS}"
            problems.append(error(name, "label", message))
        english_reviewed = max(variant.reviewed for variant in entry.variants)
        if translation.reviewed < english_reviewed:
            message = f"the English was reviewed on {english_reviewed}, after this translation"
            problems.append(Problem("warning", name, message, "reviewed"))
    return problems


def _translated_text_problems(entry: Entry, translation: Translation, name: str) -> list[Problem]:
    problems: list[Problem] = []
    for variant in entry.variants:
        field = f"text.{variant.jurisdiction}"
        text = translation.text.get(variant.jurisdiction)
        if not text:
            message = "not translated: readers in this jurisdiction get English with a note"
            problems.append(Problem("warning", name, message, field))
            continue
        if len(text) > MAX_TEXT_CHARS:
            message = f"{len(text)} characters; a message can have at most {MAX_TEXT_CHARS}"
            problems.append(error(name, field, message))
        english, translated = (
            Counter(_NUMBER.findall(variant.text[BASE_LOCALE])),
            Counter(_NUMBER.findall(text)),
        )
        if english != translated:
            missing = ", ".join(sorted((english - translated).elements())) or "none"
            extra = ", ".join(sorted((translated - english).elements())) or "none"
            message = f"numbers differ from the English: missing {missing}; not in the English {extra}"
            problems.append(error(name, field, message))
    return problems


def pack_problems(pack: Pack, locales: Sequence[str]) -> list[Problem]:
    """Errors that would make a reply impossible to render: what the library refuses to load."""
    required = _with_base_locale(locales)
    problems: list[Problem] = []
    owners: dict[str, str] = {}
    for entry_id, entry in pack.entries.items():
        file = pack.files[entry_id]
        problems += _variant_problems(entry, file, required)
        problems += _label_length_problems(entry, file)
        if entry.asks_country and not entry.answers:
            problems.append(
                error(file, "asks_country", "an entry that asks for the country must answer an intent")
            )
        for intent in entry.answers:
            if intent in owners and owners[intent] != entry_id:
                other = pack.files[owners[intent]]
                problems.append(error(file, "answers", f"'{intent}' is already answered by {other}"))
            owners.setdefault(intent, entry_id)
    problems += _button_problems(pack, owners)
    problems += _label_problems(pack, owners, required)
    return problems


def missing_intent_problems(pack: Pack, required_intents: Collection[str]) -> list[Problem]:
    """An error for each required intent that no entry answers."""
    answered = {intent for entry in pack.entries.values() for intent in entry.answers}
    return [
        error("", "", f"no entry answers the intent '{intent}'")
        for intent in sorted(set(required_intents) - answered)
    ]


def unknown_intent_problems(pack: Pack, known_intents: Collection[str]) -> list[Problem]:
    """A warning for each answered intent outside the contract (often a typo, never reached)."""
    return [
        Problem("warning", pack.files[entry_id], f"'{intent}' is not in the intent contract", "answers")
        for entry_id, entry in pack.entries.items()
        for intent in entry.answers
        if intent not in known_intents
    ]


def review_problems(pack: Pack, today: date) -> list[Problem]:
    """Review dates: a warning after 12 months, an error after 24 months or in the future."""
    warn_before = months_before(today, WARN_AFTER_MONTHS)
    expire_before = months_before(today, EXPIRE_AFTER_MONTHS)
    problems: list[Problem] = []
    reviews = [
        (pack.files[entry_id], f"variants[{variant.jurisdiction}].reviewed", variant.reviewed)
        for entry_id, entry in pack.entries.items()
        for variant in entry.variants
    ]
    reviews += [(name, "reviewed", translation.reviewed) for name, translation in pack.translations.values()]
    for name, country in pack.countries.values():
        reviews.append((name, "reviewed", country.reviewed))
        reviews += [(name, f"services[{s.id}].reviewed", s.reviewed) for s in country.services]
    for file, field, day in reviews:
        reviewed = day.isoformat()
        if day > today:
            problems.append(error(file, field, f"{reviewed} is in the future"))
        elif day < expire_before:
            message = f"{reviewed} is more than {EXPIRE_AFTER_MONTHS} months ago: review it again"
            problems.append(error(file, field, message))
        elif day < warn_before:
            message = f"{reviewed} is more than {WARN_AFTER_MONTHS} months ago: due for review"
            problems.append(Problem("warning", file, message, field))
    return problems


def months_before(day: date, months: int) -> date:
    """The same day of the month `months` earlier (the last day when that month is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


def _variant_problems(entry: Entry, file: str, locales: Sequence[str]) -> list[Problem]:
    problems: list[Problem] = []
    jurisdictions = [variant.jurisdiction for variant in entry.variants]
    if INTERNATIONAL not in jurisdictions:
        problems.append(error(file, "variants", "an 'international' variant is required (the fallback)"))
    for jurisdiction in sorted({j for j in jurisdictions if jurisdictions.count(j) > 1}):
        problems.append(error(file, "variants", f"more than one '{jurisdiction}' variant"))
    for variant in entry.variants:
        problems += _text_problems(variant, file, locales)
    return problems


def _text_problems(variant: Variant, file: str, locales: Sequence[str]) -> list[Problem]:
    field = f"variants[{variant.jurisdiction}]"
    problems: list[Problem] = []
    if not variant.sources:
        problems.append(error(file, f"{field}.sources", "at least one source is required"))
    for locale in locales:
        if not variant.text.get(locale):
            problems.append(error(file, f"{field}.text.{locale}", "missing"))
    for locale, text in variant.text.items():
        if len(text) > MAX_TEXT_CHARS:
            message = f"{len(text)} characters; a message can have at most {MAX_TEXT_CHARS}"
            problems.append(error(file, f"{field}.text.{locale}", message))
    return problems


def _label_length_problems(entry: Entry, file: str) -> list[Problem]:
    return [
        error(
            file, f"label.{locale}", f"{len(label)} characters; a button title has at most {MAX_LABEL_CHARS}"
        )
        for locale, label in entry.label.items()
        if len(label) > MAX_LABEL_CHARS
    ]


def _button_problems(pack: Pack, owners: Mapping[str, str]) -> list[Problem]:
    problems = [
        error(MENU_FILE, "menu", f"no entry answers '{intent}'")
        for intent in pack.menu
        if intent not in owners
    ]
    for entry_id, entry in pack.entries.items():
        for intent in entry.buttons:
            if intent not in (MENU_BUTTON, LANGUAGES_BUTTON, COUNTRIES_BUTTON) and intent not in owners:
                problems.append(error(pack.files[entry_id], "buttons", f"no entry answers '{intent}'"))
    return problems


def _label_problems(pack: Pack, owners: Mapping[str, str], locales: Sequence[str]) -> list[Problem]:
    """Topics, and every entry whose intent is offered as a button, need a title in each locale."""
    reasons = {
        entry_id: "a topic needs a button title"
        for entry_id, entry in pack.entries.items()
        if entry.kind == "topic"
    }
    offered = [*pack.menu, *(intent for entry in pack.entries.values() for intent in entry.buttons)]
    for intent in offered:
        if intent in owners:
            reasons.setdefault(owners[intent], f"'{intent}' is offered as a button")
    return [
        error(pack.files[entry_id], f"label.{locale}", f"missing: {reason}")
        for entry_id, reason in reasons.items()
        for locale in locales
        if not pack.entries[entry_id].label.get(locale)
    ]


def _with_base_locale(locales: Sequence[str]) -> list[str]:
    return list(dict.fromkeys([BASE_LOCALE, *locales]))
