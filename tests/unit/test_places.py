"""The gazetteer (content/places.yml) finds the country a message names, in every language, and only then."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.content.places import Gazetteer, gazetteer_problems

CONTENT = Path(__file__).resolve().parents[2] / "content"
PLACES = Gazetteer.load(CONTENT / "places.yml")
COVERED = sorted(path.stem for path in (CONTENT / "countries").glob("*.yml") if path.stem != "EU")
LOCALES = ["en", "es", "fr", "pt", "ro", "ru", "uk", "ar", "sq", "vi", "zh", "th", "ti", "tl"]


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("I am in Italy and I need a safe place to sleep tonight", "IT"),
        ("estoy en España y necesito un abogado gratis", "ES"),
        ("estoy en espana", "ES"),
        ("je suis en Allemagne depuis un an", "DE"),
        ("moro em Portugal há dois anos", "PT"),
        ("lucrez in Germania fara contract", "DE"),
        ("я работаю в Польше без документов", "PL"),
        ("я працюю в Польщі без документів", "PL"),
        ("أنا في إيطاليا وأحتاج مكان آمن للنوم", "IT"),
        ("أعيش بإسبانيا", "ES"),
        ("jam ne Itali dhe me duhet nje vend per te fjetur", "IT"),
        ("punoj në Gjermani pa kontratë", "DE"),
        ("jetoj ne greqi prej 3 vjetesh", "GR"),
        ("tôi đang ở Đức, cần chỗ ngủ tối nay", "DE"),
        ("em lam nail o ben anh", "GB"),
        ("ho dua em sang ba lan roi", "PL"),
        ("我在意大利，今晚需要一个安全的地方睡觉", "IT"),
        ("我在德國打工沒有合同", "DE"),
        ("หนูอยู่ อิตาลี ค่ะ อยากได้ที่นอนคืนนี้", "IT"),
        ("ኣብ ጥልያን እየ ዘለኹ ሎሚ ምሸት ዝድቅሰሉ የብለይን", "IT"),
        ("ኣብ ጀርመን ብዘይ ውዕል እሰርሕ", "DE"),
        ("ab holand aleku tebeqa delye", "NL"),
    ],
)
def test_a_country_named_anywhere_in_a_message_is_found_in_every_language(text: str, country: str) -> None:
    assert PLACES.country_in(text) == country


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("I'm scared and I need somewhere to sleep tonight, I'm in London", "GB"),
        ("I work in a restaurant in Milan", "IT"),
        ("trabajo en Milán", "IT"),
        ("je travaille à Milan", "IT"),
        ("estou em Milão", "IT"),
        ("sunt la Milano", "IT"),
        ("я в Милане", "IT"),
        ("я в Мілані", "IT"),
        ("انا في ميلانو", "IT"),
        ("我在米兰的工厂上班", "IT"),
        ("she is in a house in New York", "US"),
        ("мы были в Киеве", "UA"),
        ("ми були у Києві", "UA"),
        ("بلندن", "GB"),
        ("jam ne Londer", "GB"),
        ("punoj në Milano", "IT"),
        ("jam ne Athine", "GR"),
        ("em lam o tiem nail o Luan Don", "GB"),
        ("ኣብ ሎንደን እየ ዘለኹ", "GB"),
        ("ኣብ ሚላኖ እሰርሕ", "IT"),
    ],
)
def test_a_city_is_its_country(text: str, country: str) -> None:
    assert PLACES.country_in(text) == country


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("the Spanish police took my papers", "ES"),
        ("la policía española me quitó los papeles", "ES"),
        ("la police française", "FR"),
        ("a polícia portuguesa", "PT"),
        ("poliția italiană", "IT"),
        ("итальянская полиция", "IT"),
        ("польська поліція", "PL"),
        ("الشرطة الإسبانية", "ES"),
        ("policia greke me mori pasaporten", "GR"),
        ("cảnh sát Tây Ban Nha giữ giấy tờ của tôi", "ES"),
        ("ፖሊስ ስጳኛዊ ወረቐተይ ወሲዱ", "ES"),
    ],
)
def test_an_authority_named_by_its_country_is_that_country(text: str, country: str) -> None:
    assert PLACES.country_in(text) == country


@pytest.mark.parametrize(
    "text",
    [
        "do you speak Spanish",  # a language, not a place
        "hablo español",
        "говорите по-английски?",
        "I am Romanian",  # a nationality says nothing of where the person is now
        "Paris told me to leave",  # a person's name
        "I am Roma",
        "I'm in Georgia",  # a country and a US state
        "Jersey",
        "estoy en Granada",  # a Spanish city and a Caribbean country
        "I came from South America",  # not America
        "can you help us",  # "us" is not the US
        "mi jefe usa mi pasaporte",  # "usa" is a verb
        "sua casa",  # "sua" is "your"
        "I'm from Romania but now in Italy",  # two countries: better to ask
        "italianissimo",  # no name inside another word
        "spainish",
        "flas italisht",  # a language, not a place
        "jam grek",  # a nationality
        # Vietnamese short names that are everyday words without marks: anh (you), ba lần (three times),
        # hợp pháp (legal), đồng ý (agree).
        "anh oi giup em",
        "toi goi canh sat ba lan roi",
        "viec nay co hop phap khong",
        "toi dong y",
        "ขอภาษาอังกฤษได้ไหมคะ",  # a language, not a place
        "ብጣልያንኛ ትጽሕፉ ዶ",  # Italian, the language
        "እንግሊዛዊ እየ",  # a nationality
    ],
)
def test_no_country_is_read_where_a_person_would_not_read_one(text: str) -> None:
    assert PLACES.country_in(text) is None


def test_a_longer_name_wins_over_the_shorter_one_inside_it() -> None:
    assert PLACES.country_in("I live in New Jersey") == "US"


def test_a_city_that_is_also_a_name_needs_a_place_word() -> None:
    assert PLACES.country_in("I live in Paris") == "FR"
    assert PLACES.country_in("estou no Porto") == "PT"


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("and in Romania?", "RO"),
        ("and what about in Romania?", "RO"),
        ("¿y en Portugal?", "PT"),
        ("et en France ?", "FR"),
        ("e em Portugal?", "PT"),
        ("și în Italia?", "IT"),
        ("а в Польше?", "PL"),
        ("а в Польщі?", "PL"),
        ("وفي إيطاليا؟", "IT"),
        ("po ne Itali?", "IT"),
        ("dhe në Angli?", "GB"),
        ("còn ở Ý thì sao?", "IT"),
        ("con o phap thi sao", "FR"),
        ("อิตาลีล่ะ", "IT"),
        ("แล้วที่สเปนล่ะคะ", "ES"),
        ("ኣብ ጥልያን ከ?", "IT"),
        ("ኣብ ፈረንሳ ድማ", "FR"),
    ],
)
def test_a_follow_up_that_only_names_a_country_is_recognised(text: str, country: str) -> None:
    assert PLACES.only_country(text) == country


def test_a_message_with_more_than_a_country_is_not_a_follow_up() -> None:
    assert PLACES.only_country("I am in Italy and I need a lawyer") is None
    assert PLACES.only_country("i ned a lawer pls, im in spain") is None


def test_every_covered_country_is_named_in_every_language_and_no_name_has_two_countries() -> None:
    assert gazetteer_problems(CONTENT / "places.yml", COVERED, LOCALES) == []


def test_the_check_finds_a_name_of_two_countries_an_unknown_code_and_a_yaml_boolean(tmp_path: Path) -> None:
    data = {
        "countries": {
            "IT": {"en": {"names": ["Italy"], "cities": ["Granada"]}},
            "ES": {"en": {"names": ["Spain"], "cities": ["Granada", "no"]}},
            "XX": {"en": {"names": ["Nowhere"]}},
        }
    }
    path = tmp_path / "places.yml"
    path.write_text(yaml.safe_dump(data).replace("'no'", "no"), encoding="utf-8")
    problems = [str(problem) for problem in gazetteer_problems(path, ["IT", "ES"], ["en", "fr"])]
    assert any("'Granada' names ES and IT" in problem for problem in problems)  # in file order
    assert any("countries.XX" in problem for problem in problems)
    assert any("False is not text" in problem for problem in problems)
    assert any("countries.IT.fr" in problem and "no names" in problem for problem in problems)


def test_the_last_topic_is_read_from_the_current_session_of_the_tracker() -> None:
    from bot.engine.rasa import last_intent

    def user(intent: str) -> dict[str, object]:
        return {"event": "user", "parse_data": {"intent": {"name": intent}}}

    skipping = {"greet", "thank", "change_country"}
    events = [user("ask_asylum"), {"event": "session_started"}, user("ask_shelter"), user("thank")]
    assert last_intent(events, skipping) == "ask_shelter"
    assert last_intent([user("ask_asylum"), {"event": "session_started"}, user("greet")], skipping) is None
