"""Short follow-ups (content/follow_ups.yml) are read against the last topic in every language: without
papers, for someone else, how; a someone-else follow-up under 18 is a child's case; longer messages and
real questions are left to the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.follow_ups import (
    ASKS,
    HOW,
    NO_PAPERS,
    SOMEONE_ELSE,
    FollowUp,
    FollowUps,
    follow_up_problems,
    note_entry,
)
from bot.content.places import Gazetteer

CONTENT = Path(__file__).resolve().parents[2] / "content"
PLACES = Gazetteer.load(CONTENT / "places.yml")
FOLLOW_UPS = FollowUps.load(CONTENT / "follow_ups.yml")
LOCALES = ["en", "es", "fr", "pt", "ro", "ru", "uk", "ar", "sq", "vi", "zh", "th"]


def read(text: str) -> FollowUp | None:
    return FOLLOW_UPS.read(text, PLACES)


@pytest.mark.parametrize(
    "text",
    [
        "and if I have no papers?",
        "what if I don't have papers",
        "¿y si no tengo papeles?",
        "et si je n'ai pas de papiers ?",
        "e se eu não tiver documentos?",
        "si daca nu am acte?",
        "а если у меня нет документов?",
        "а якщо в мене немає документів?",
        "وإذا ما عندي أوراق؟",
        "po nese nuk kam dokumente?",
        "con neu em khong co giay to thi sao?",
        "如果我没有证件呢？",
        "ถ้าไม่มีเอกสารล่ะ",
    ],
)
def test_a_follow_up_about_having_no_papers_is_read_in_every_language(text: str) -> None:
    assert read(text) == FollowUp((NO_PAPERS,))


@pytest.mark.parametrize(
    "text",
    [
        "what about for my sister?",
        "and my friend?",
        "¿y para mi hermana?",
        "et pour ma soeur ?",
        "e o meu amigo?",
        "dar pentru sora mea?",
        "а для моей сестры?",
        "а мій друг?",
        "وبالنسبة لأختي؟",
        "po per motren time?",
        "còn bạn tôi thì sao?",
        "那我妹妹呢？",
        "แล้วเพื่อนล่ะ",
        "how about my sister?",  # for her, not the steps
    ],
)
def test_a_follow_up_for_someone_else_is_read_in_every_language(text: str) -> None:
    assert read(text) == FollowUp((SOMEONE_ELSE,))


@pytest.mark.parametrize(
    "text",
    [
        "how?",
        "how do I do that?",
        "¿cómo?",
        "¿cómo lo hago?",
        "comment je fais ?",
        "como eu faço isso?",
        "cum fac asta?",
        "как это сделать?",
        "як?",
        "كيف؟",
        "si ta bej?",
        "làm thế nào?",
        "怎么办？",
        "ต้องทำยังไงคะ",
    ],
)
def test_a_follow_up_asking_how_is_read_in_every_language(text: str) -> None:
    assert read(text) == FollowUp((HOW,))


@pytest.mark.parametrize(
    "text",
    [
        "and my sister is 15?",
        "she is 15",
        "¿y si mi hermana tiene 15 años?",
        "ella tiene 15 años",
        "et ma soeur a 15 ans ?",
        "si sora mea are 15 ani?",
        "а если сестре 15 лет?",
        "їй 15 років",
        "وأختي عمرها ١٥ سنة؟",
        "po motra ime eshte 15 vjec?",
        "cô ấy 15 tuổi",
        "如果我妹妹只有15岁呢？",
        "แล้วน้องสาวอายุ 15 ล่ะ",
        "and my little sister?",
    ],
)
def test_someone_else_under_18_is_a_childs_case(text: str) -> None:
    assert read(text) == FollowUp(child=True)


def test_a_sister_is_a_child_only_when_the_message_says_so() -> None:
    assert read("and my sister?") == FollowUp((SOMEONE_ELSE,))
    assert read("and my sister is 19?") == FollowUp((SOMEONE_ELSE,))
    assert read("I am 15") is None  # the person's own age: the model's to read, not a follow-up


@pytest.mark.parametrize(
    "text",
    [
        "can I see a doctor without papers",
        "is there a doctor who can see me without papers",
        "necesito ver a un medico pero no tengo papeles",
        "I have papers",
        "and in Romania?",
        "mi hermana tiene 14 años y la tienen encerrada en una casa en nueva york",
        "没有证件可以去看医生吗",
        "ไม่มีเอกสารไปหาหมอได้ไหม",
        "hello",
        "",
    ],
)
def test_a_question_of_its_own_is_not_a_follow_up(text: str) -> None:
    assert read(text) is None


def test_a_follow_up_may_name_a_country_too() -> None:
    assert read("and in Spain if I have no papers?") == FollowUp((NO_PAPERS,))


def test_every_kind_has_cues_in_every_language_and_a_note_in_content() -> None:
    assert follow_up_problems(CONTENT / "follow_ups.yml", LOCALES) == []
    for kind in ASKS:
        assert (CONTENT / "messages" / f"{note_entry(kind)}.yml").exists()


def test_the_check_finds_an_unknown_kind_and_a_short_stem_and_warns_of_a_language_without_cues(
    tmp_path: Path,
) -> None:
    path = tmp_path / "follow_ups.yml"
    path.write_text("cues: {maybe: {en: [perhaps]}, how: {en: [ho*]}}\nwords: {pt: [e, no]}\n")
    problems = follow_up_problems(path, ["en", "ti"])
    errors = [problem.message for problem in problems if problem.severity == "error"]
    assert any("not one of" in message for message in errors)
    assert any("too short" in message for message in errors)
    assert any("not text" in message for message in errors)  # `no` unquoted is a YAML boolean
    assert any(problem.severity == "warning" and "'ti'" in problem.message for problem in problems)


def test_the_how_note_names_the_topic_in_every_translation() -> None:
    for path in [
        *CONTENT.glob("messages/follow_up_how*.yml"),
        *CONTENT.glob("translations/*/follow_up_how*.yml"),
    ]:
        assert "{topic}" in path.read_text(encoding="utf-8"), path
