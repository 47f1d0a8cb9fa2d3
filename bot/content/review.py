"""`helpline content check`: the files, the country directory, and every reply exactly as people read it."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from datetime import date
from pathlib import Path

from bot.content.check import source_problems
from bot.content.danger import lexicon_problems
from bot.content.directory_check import country_problems, number_form_problems
from bot.content.library import ContentLibrary, RenderedReply
from bot.content.pack import Pack, Problem
from bot.content.schema import (
    DANGER_INTENT,
    EU,
    INTERNATIONAL,
    MAX_CALLBACK_BYTES,
    MAX_TEXT_CHARS,
    PARSE_MODE,
)

DANGER_DIR = "danger"  # content/danger/<locale>.yml: the danger net's lexicons
# Entries that must give the country's emergency number first: the danger reply, and the answer to "No,
# I am not safe" after the welcome's question.
EMERGENCY_ENTRIES = ("not_safe",)
# What Telegram would show literally in a plain-text message: HTML tags and Markdown emphasis or links.
_MARKUP = re.compile(r"</?[a-zA-Z][^>]*>|\*\*|__|\]\(|```")


def check_content(
    content_dir: Path, locales: Sequence[str], today: date, required_intents: Collection[str]
) -> list[Problem]:
    """Every problem in the content pack; when the files are sound, also in every rendered reply."""
    pack, problems = source_problems(content_dir, locales, today, required_intents)
    problems += country_problems(pack)
    problems += number_form_problems(pack)
    problems += lexicon_problems(content_dir / DANGER_DIR, locales)
    if not any(problem.severity == "error" for problem in problems):
        library = ContentLibrary(pack, content_dir / "locale", locales)
        problems += rendered_problems(pack, library, locales)
    return sorted(problems, key=lambda problem: problem.file)  # stable: rule order within a file


def rendered_problems(pack: Pack, library: ContentLibrary, locales: Sequence[str]) -> list[Problem]:
    """Render every entry in every locale for every country (and none) and check what would be sent.

    Telegram takes at most 4,096 characters per message and 64 bytes per button payload; replies go out
    as plain text, so markup would be shown as typed; and in danger, the first number a person in a
    covered country reads must be that country's emergency number.
    """
    countries: list[str | None] = [None, *library.countries()]
    jurisdictions = {variant.jurisdiction for entry in pack.entries.values() for variant in entry.variants}
    countries += sorted(
        code for code in jurisdictions if len(code) == 2 and code != EU and code not in countries
    )
    problems: dict[tuple[str, str], Problem] = {}  # one problem per file and rule, not per rendering
    for entry_id, entry in pack.entries.items():
        file = pack.files[entry_id]
        for locale in locales:
            for country in countries:
                reply = library.reply(entry_id, locale, country)
                for rule, message in _message_problems(reply):
                    where = f"{locale}, {country or INTERNATIONAL}"
                    problems.setdefault((file, rule), Problem("error", file, f"{message} ({where})"))
                gives_emergency = DANGER_INTENT in entry.answers or entry_id in EMERGENCY_ENTRIES
                if gives_emergency and country in library.countries():
                    danger = _danger_number_problem(library, reply, country)
                    if danger:
                        problems.setdefault((file, f"danger {country}"), Problem("error", file, danger))
    return list(problems.values())


def _message_problems(reply: RenderedReply) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    length = len(reply.text.encode("utf-16-le")) // 2  # Telegram counts UTF-16 code units
    if not reply.text.strip():
        found.append(("empty", "the message is empty"))
    if length > MAX_TEXT_CHARS:
        found.append(("length", f"{length} characters as sent; Telegram takes at most {MAX_TEXT_CHARS}"))
    if PARSE_MODE is None and _MARKUP.search(reply.text):
        found.append(("markup", "contains markup, but messages are sent as plain text and would show it"))
    for button in reply.buttons:
        if len(button.payload.encode()) > MAX_CALLBACK_BYTES:
            found.append(("payload", f"button payload '{button.payload}' is over {MAX_CALLBACK_BYTES} bytes"))
    return found


def _danger_number_problem(library: ContentLibrary, reply: RenderedReply, country: str) -> str | None:
    numbers = library.emergency_numbers(country)
    if numbers and numbers[0] not in reply.text:
        return (
            f"in {country} the danger reply must give the emergency number {numbers[0]} "
            f"(content/countries/{country}.yml), but the '{reply.jurisdiction}' variant does not"
        )
    return None
