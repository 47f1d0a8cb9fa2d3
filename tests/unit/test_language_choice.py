"""Which language a person is answered in: their choice > what they write in > what their app says."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.conversation.language import LanguageDetector, LocaleChoice, LocaleSource, choose
from bot.i18n import SUPPORTED_LOCALES, language_payload, locale_from_payload

HELD_OUT = Path(__file__).resolve().parents[1] / "nlu"
EXPLICIT, DETECTED, CLIENT = LocaleSource.EXPLICIT, LocaleSource.DETECTED, LocaleSource.CLIENT


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


def test_a_first_message_is_answered_in_the_language_it_is_written_in(detector: LanguageDetector) -> None:
    assert choose(None, "en", "necesito un lugar seguro para dormir", detector) == LocaleChoice(
        "es", DETECTED
    )


def test_thai_written_without_spaces_is_detected(detector: LanguageDetector) -> None:
    assert choose(None, "en", "หนูต้องการที่พักปลอดภัยคืนนี้ค่ะ", detector) == LocaleChoice("th", DETECTED)
    assert choose(None, "en", "นายจ้างยึด passport ผมไป", detector) == LocaleChoice("th", DETECTED)


def test_a_short_or_unclear_message_keeps_the_apps_language(detector: LanguageDetector) -> None:
    assert choose(None, "ro", "ok", detector) == LocaleChoice("ro", CLIENT)
    assert choose(None, "ro", "hola", detector) == LocaleChoice("ro", CLIENT)


def test_vietnamese_is_detected_with_or_without_tone_marks(detector: LanguageDetector) -> None:
    assert choose(None, "en", "tôi cần một chỗ ở an toàn tối nay", detector) == LocaleChoice("vi", DETECTED)
    # Typed without marks, Vietnamese looks like French or Romanian to a detector; its words tell it apart.
    assert choose(None, "en", "toi can cho o an toan toi nay", detector) == LocaleChoice("vi", DETECTED)
    assert choose(None, "fr", "em muon doi lai tien luong", detector) == LocaleChoice("vi", DETECTED)


def test_latin_text_does_not_switch_a_person_whose_app_is_in_vietnamese(detector: LanguageDetector) -> None:
    assert choose(None, "vi", "toi muon doi lai tien moi gioi", detector).locale == "vi"
    assert choose(None, "vi", "je cherche un avocat gratuit", detector) == LocaleChoice("vi", CLIENT)


def test_chinese_is_detected_from_a_few_characters_and_pinyin_keeps_the_apps_language(
    detector: LanguageDetector,
) -> None:
    assert choose(None, "en", "我需要律师", detector) == LocaleChoice("zh", DETECTED)
    assert choose(None, "en", "我要找lawyer", detector) == LocaleChoice("zh", DETECTED)
    assert choose(None, "en", "護照被老闆拿走了", detector) == LocaleChoice("zh", DETECTED)
    assert choose(None, "en", "你好", detector) == LocaleChoice("en", CLIENT)
    assert choose(None, "zh", "wo xu yao lv shi bang wo", detector) == LocaleChoice("zh", CLIENT)


def test_a_language_button_is_an_explicit_choice() -> None:
    assert choose(LocaleChoice("ru", DETECTED), "ru", language_payload("uk"), None) == LocaleChoice(
        "uk", EXPLICIT
    )


def test_an_explicit_choice_is_not_overridden_by_what_the_person_writes(detector: LanguageDetector) -> None:
    chosen = LocaleChoice("uk", EXPLICIT)
    assert choose(chosen, "ru", "мне нужен бесплатный адвокат срочно", detector) == chosen


def test_a_detected_language_is_not_switched_by_later_messages(detector: LanguageDetector) -> None:
    detected = LocaleChoice("pt", DETECTED)
    assert choose(detected, "en", "necesito un abogado gratis por favor", detector) == detected


def test_buttons_and_commands_are_not_read_as_language(detector: LanguageDetector) -> None:
    assert choose(None, "fr", "/ask_shelter_and_legal_aid_now", detector) == LocaleChoice("fr", CLIENT)


def test_only_supported_languages_can_be_picked() -> None:
    assert locale_from_payload("/language_uk") == "uk"
    assert locale_from_payload("/language_de") is None
    assert locale_from_payload("/language_uk{}") is None


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_detector_never_confidently_mistakes_one_language_for_another(
    detector: LanguageDetector, locale: str
) -> None:
    """On the held-out messages of each language, from a person whose app is in that language: a
    confident detection is the right language.

    Short or ambiguous messages and transliterations go undetected (the app's language is kept); a wrong
    switch would put a person in a language they may not read, so none is allowed. Asking for another
    language ("speak english?") is left out: it is often written in the language wanted.
    """
    data = yaml.safe_load((HELD_OUT / f"{locale}.yml").read_text(encoding="utf-8"))
    texts = [
        line.strip()[2:]
        for block in data["nlu"]
        if block["intent"] != "change_language"
        for line in block["examples"].splitlines()
        if line.strip()
    ]
    detected = [detector.detect(text, hint=locale) for text in texts]
    wrong = [
        (text, found) for text, found in zip(texts, detected, strict=True) if found not in (None, locale)
    ]
    assert wrong == []
    assert sum(found == locale for found in detected) >= 0.5 * len(texts)


@pytest.mark.parametrize(
    "text",
    [
        "më duhet një vend i sigurt për të fjetur",  # with ë
        "me duhet nje avokat falas ne itali",  # without ë and ç, as most people type on a phone
        "jam ne londer dhe me duhet doktor",
    ],
)
def test_albanian_is_detected_with_or_without_its_diacritics(detector: LanguageDetector, text: str) -> None:
    assert choose(None, "en", text, detector) == LocaleChoice("sq", DETECTED)


def test_a_short_albanian_message_keeps_the_apps_language(detector: LanguageDetector) -> None:
    assert choose(None, "en", "cfare te bej tani", detector) == LocaleChoice("en", CLIENT)
    assert choose(LocaleChoice("sq", EXPLICIT), "sq", "ho bisogno di un avvocato gratis", detector) == (
        LocaleChoice("sq", EXPLICIT)
    )


@pytest.mark.parametrize(
    "text",
    [
        "ሓገዝ ደልየ",  # help, I need: two words are enough, no other supported language writes Ge'ez
        "ሎሚ ምሸት ኣበይ ክድቅስ",
        "ሰላም",
        "ወሃብ ስራሕ passport ወሲዱ",  # English words among Ge'ez
        "ሓገዝ፡ደልየ፡ሕጂ።",  # the Ethiopic wordspace and full stop
    ],
)
def test_tigrinya_is_detected_by_its_geez_script(detector: LanguageDetector, text: str) -> None:
    assert choose(None, "en", text, detector) == LocaleChoice("ti", DETECTED)
    assert choose(None, "ar", text, detector) == LocaleChoice("ti", DETECTED)


def test_one_geez_word_in_an_english_sentence_is_not_tigrinya(detector: LanguageDetector) -> None:
    assert choose(None, "en", "I need a free lawyer please, ሰላም", detector) == LocaleChoice("en", DETECTED)


def test_tigrinya_typed_in_latin_letters_switches_nobody(detector: LanguageDetector) -> None:
    # A detector reads "hagez deleye" as Albanian or English: it is left undetected, so nobody is moved.
    assert choose(None, "en", "hagez deleye abey kideqis lomi", detector) == LocaleChoice("en", CLIENT)
    assert choose(None, "en", "selam kemey alekum", detector) == LocaleChoice("en", CLIENT)
    assert choose(None, "ti", "ane tebeqa delye bnexa", detector) == LocaleChoice("ti", CLIENT)
    assert choose(None, "ti", "I need a lawyer, can you help me", detector) == LocaleChoice("ti", CLIENT)
    chosen = LocaleChoice("ti", EXPLICIT)
    assert choose(chosen, "en", "kemey, pasportey wesidom", detector) == chosen


def test_the_detector_builds_lingua_only_for_languages_lingua_knows() -> None:
    detector = LanguageDetector()  # would raise if "ti" were handed to lingua
    assert detector.detect("ሓገዝ ደልየ") == "ti"
    assert LanguageDetector(locales=("en", "es")).detect("ሓገዝ ደልየ ሕጂ") is None


@pytest.mark.parametrize(
    "text",
    [
        "kailangan ko ng lawyer pls",  # Taglish: Tagalog and English in one message
        "san ako pwede matulog tonight",  # text-speak: san = saan
        "kinuha ng amo ang passport ko",
        "nasa italy ako ngayon at kailangan ko ng shelter",
        "di ko alam gagawin ko",
    ],
)
def test_tagalog_and_taglish_are_detected(detector: LanguageDetector, text: str) -> None:
    assert choose(None, "en", text, detector) == LocaleChoice("tl", DETECTED)


def test_english_from_a_person_whose_app_is_in_tagalog_is_code_switching(detector: LanguageDetector) -> None:
    assert choose(None, "tl", "I need a lawyer please", detector) == LocaleChoice("tl", CLIENT)
    assert choose(None, "en", "I need a lawyer please", detector) == LocaleChoice("en", DETECTED)


def test_tagalog_takes_no_share_of_english_or_transliterated_text(detector: LanguageDetector) -> None:
    # Without a Tagalog word, Tagalog's share of the confidence is set aside: English is still English.
    assert choose(None, "es", "my boss took my passport", detector) == LocaleChoice("en", DETECTED)
    # Russian and Arabic typed in Latin letters look like Tagalog to a detector; they switch nobody to it.
    assert choose(None, "en", "drugaya strana", detector) == LocaleChoice("en", CLIENT)
    assert choose(None, "en", "ma3 salama, bektob ba3den", detector) == LocaleChoice("en", CLIENT)
