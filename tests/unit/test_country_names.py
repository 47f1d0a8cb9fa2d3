"""Which country a person says they are in, and how the bot names it back to them."""

from __future__ import annotations

from string import ascii_uppercase

import pytest

from bot.countries import country_name, is_country_code, match_country
from bot.i18n import SUPPORTED_LOCALES


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # English, with case, punctuation and the words around the name.
        ("romania", "RO"),
        ("I'm in Spain", "ES"),
        ("Poland.", "PL"),
        ("in the UK", "GB"),
        ("U.K.", "GB"),
        ("England", "GB"),
        ("Scotland", "GB"),
        ("Great Britain", "GB"),
        ("im in usa now", "US"),
        ("US", "US"),
        ("U.S.", "US"),
        ("America", "US"),
        ("Holland", "NL"),
        ("the Netherlands", "NL"),
        ("Moldova", "MD"),
        ("Czech Republic", "CZ"),
        ("Czechia", "CZ"),
        ("Turkey", "TR"),
        # Spanish, with and without accents.
        ("españa", "ES"),
        ("estoy en espana", "ES"),
        ("Alemania!", "DE"),
        ("EEUU", "US"),
        ("EE.UU.", "US"),
        ("Estados Unidos", "US"),
        ("Holanda", "NL"),
        ("Inglaterra", "GB"),
        ("República Checa", "CZ"),
        # French, including elision.
        ("je suis en France", "FR"),
        ("l'Italie", "IT"),
        ("aux Etats-Unis", "US"),
        ("Hollande", "NL"),
        ("au Royaume-Uni", "GB"),
        # Portuguese.
        ("em Portugal", "PT"),
        ("estou na Espanha", "ES"),
        ("na Itália", "IT"),
        ("moro na Holanda", "NL"),
        ("EUA", "US"),
        # Romanian, including the genitive after "din" and forms without diacritics.
        ("ROMÂNIA", "RO"),
        ("sunt în Italia", "IT"),
        ("sunt in Spania", "ES"),
        ("din România", "RO"),
        ("din Italiei", "IT"),
        ("Statele Unite", "US"),
        ("în Statele Unite ale Americii", "US"),
        ("Olanda", "NL"),
        ("Marea Britanie", "GB"),
        ("Republica Moldova", "MD"),
        # Albanian, with and without ë, in the forms used after "në", "nga", "te".
        ("Itali", "IT"),
        ("jam ne Itali", "IT"),
        ("në Greqi", "GR"),
        ("Greqia", "GR"),
        ("nga Shqipëria", "AL"),
        ("jam ne spanjen", "ES"),
        ("Gjermani", "DE"),
        ("Anglia", "GB"),
        ("Mbreteria e Bashkuar", "GB"),
        ("SHBA", "US"),
        ("Amerika", "US"),
        ("ne Holande", "NL"),
        ("Kosova", "XK"),
        ("Zvicër", "CH"),
        # Russian, declined after prepositions.
        ("я в Германии", "DE"),
        ("в Румынии", "RO"),
        ("из Украины", "UA"),
        ("во Франции", "FR"),
        ("в Нидерландах", "NL"),
        ("в Польше", "PL"),
        ("в Чехии", "CZ"),
        ("в Израиле", "IL"),
        ("США", "US"),
        ("в Штатах", "US"),
        ("в Америке", "US"),
        ("Голландия", "NL"),
        ("в Англии", "GB"),
        ("в Молдове", "MD"),
        # Ukrainian, declined after prepositions.
        ("я зараз у Польщі", "PL"),
        ("в Іспанії", "ES"),
        ("у Великій Британії", "GB"),
        ("в Україні", "UA"),
        ("у Німеччині", "DE"),
        ("у Штатах", "US"),
        ("в Америці", "US"),
        ("Голландія", "NL"),
        ("у Чехії", "CZ"),
        # Arabic, with the preposition apart or joined, and with or without hamza.
        ("أنا في إيطاليا", "IT"),
        ("بإيطاليا", "IT"),
        ("في ألمانيا", "DE"),
        ("بالمملكة المتحدة", "GB"),
        ("أمريكا", "US"),
        ("امريكا", "US"),
        ("هولندا", "NL"),
        ("في مصر", "EG"),
        # Vietnamese, with and without tone marks, and đ typed as d.
        ("Đức", "DE"),
        ("duc", "DE"),
        ("tôi ở Tây Ban Nha", "ES"),
        ("tay ban nha", "ES"),
        ("nước Anh", "GB"),
        ("nuoc my", "US"),
        ("Hoa Kỳ", "US"),
        ("Bồ Đào Nha", "PT"),
        ("bo dao nha", "PT"),
        ("Hà Lan", "NL"),
        ("Italia", "IT"),
        # Thai, alone or between spaces, and the names people use beside Babel's.
        ("อังกฤษ", "GB"),
        ("สหราชอาณาจักร", "GB"),
        ("อเมริกา", "US"),
        ("สหรัฐฯ", "US"),
        ("อยู่ เยอรมัน ค่ะ", "DE"),
        ("ฮอลแลนด์", "NL"),
        ("สเปน", "ES"),
        ("ตอนนี้อยู่ อิตาลี", "IT"),
        # Tigrinya, Babel's names and the everyday ones, in Ge'ez and in Latin letters.
        ("ኢጣልያ", "IT"),
        ("ጥልያን", "IT"),
        ("ኣብ ጀርመን", "DE"),
        ("ሆላንድ", "NL"),
        ("ዓባይ ብሪጣንያ", "GB"),
        ("እንግሊዝ", "GB"),
        ("ኣሜሪካ", "US"),
        ("ፖሎኛ", "PL"),
        ("Tilyan", "IT"),
        # Tagalog (Filipino): the Spanish-derived names, after "nasa" / "sa", and CLDR's English ones.
        ("Espanya", "ES"),
        ("nasa Italya ako", "IT"),
        ("sa Alemanya", "DE"),
        ("Pransya po", "FR"),
        ("nasa Gresya", "GR"),
        ("Inglatera", "GB"),
        ("sa Estados Unidos", "US"),
        ("Polonya", "PL"),
        ("Olanda", "NL"),
        ("nasa Hong Kong po ako", "HK"),
        ("Saudi", "SA"),
        # A country's own name, whatever the chat language.
        ("Deutschland?", "DE"),
        ("Polska", "PL"),
    ],
)
def test_a_country_typed_in_any_supported_language_is_found(text: str, code: str) -> None:
    assert match_country(text) == code


@pytest.mark.parametrize(
    "text",
    [
        "I need help",
        "hello",
        "spanish please",
        "I'm in danger",
        "help us",
        "at home",
        "en casa",
        "не знаю",
        "لا أعرف",
        "ไม่รู้ค่ะ",
        # Languages and nationalities share a stem with countries but are not countries.
        "romanian",
        "română",
        "rumano",
        "roumain",
        "romeno",
        "русский",
        "румынский",
        "українська",
        "ukrainian",
        "british",
        "americano",
        # Country names that are also everyday words.
        "того",
        "малі",
        "مالي",
    ],
)
def test_language_names_and_unrelated_texts_are_not_countries(text: str) -> None:
    assert match_country(text) is None


@pytest.mark.parametrize(
    "text",
    ["I'm from Romania but in Italy", "din România, acum în Spania", "из Украины в Польшу", "Congo"],
)
def test_two_countries_are_not_guessed(text: str) -> None:
    assert match_country(text) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("South Sudan", "SS"),
        ("Sudan", "SD"),
        ("Nigeria", "NG"),
        ("Niger", "NE"),
        ("Guinea-Bissau", "GW"),
        ("Northern Ireland", "GB"),
        ("Ireland", "IE"),
        ("Congo - Kinshasa", "CD"),
        ("Hong Kong", "HK"),
    ],
)
def test_a_name_inside_a_longer_name_is_the_longer_country(text: str, code: str) -> None:
    assert match_country(text) == code


def test_long_messages_are_not_read_as_an_answer() -> None:
    assert match_country("I came to Spain last year with a man who promised me work in a restaurant") is None
    assert match_country("please please please please please please please please Spain") is None


def test_only_the_given_languages_are_searched() -> None:
    assert match_country("Alemania", locales=("en",)) is None
    assert match_country("Alemania", locales=("es",)) == "DE"


def test_country_name_is_in_the_persons_language() -> None:
    assert country_name("RO", "uk") == "Румунія"
    assert country_name("RO", "ro") == "România"
    assert country_name("DE", "ar") == "ألمانيا"
    assert country_name("ES", "fr") == "Espagne"
    assert country_name("IT", "ti") == "ኢጣልያ"


def test_country_name_falls_back_to_english_and_then_to_the_code() -> None:
    assert country_name("RO", "xx") == "Romania"
    assert country_name("QQ", "en") == "QQ"
    assert country_name("EU", "en") == "EU"


def test_only_real_countries_are_codes() -> None:
    assert all(is_country_code(code) for code in ("RO", "GB", "US", "XK", "PS", "MD"))
    assert not any(is_country_code(code) for code in ("EU", "EZ", "UN", "QO", "ZZ", "XA", "XB", "001", "419"))
    assert not any(is_country_code(code) for code in ("ro", "Ro", "QQ", "R0", "", "ROU"))


def test_every_country_is_named_in_every_supported_language() -> None:
    codes = [first + second for first in ascii_uppercase for second in ascii_uppercase]
    countries = [code for code in codes if is_country_code(code)]
    assert len(countries) > 240
    for locale in SUPPORTED_LOCALES:
        assert all(country_name(code, locale) != code for code in countries)
