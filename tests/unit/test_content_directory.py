"""The country directory: numbers by country in the person's language, the country question, the checks."""

from __future__ import annotations

import shutil
from datetime import date, time
from pathlib import Path

import pytest
import yaml

from bot.content import CONTRACT_INTENTS, CORE_ACTIONS, ContentLibrary, check_content
from bot.content.directory import hours_text
from bot.content.schema import Hours, OpeningTimes
from bot.i18n import SUPPORTED_LOCALES

ROOT = Path(__file__).resolve().parents[2]
REAL_CONTENT = ROOT / "content"
TODAY = date(2026, 12, 3)
# Every seeded country with its emergency number and one helpline number as people read it (as its source
# writes it, the same in every text and in the list of services).
SEEDED = {
    "US": ("911", "+1 888 373 7888"),
    "GB": ("999", "08000 121 700"),
    "IT": ("112", "800 290 290"),
    "RO": ("112", "0800 800 678"),
    "UA": ("112", "527"),
    "ES": ("112", "900 10 50 90"),
    "DE": ("112", "116 016"),
    "FR": ("112", "+33 1 44 52 88 90"),
    "PL": ("112", "+48 22 628 01 20"),
    "NL": ("112", "+31 33 448 11 86"),
    "PT": ("112", None),
    "GR": ("112", None),
}


@pytest.fixture(scope="module")
def library() -> ContentLibrary:
    return ContentLibrary.load(REAL_CONTENT)


def test_every_seeded_country_is_covered(library: ContentLibrary) -> None:
    assert set(library.countries()) == set(SEEDED)


@pytest.mark.parametrize("country", sorted(SEEDED))
def test_shelter_lists_the_countrys_helplines(library: ContentLibrary, country: str) -> None:
    emergency, helpline = SEEDED[country]
    reply = library.reply_for_intent("ask_shelter", "en", country)
    if helpline:
        assert helpline in reply.text
    else:
        assert f"In an emergency, call {emergency}." in reply.text
    assert "/change_country" in [button.payload for button in reply.buttons]


def test_the_directory_is_written_in_the_persons_language(library: ContentLibrary) -> None:
    reply = library.reply_for_intent("ask_legal_aid", "uk", "PL")
    assert "Румунія" not in reply.text and "Польща" in reply.text  # Babel's Ukrainian name of Poland
    assert "понеділок–пʼятниця" in reply.text.lower() or "понеділок–п’ятниця" in reply.text.lower()
    assert "+48 22 628 01 20" in reply.text


def test_services_of_the_eu_are_listed_in_every_member_state(library: ContentLibrary) -> None:
    assert "116 000" in library.reply_for_intent("ask_child_protection", "en", "IT").text
    assert "116 000" not in library.reply_for_intent("ask_child_protection", "en", "US").text


def test_without_a_country_the_reply_asks_for_it_with_a_button_per_country(library: ContentLibrary) -> None:
    reply = library.reply_for_intent("ask_shelter", "es", None)
    assert library.reply_for_intent("change_country", "es").text.split("?")[0] in reply.text
    payloads = [button.payload for button in reply.buttons]
    assert payloads and all(payload.startswith("/country_") for payload in payloads)
    assert "/country_ro_ask_shelter" in payloads
    assert "🇷🇴 Rumanía" in [button.title for button in reply.buttons]


def test_an_uncovered_country_gets_the_general_text_and_an_honest_line(library: ContentLibrary) -> None:
    reply = library.reply_for_intent("ask_shelter", "en", "BR")
    assert "I have no checked helpline for Brazil yet." in reply.text
    assert not any(button.payload.startswith("/country_") for button in reply.buttons)


@pytest.mark.parametrize("country", sorted(SEEDED))
def test_in_danger_the_first_message_is_the_countrys_emergency_number(
    library: ContentLibrary, country: str
) -> None:
    reply = library.reply_for_intent("immediate_danger", "en", country)
    first_line = reply.text.splitlines()[0]
    assert SEEDED[country][0] in first_line
    assert len(reply.text) < 200  # read in seconds


def test_in_danger_with_no_country_the_bot_gives_112_and_asks(library: ContentLibrary) -> None:
    reply = library.reply_for_intent("immediate_danger", "en", None)
    assert "112" in reply.text.splitlines()[1]
    assert "Which country are you in?" in reply.text
    assert "/country_gb_immediate_danger" in [button.payload for button in reply.buttons]


def test_opening_hours_are_written_for_the_locale() -> None:
    hours = Hours(
        timezone="Europe/Warsaw",
        open=[OpeningTimes(days=["mon", "tue", "wed", "thu", "fri"], opens=time(9), closes=time(17))],
    )
    assert hours_text(hours, "en", str) == "Monday–Friday, 9:00\u202fAM–5:00\u202fPM (Poland Time)"
    assert hours_text(hours, "ro", str) == "luni–vineri, 09:00–17:00 (Ora din Polonia)"
    assert hours_text(Hours(always=True), "en", str) == "open 24/7"


def copy_of_the_content(tmp_path: Path) -> Path:
    return shutil.copytree(REAL_CONTENT, tmp_path / "content")


def test_a_directory_that_makes_a_message_too_long_fails_the_check(tmp_path: Path) -> None:
    content = copy_of_the_content(tmp_path)
    romania = content / "countries" / "RO.yml"
    service = romania.read_text().split("services:\n", 1)[1]
    many = "".join(service.replace("id: anitp", f"id: anitp_{index}") for index in range(40))
    romania.write_text(romania.read_text().split("services:\n", 1)[0] + "services:\n" + many)
    problems = check_content(content, SUPPORTED_LOCALES, TODAY, (*CONTRACT_INTENTS, *CORE_ACTIONS))
    assert any(
        problem.file == "topics/shelter.yml" and "Telegram takes at most 4096" in problem.message
        for problem in problems
    ), problems


def test_markup_in_a_plain_text_message_fails_the_check(tmp_path: Path) -> None:
    content = copy_of_the_content(tmp_path)
    shelter = content / "topics" / "shelter.yml"
    shelter.write_text(shelter.read_text().replace("a safe place to stay.", "a **safe place** to stay.", 1))
    problems = check_content(content, ["en"], TODAY, (*CONTRACT_INTENTS, *CORE_ACTIONS))
    assert [(problem.file, "plain text" in problem.message) for problem in problems] == [
        ("topics/shelter.yml", True)
    ]


def test_a_danger_reply_without_the_countrys_emergency_number_fails_the_check(tmp_path: Path) -> None:
    content = copy_of_the_content(tmp_path)
    america = content / "countries" / "US.yml"
    america.write_text(america.read_text().replace('  - number: "911"', '  - number: "112"', 1))
    problems = check_content(content, ["en"], TODAY, (*CONTRACT_INTENTS, *CORE_ACTIONS))
    assert [problem.message for problem in problems if problem.file == "messages/danger.yml"] == [
        "in US the danger reply must give the emergency number 112 (content/countries/US.yml), "
        "but the 'US' variant does not"
    ]


# Every number in content/countries/, exactly as in ../shared/content-facts.md (written as E.164 there
# where it is a full number): a second pair of eyes on each one.
VERIFIED_DIRECTORY = {
    "+18883737888", "233733", "711", "911", "+448000121700", "999", "112", "+39800290290",
    "+40800800678", "527", "1547", "+380442841915", "102", "+34900105090", "116000", "116016",
    "+33144528890", "119", "+48226280120", "+48226289999", "+31334481186", "+319008844", "+318007000",
}  # fmt: skip


def test_every_number_in_the_directory_is_a_verified_one() -> None:

    numbers = set()
    for path in (REAL_CONTENT / "countries").glob("*.yml"):
        country = yaml.safe_load(path.read_text(encoding="utf-8"))
        numbers |= {entry["number"].replace(" ", "") for entry in country.get("emergency", [])}
        numbers |= {
            contact["number"].replace(" ", "")
            for service in country.get("services", [])
            for contact in service["contacts"]
        }
    assert numbers - VERIFIED_DIRECTORY == set()


def test_a_number_written_two_ways_fails_the_check(tmp_path: Path) -> None:
    """The same helpline must not read "08000 121 700" in a text and another form in the list below it."""
    content = copy_of_the_content(tmp_path)
    report = content / "topics" / "report_police.yml"
    report.write_text(report.read_text().replace("08000 121 700", "+44 800 012 1700"))
    problems = check_content(content, ["en"], TODAY, (*CONTRACT_INTENTS, *CORE_ACTIONS))
    assert any(
        problem.file == "topics/report_police.yml"
        and problem.message
        == "'+44 800 012 1700' is written '08000 121 700' in the list of services: write it so"
        for problem in problems
    ), problems


def test_a_written_form_of_another_number_fails_the_check(tmp_path: Path) -> None:
    content = copy_of_the_content(tmp_path)
    britain = content / "countries" / "GB.yml"
    britain.write_text(britain.read_text().replace('written: "08000 121 700"', 'written: "08000 121 799"'))
    problems = check_content(content, ["en"], TODAY, (*CONTRACT_INTENTS, *CORE_ACTIONS))
    assert any(
        problem.file == "countries/GB.yml" and problem.field.endswith(".written") for problem in problems
    )


def test_a_topic_too_long_to_read_in_danger_fails_the_check(tmp_path: Path) -> None:
    content = copy_of_the_content(tmp_path)
    shelter = content / "topics" / "shelter.yml"
    padding = " ".join(["Please read this with care, it may help you."] * 12)
    shelter.write_text(shelter.read_text().replace("      en: |\n", f"      en: |\n        {padding}\n", 1))
    problems = check_content(content, ["en"], TODAY, (*CONTRACT_INTENTS, *CORE_ACTIONS))
    assert any(problem.file == "topics/shelter.yml" and "words" in problem.message for problem in problems)
