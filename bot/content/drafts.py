"""Which translations are machine-drafted (LLM-assisted) and still wait for a native speaker's review.

A translation file or danger lexicon with `machine_drafted: true` is listed; one without it has been
reviewed by a native speaker (docs/translators.md). This is information for translators, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from bot.content.danger import read_lexicons
from bot.content.pack import TRANSLATIONS_DIR, Pack, read_pack
from bot.content.review import DANGER_DIR

DANGER_LEXICON = "danger lexicon"  # how content/danger/<locale>.yml is named in the summary


def machine_drafts(pack: Pack, danger_dir: Path) -> dict[str, list[str]]:
    """By locale, the machine-drafted files relative to `content/`: the danger lexicon first, then the
    translations by entry id."""
    drafts: dict[str, list[str]] = {}
    for lexicon in read_lexicons(danger_dir)[0]:
        if lexicon.machine_drafted:
            drafts.setdefault(lexicon.locale, []).append(f"{danger_dir.name}/{lexicon.locale}.yml")
    for (_entry_id, locale), (name, translation) in sorted(pack.translations.items()):
        if translation.machine_drafted:
            drafts.setdefault(locale, []).append(name)
    return dict(sorted(drafts.items()))


def content_drafts(content_dir: Path) -> dict[str, list[str]]:
    """`machine_drafts` of the content pack in `content_dir` (its translations and danger lexicons)."""
    return machine_drafts(read_pack(content_dir)[0], content_dir / DANGER_DIR)


def draft_name(file: str) -> str:
    """What the summary calls a file: the entry id of a translation, or `danger lexicon`."""
    path = PurePosixPath(file)
    return path.stem if path.parts[0] == TRANSLATIONS_DIR else DANGER_LEXICON


def drafts_summary(drafts: Mapping[str, list[str]], names: bool = False) -> list[str]:
    """One line per locale, `es: 42 machine-drafted, ...`, followed by the names when asked for."""
    if not drafts:
        return ["every translation has been reviewed by a native speaker"]
    lines: list[str] = []
    for locale, files in drafts.items():
        line = f"{locale}: {len(files)} machine-drafted, to be reviewed by a native speaker"
        lines.append(f"{line}: {', '.join(map(draft_name, files))}" if names else line)
    return lines
