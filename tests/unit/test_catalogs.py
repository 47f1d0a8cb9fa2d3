"""Every interface string is in the catalogs, translated in every supported language, none fuzzy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.i18n import SUPPORTED_LOCALES

ROOT = Path(__file__).resolve().parents[2]
LOCALE_DIR = ROOT / "content" / "locale"


def load(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def msgids(catalog: Catalog) -> set[str]:
    return {str(message.id) for message in catalog if message.id}


def test_the_template_holds_every_string_the_code_marks(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "--mapping-file",
            "babel.cfg",
            "--keyword",
            "_",
            "--no-location",
            "--output-file",
            str(fresh),
            "bot",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    assert msgids(load(fresh)) == msgids(load(LOCALE_DIR / "helpline.pot")), "run `make messages`"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_string_is_translated_and_none_is_fuzzy(locale: str) -> None:
    template = msgids(load(LOCALE_DIR / "helpline.pot"))
    catalog = load(LOCALE_DIR / locale / "LC_MESSAGES" / "helpline.po")
    translated = {str(message.id) for message in catalog if message.id and message.string}
    fuzzy = [str(message.id) for message in catalog if message.id and message.fuzzy]
    assert template - translated == set(), f"untranslated in {locale}"
    assert fuzzy == [], f"fuzzy in {locale}"
