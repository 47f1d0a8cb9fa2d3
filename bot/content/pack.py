"""Read `content/` into a Pack: every entry with its translations merged, the menu and the countries.

Reading never stops at the first bad file: what does not parse is left out and reported as a Problem, so
the action server can refuse a broken pack and `helpline content check` can list every problem at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import ValidationError

from bot.content.schema import BASE_LOCALE, CountryFile, Entry, MenuFile, Translation

ENTRY_DIRS: Mapping[str, str] = {"topics": "topic", "messages": "message"}


MENU_FILE = "menu.yml"


TRANSLATIONS_DIR = "translations"


COUNTRIES_DIR = "countries"


_Model = TypeVar("_Model", Entry, MenuFile, Translation, CountryFile)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the content: an error blocks a release, a warning asks for attention."""

    severity: Literal["error", "warning"]
    file: str
    message: str
    field: str = ""

    def __str__(self) -> str:
        """`file: field: message`, the way staff read it in a terminal."""
        where = ": ".join(part for part in (self.file or "content", self.field) if part)
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Pack:
    """Every entry that parsed, by id, with its translations merged in; the file each came from; the menu.

    `translations` keeps each translation file by (entry id, locale) for the checks that compare it with
    the English it was made from.
    """

    entries: Mapping[str, Entry]
    files: Mapping[str, str]
    menu: tuple[str, ...]
    translations: Mapping[tuple[str, str], tuple[str, Translation]] = dataclasses.field(default_factory=dict)
    countries: Mapping[str, tuple[str, CountryFile]] = dataclasses.field(default_factory=dict)


def read_pack(content_dir: Path) -> tuple[Pack, list[Problem]]:
    """Parse every entry and the menu; entries that do not parse are left out and reported."""
    problems: list[Problem] = []
    entries: dict[str, Entry] = {}
    files: dict[str, str] = {}
    if not content_dir.is_dir():
        return Pack({}, {}, ()), [error(str(content_dir), "", "no such content directory")]
    for directory, kind in ENTRY_DIRS.items():
        for path, name in _yaml_files(content_dir, f"{directory}/*", "entries", problems):
            entry = _parse(path, name, Entry, problems)
            if entry is None:
                continue
            if entry.id != path.stem:
                problems.append(error(name, "id", f"'{entry.id}' must equal the file name '{path.stem}'"))
            if entry.kind != kind:
                problems.append(error(name, "kind", f"an entry in {directory}/ must have kind '{kind}'"))
            if entry.id in entries:
                problems.append(error(name, "id", f"'{entry.id}' is already used by {files[entry.id]}"))
                continue
            entries[entry.id] = entry
            files[entry.id] = name
    menu = _parse(content_dir / MENU_FILE, MENU_FILE, MenuFile, problems)
    translations = _read_translations(content_dir, entries, problems)
    for (entry_id, _locale), (_name, translation) in translations.items():
        entries[entry_id] = _merged(entries[entry_id], translation)
    countries = _read_countries(content_dir, problems)
    return Pack(entries, files, tuple(menu.menu) if menu else (), translations, countries), problems


def _read_countries(content_dir: Path, problems: list[Problem]) -> dict[str, tuple[str, CountryFile]]:
    """Every country file that parsed and is named after its country code."""
    found: dict[str, tuple[str, CountryFile]] = {}
    for path, name in _yaml_files(content_dir, f"{COUNTRIES_DIR}/*", "countries", problems):
        country = _parse(path, name, CountryFile, problems)
        if country is None:
            continue
        if country.country != path.stem:
            problems.append(error(name, "country", f"'{country.country}' must equal the file name"))
            continue
        found[country.country] = (name, country)
    return found


def _read_translations(
    content_dir: Path, entries: Mapping[str, Entry], problems: list[Problem]
) -> dict[tuple[str, str], tuple[str, Translation]]:
    """Every translation file that parsed and matches an entry and its variants."""
    found: dict[tuple[str, str], tuple[str, Translation]] = {}
    for written in entries.values():
        for variant in written.variants:
            for locale in sorted(set(variant.text) - {BASE_LOCALE}):
                field = f"variants[{variant.jurisdiction}].text.{locale}"
                message = f"write translations in {TRANSLATIONS_DIR}/{locale}/{written.id}.yml"
                problems.append(error(f"{kind_dir(written)}/{written.id}.yml", field, message))
    for path, name in _yaml_files(content_dir, f"{TRANSLATIONS_DIR}/*/*", "translations", problems):
        translation = _parse(path, name, Translation, problems)
        if translation is None:
            continue
        entry = entries.get(translation.entry)
        if translation.locale != path.parent.name or translation.locale == BASE_LOCALE:
            message = f"'{translation.locale}' must equal the folder name and not be '{BASE_LOCALE}'"
            problems.append(error(name, "locale", message))
        elif translation.entry != path.stem:
            problems.append(error(name, "entry", f"'{translation.entry}' must equal the file name"))
        elif entry is None:
            problems.append(error(name, "entry", f"no entry '{translation.entry}' to translate"))
        else:
            jurisdictions = {variant.jurisdiction for variant in entry.variants}
            unknown = sorted(set(translation.text) - jurisdictions)
            for jurisdiction in unknown:
                message = f"the entry has no '{jurisdiction}' variant"
                problems.append(error(name, f"text.{jurisdiction}", message))
            if not unknown:
                found[(entry.id, translation.locale)] = (name, translation)
    return found


def _yaml_files(
    content_dir: Path, pattern: str, what: str, problems: list[Problem]
) -> Iterator[tuple[Path, str]]:
    """Each `.yml` file matching `pattern`, with its name relative to `content_dir`; other files are
    reported, hidden ones skipped."""
    for path in sorted(content_dir.glob(pattern)):
        name = path.relative_to(content_dir).as_posix()
        if path.name.startswith(".") or not path.is_file():
            continue
        if path.suffix != ".yml":
            problems.append(error(name, "", f"not read: {what} are files ending in .yml"))
            continue
        yield path, name


def _merged(entry: Entry, translation: Translation) -> Entry:
    """The entry with a translation's label and texts added under its locale."""
    locale = translation.locale
    label = {**entry.label, locale: translation.label} if translation.label else dict(entry.label)
    variants = [
        variant.model_copy(update={"text": {**variant.text, locale: translation.text[variant.jurisdiction]}})
        if translation.text.get(variant.jurisdiction)
        else variant
        for variant in entry.variants
    ]
    return entry.model_copy(update={"label": label, "variants": variants})


def kind_dir(entry: Entry) -> str:
    return next(directory for directory, kind in ENTRY_DIRS.items() if kind == entry.kind)


def _parse(path: Path, name: str, model: type[_Model], problems: list[Problem]) -> _Model | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(error(name, "", "file is missing"))
        return None
    except (yaml.YAMLError, ValueError) as failure:  # ValueError: a bad date, or not UTF-8
        problems.append(error(name, "", "not valid YAML: " + " ".join(str(failure).split())))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as invalid:
        for detail in invalid.errors():
            problems.append(error(name, _field_path(detail["loc"]), detail["msg"]))
        return None


def _field_path(location: Iterable[int | str]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path


def error(file: str, field: str, message: str) -> Problem:
    return Problem("error", file, message, field)


def not_text(data: object, where: str = "") -> Iterable[tuple[str, object]]:
    """Every list item of a YAML file that YAML did not read as text (`no` is False), with where it is."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            yield from not_text(value, f"{where}.{key}".lstrip("."))
    elif isinstance(data, list):
        yield from ((where, item) for item in data if not isinstance(item, str))
