"""`helpline content check` finds every kind of mistake staff can make; `content show` previews a reply."""

from __future__ import annotations

import argparse
import shutil
from datetime import date
from pathlib import Path

import pytest

from bot.commands.content import add_content_commands
from bot.content import CONTRACT_INTENTS, CORE_ACTIONS, Problem, check_content
from bot.content.check import months_before
from bot.i18n import SUPPORTED_LOCALES

ROOT = Path(__file__).resolve().parents[2]
REAL_CONTENT = ROOT / "content"
BROKEN = Path(__file__).parent / "fixtures" / "content_broken"
TODAY = date(2026, 12, 3)
BROKEN_REQUIRES = ["ask_shelter", "ask_rights", "ask_legal_aid", "request_human", "greet", "nlu_fallback"]
ANSWERED = (*CONTRACT_INTENTS, *CORE_ACTIONS)  # every intent, and every button the core answers itself


def broken_problems() -> list[Problem]:
    return check_content(BROKEN, ["en"], TODAY, BROKEN_REQUIRES)


def content_command(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="helpline content")
    add_content_commands(parser.add_subparsers(dest="content_command", required=True))
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


def test_check_passes_on_the_real_pack() -> None:
    """Fails on purpose once a review is more than 24 months old: the content must be reviewed again."""
    problems = check_content(REAL_CONTENT, SUPPORTED_LOCALES, date.today(), ANSWERED)
    assert [str(problem) for problem in problems if problem.severity == "error"] == []


def test_the_real_pack_is_freshly_reviewed() -> None:
    assert check_content(REAL_CONTENT, SUPPORTED_LOCALES, TODAY, ANSWERED) == []


@pytest.mark.parametrize(
    ("severity", "file", "field", "words"),
    [
        ("error", "topics/shelter.yml", "variants[EU].sources", "at least one source"),
        ("error", "topics/shelter.yml", "variants[international].text.en", "at most 4096"),
        ("error", "topics/shelter.yml", "label.en", "at most 32"),
        ("error", "topics/shelter.yml", "buttons", "no entry answers 'ask_pizza'"),
        ("error", "topics/legal_aid.yml", "variants[international].reviewed", "more than 24 months"),
        ("warning", "messages/fallback.yml", "variants[international].reviewed", "more than 12 months"),
        ("error", "topics/asylum.yml", "variants[EU].reviewed", "in the future"),
        ("error", "topics/asylum.yml", "variants", "'international' variant is required"),
        ("error", "topics/rights.yml", "id", "must equal the file name"),
        ("error", "topics/typo.yml", "colour", "not permitted"),
        ("error", "topics/shelter_again.yml", "answers", "already answered by topics/shelter.yml"),
        ("error", "messages/request_human.yml", "label.en", "offered as a button"),
        ("error", "", "", "no entry answers the intent 'greet'"),
        (
            "error",
            "topics/compensation.yml",
            "variants[international].text.fr",
            "translations/fr/compensation.yml",
        ),
        (
            "error",
            "translations/fr/compensation.yml",
            "text.international",
            "missing 006; not in the English 060",
        ),
        ("warning", "translations/fr/compensation.yml", "reviewed", "after this translation"),
        ("error", "translations/fr/weather.yml", "entry", "no entry 'weather'"),
        ("error", "translations/es/compensation.yml", "locale", "must equal the folder name"),
        (
            "error",
            "countries/RO.yml",
            "services[wrong_country].contacts[0].number",
            "a number of ES, not of RO",
        ),
        (
            "error",
            "countries/RO.yml",
            "services[not_a_number].contacts[0].number",
            "not a valid phone number",
        ),
        ("error", "countries/RO.yml", "services[unknown_short].contacts[0].number", "unlisted_short_number"),
        ("error", "countries/RO.yml", "emergency[1].number", "not an emergency number in RO"),
        ("error", "countries/RO.yml", "services[no_source].sources", "at least one source"),
        ("error", "countries/RO.yml", "services[stale].reviewed", "more than 24 months"),
        ("warning", "countries/RO.yml", "services[due].reviewed", "more than 12 months"),
        ("error", "countries/RO.yml", "services[due].id", "already used in countries/RO.yml"),
        ("error", "countries/RO.yml", "services[due].hours.timezone", "need the service's time zone"),
        ("error", "countries/XY.yml", "services[0].hours.timezone", "unknown time zone 'Europe/Atlantis'"),
        ("error", "countries/FR.yml", "country", "'DE' must equal the file name"),
        ("error", "countries/ZZ.yml", "country", "not an ISO 3166 country code"),
    ],
    ids=[
        "missing source",
        "text too long",
        "label too long",
        "unknown button intent",
        "review 25 months old",
        "review 13 months old",
        "review in the future",
        "no international variant",
        "id is not the file name",
        "unknown field",
        "intent answered twice",
        "button without a label",
        "required intent without an entry",
        "translation inside the English entry",
        "phone number changed in translation",
        "translation older than the English",
        "translation of no entry",
        "translation in the wrong folder",
        "phone number of another country",
        "invalid phone number",
        "short number phonenumbers does not know",
        "emergency number that is not one",
        "service without a source",
        "service review 34 months old",
        "service review 17 months old",
        "service id used twice",
        "opening days without a time zone",
        "unknown time zone",
        "country file named after another country",
        "not a country",
    ],
)
def test_check_fails_on_a_broken_fixture(severity: str, file: str, field: str, words: str) -> None:
    matches = [
        problem
        for problem in broken_problems()
        if (problem.severity, problem.file, problem.field) == (severity, file, field)
        and words in problem.message
    ]
    assert len(matches) == 1, "\n".join(str(problem) for problem in broken_problems())


def test_a_review_becomes_due_the_day_after_twelve_months() -> None:
    a_year_on = check_content(REAL_CONTENT, ["en"], date(2027, 11, 23), ANSWERED)
    a_day_later = check_content(REAL_CONTENT, ["en"], date(2027, 11, 24), ANSWERED)
    assert a_year_on == []
    assert a_day_later and {problem.severity for problem in a_day_later} == {"warning"}


def test_a_file_that_is_not_valid_yaml_or_has_an_impossible_date_is_reported(tmp_path: Path) -> None:
    content = shutil.copytree(REAL_CONTENT, tmp_path / "content", ignore=shutil.ignore_patterns("locale"))
    (content / "topics" / "shelter.yml").write_text("id: shelter\nreviewed: 2026-13-01\n")
    (content / "topics" / "asylum.yml").write_text("id: [asylum\n")
    problems = {problem.file: problem.message for problem in check_content(content, ["en"], TODAY, [])}
    assert "month must be in 1..12" in problems["topics/shelter.yml"]
    assert problems["topics/asylum.yml"].startswith("not valid YAML")


def test_months_are_counted_on_the_calendar() -> None:
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2026, 11, 23), 25) == date(2024, 10, 23)


def test_a_missing_translation_is_listed_as_a_warning(tmp_path: Path) -> None:
    content = shutil.copytree(REAL_CONTENT, tmp_path / "content", ignore=shutil.ignore_patterns("locale"))
    (content / "translations" / "fr" / "shelter.yml").unlink()
    problems = check_content(content, ["en", "fr"], TODAY, ANSWERED)
    assert [(problem.severity, problem.file, problem.message) for problem in problems] == [
        ("warning", "topics/shelter.yml", "not translated into 'fr': readers get English with a note")
    ]


def test_an_answer_outside_the_contract_is_a_warning() -> None:
    problems = check_content(REAL_CONTENT, ["en"], TODAY, [*CONTRACT_INTENTS[:-1], *CORE_ACTIONS])
    assert [(problem.severity, problem.message) for problem in problems] == [
        ("warning", "'nlu_fallback' is not in the intent contract")
    ]


def test_check_command_exits_1_on_errors_and_lists_them(capsys: pytest.CaptureFixture[str]) -> None:
    assert content_command("check", "--content-dir", str(BROKEN)) == 1
    output = capsys.readouterr().out
    assert "error   topics/shelter.yml: variants[EU].sources: at least one source is required" in output


def test_check_command_exits_0_when_there_are_only_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = shutil.copytree(REAL_CONTENT, tmp_path / "content", ignore=shutil.ignore_patterns("locale"))
    shelter = content / "topics" / "shelter.yml"
    shelter.write_text(shelter.read_text().replace("reviewed: 2026-12-02", "reviewed: 2025-09-01"))
    assert content_command("check", "--content-dir", str(content)) == 0
    assert "warning topics/shelter.yml" in capsys.readouterr().out


def test_content_show_prints_the_topic(capsys: pytest.CaptureFixture[str]) -> None:
    command = ("show", "ask_shelter", "--lang", "en", "--country", "GB", "--content-dir", str(REAL_CONTENT))
    assert content_command(*command) == 0
    output = capsys.readouterr().out
    assert "safe place to stay" in output
    assert "[ Talk to a person ]  /request_human" in output
    assert "reviewed 2026-12-02" in output


def test_content_show_picks_the_countrys_variant_by_entry_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert content_command("show", "danger", "--country", "US", "--content-dir", str(REAL_CONTENT)) == 0
    assert "Call 911 now." in capsys.readouterr().out


def test_content_show_says_when_a_person_would_read_english(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = shutil.copytree(REAL_CONTENT, tmp_path / "content")
    (content / "translations" / "ro" / "rights.yml").unlink()
    assert content_command("show", "ask_rights", "--lang", "ro", "--content-dir", str(content)) == 0
    assert "a person would read English" in capsys.readouterr().out


def test_content_show_refuses_an_unknown_topic(capsys: pytest.CaptureFixture[str]) -> None:
    assert content_command("show", "weather", "--content-dir", str(REAL_CONTENT)) == 1
    assert "no entry or intent called 'weather'" in capsys.readouterr().out


def test_content_show_refuses_a_broken_pack(capsys: pytest.CaptureFixture[str]) -> None:
    assert content_command("show", "ask_shelter", "--content-dir", str(BROKEN)) == 1
    assert "topics/shelter.yml" in capsys.readouterr().out


def test_a_file_that_is_not_yaml_is_reported_not_skipped_silently(tmp_path: Path) -> None:
    content = shutil.copytree(REAL_CONTENT, tmp_path / "content", ignore=shutil.ignore_patterns("locale"))
    (content / "topics" / "notes.txt").write_text("draft")
    (content / "translations" / "es" / "shelter.yaml").write_text("entry: shelter")
    problems = {problem.file: problem.message for problem in check_content(content, ["en"], TODAY, [])}
    assert problems["topics/notes.txt"] == "not read: entries are files ending in .yml"
    assert problems["translations/es/shelter.yaml"] == "not read: translations are files ending in .yml"
