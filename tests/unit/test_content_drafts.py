"""Machine-drafted translations are marked in their files, read by the loader and listed for translators."""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot.commands.content import add_content_commands
from bot.content.danger import read_lexicons
from bot.content.drafts import machine_drafts
from bot.content.pack import read_pack
from bot.content.schema import Translation

REAL_CONTENT = Path(__file__).resolve().parents[2] / "content"
COMMENT = "# Machine-drafted translation (LLM-assisted)"


def content_command(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="helpline content")
    add_content_commands(parser.add_subparsers(dest="content_command", required=True))
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


def copy_of_content(tmp_path: Path) -> Path:
    return shutil.copytree(REAL_CONTENT, tmp_path / "content", ignore=shutil.ignore_patterns("locale"))


def mark_reviewed(file: Path) -> None:
    """What a native speaker does: remove the marker (and its comment)."""
    lines = file.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(("machine_drafted:", COMMENT))]
    file.write_text("".join(kept), encoding="utf-8")


@pytest.mark.parametrize(
    "file",
    sorted(REAL_CONTENT.glob("translations/*/*.yml")),
    ids=lambda path: f"{path.parent.name}/{path.stem}",
)
def test_every_translation_file_parses_and_its_marker_matches_its_comment(file: Path) -> None:
    text = file.read_text(encoding="utf-8")
    translation = Translation.model_validate(yaml.safe_load(text))
    assert translation.machine_drafted == text.startswith(COMMENT)


def test_the_loader_reads_every_translation_file() -> None:
    pack, problems = read_pack(REAL_CONTENT)
    assert problems == []
    assert len(pack.translations) == len(list(REAL_CONTENT.glob("translations/*/*.yml")))


def test_every_lexicon_but_english_is_marked_machine_drafted() -> None:
    lexicons, problems = read_lexicons(REAL_CONTENT / "danger")
    assert problems == []
    assert {lexicon.locale: lexicon.machine_drafted for lexicon in lexicons}["en"] is False
    assert all(lexicon.machine_drafted for lexicon in lexicons if lexicon.locale != "en")


def test_a_marked_file_is_listed_and_an_unmarked_one_is_not(tmp_path: Path) -> None:
    content = copy_of_content(tmp_path)
    mark_reviewed(content / "translations" / "uk" / "shelter.yml")
    mark_reviewed(content / "danger" / "uk.yml")
    drafts = machine_drafts(read_pack(content)[0], content / "danger")
    assert "translations/uk/asylum.yml" in drafts["uk"]
    assert "translations/uk/shelter.yml" not in drafts["uk"]
    assert "danger/uk.yml" not in drafts["uk"]
    assert drafts["es"][0] == "danger/es.yml"  # the danger lexicon first: it is reviewed first
    assert "en" not in drafts


def test_a_reviewed_pack_lists_nothing(tmp_path: Path) -> None:
    content = copy_of_content(tmp_path)
    for file in [*content.glob("translations/*/*.yml"), *content.glob("danger/*.yml")]:
        mark_reviewed(file)
    assert machine_drafts(read_pack(content)[0], content / "danger") == {}


def test_the_marker_must_be_true_or_absent(tmp_path: Path) -> None:
    content = copy_of_content(tmp_path)
    file = content / "translations" / "uk" / "shelter.yml"
    file.write_text(
        file.read_text(encoding="utf-8").replace("machine_drafted: true", "machine_drafted: maybe")
    )
    lexicon = content / "danger" / "uk.yml"
    lexicon.write_text(
        lexicon.read_text(encoding="utf-8").replace("machine_drafted: true", "machine_drafted: 1")
    )
    problems = read_pack(content)[1]
    assert [(p.file, p.field) for p in problems] == [("translations/uk/shelter.yml", "machine_drafted")]
    assert [(p.file, p.field) for p in read_lexicons(content / "danger")[1]] == [
        ("danger/uk.yml", "machine_drafted")
    ]


def test_a_reviewed_file_carries_its_reviewers_note(tmp_path: Path) -> None:
    content = copy_of_content(tmp_path)
    file = content / "translations" / "uk" / "shelter.yml"
    mark_reviewed(file)
    note = 'reviewer: "native speaker, helpline volunteer (O.K.)"\n'
    file.write_text(file.read_text(encoding="utf-8").replace("label:", note + "label:", 1), encoding="utf-8")
    pack, problems = read_pack(content)
    assert problems == []
    translation = pack.translations[("shelter", "uk")][1]
    assert (translation.machine_drafted, translation.reviewer) == (
        False,
        "native speaker, helpline volunteer (O.K.)",
    )
    file.write_text(file.read_text(encoding="utf-8").replace(note, 'reviewer: " "\n'), encoding="utf-8")
    assert [(p.file, p.field) for p in read_pack(content)[1]] == [("translations/uk/shelter.yml", "reviewer")]


def test_check_lists_the_drafts_as_information_not_as_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = copy_of_content(tmp_path)
    mark_reviewed(content / "translations" / "uk" / "shelter.yml")
    assert content_command("check", "--content-dir", str(content), "--lang", "en,uk") == 0
    output = capsys.readouterr().out
    info = [line for line in output.splitlines() if line.startswith("info")]
    assert len(info) == 1
    assert re.match(
        r"info    uk: \d+ machine-drafted, to be reviewed by a native speaker: danger lexicon, asylum,",
        info[0],
    )
    assert "shelter," not in info[0]  # shelter_sms is still a draft
    assert output.splitlines()[-1] == "content OK"


def test_drafts_command_lists_the_files_of_one_language(capsys: pytest.CaptureFixture[str]) -> None:
    assert content_command("drafts", "--content-dir", str(REAL_CONTENT), "--lang", "uk") == 0
    lines = capsys.readouterr().out.splitlines()
    drafted = re.fullmatch(r"uk: (\d+) machine-drafted, to be reviewed by a native speaker", lines[0])
    assert drafted is not None
    assert lines[1:3] == ["  danger/uk.yml", "  translations/uk/asylum.yml"]
    assert len(lines) == int(drafted.group(1)) + 1
