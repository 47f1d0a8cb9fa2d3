"""Every intent gets reviewed content, in the person's language and for their country, without I/O."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.content import CONTRACT_INTENTS, ContentError, ContentLibrary
from bot.i18n import SUPPORTED_LOCALES
from bot.privacy.ledger import DELETABLE_S
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
MENU_INTENTS = [
    "ask_is_trafficking",
    "immediate_danger",
    "ask_rights",
    "ask_shelter",
    "ask_identification",
    "ask_child_labour",
    "ask_legal_aid",
    "request_human",
    "delete_data",
]
# Every number a survivor may be told to call, text or write, exactly as in the verified content facts.
VERIFIED_CONTACTS = {
    "+1 888 373 7888", "233733", "711", "911", "08000 121 700", "999", "112", "800 290 290",
    "0800 800 678", "527", "1547", "+380 44 284 19 15", "102", "900 10 50 90", "116 000", "116 111",
    "116 016", "+33 1 44 52 88 90", "119", "+48 22 628 01 20", "+48 22 628 99 99", "+31 33 448 11 86",
    "0900 8844", "0800 7000", "0 800 77777",
}  # fmt: skip
FIGURES = {"200"}  # "more than 200 languages": a verified count, not a contact
# A run of digits and spaces, optionally after "+", that is not part of a word, a date or "24/7".
NUMBER = re.compile(r"(?<![\w/.%-])\+?\d[\d ]*\d(?![\w/%+-])|(?<![\w/.%-])\d(?![\w/%+-])")


@pytest.fixture(scope="module")
def library() -> ContentLibrary:
    return ContentLibrary.load(ROOT / "content")


def entry_file(
    entry_id: str, answers: list[str], variants: list[dict[str, Any]], **fields: Any
) -> dict[str, Any]:
    return {
        "id": entry_id,
        "kind": "topic",
        "answers": answers,
        "label": {"en": entry_id},
        **fields,
        "variants": variants,
    }


def variant(jurisdiction: str, **text: str) -> dict[str, Any]:
    return {
        "jurisdiction": jurisdiction,
        "reviewed": "2026-11-23",
        "sources": [{"title": "Council of Europe Convention (CETS No. 197), art. 12"}],
        "text": text,
    }


def write_pack(
    directory: Path, *entries: dict[str, Any], menu: list[str], translations: tuple[dict[str, Any], ...] = ()
) -> Path:
    (directory / "topics").mkdir()
    (directory / "messages").mkdir()
    for entry in entries:
        (directory / "topics" / f"{entry['id']}.yml").write_text(yaml.safe_dump(entry), encoding="utf-8")
    for translation in translations:
        folder = directory / "translations" / translation["locale"]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{translation['entry']}.yml").write_text(yaml.safe_dump(translation), encoding="utf-8")
    (directory / "menu.yml").write_text(yaml.safe_dump({"menu": menu}), encoding="utf-8")
    return directory


def translation(entry: str, locale: str, **text: str) -> dict[str, Any]:
    return {"entry": entry, "locale": locale, "reviewed": "2026-11-23", "label": entry, "text": text}


def first_paragraph(text: str) -> str:
    return text.split("\n\n")[0]


@pytest.fixture
def shelter_pack(tmp_path: Path) -> ContentLibrary:
    shelter = entry_file(
        "shelter",
        ["ask_shelter"],
        [
            variant("international", en="Shelter, anywhere."),
            variant("EU", en="Shelter in the EU."),
            variant("RO", en="Shelter in Romania."),
        ],
        buttons=["ask_legal_aid", "menu"],
    )
    legal_aid = entry_file("legal_aid", ["ask_legal_aid"], [variant("international", en="A lawyer.")])
    fallback = entry_file("fallback", ["nlu_fallback"], [variant("international", en="Sorry?")])
    french = translation("shelter", "fr", international="Un abri, partout.")
    return ContentLibrary.load(
        write_pack(
            tmp_path,
            shelter,
            legal_aid,
            fallback,
            menu=["ask_shelter", "ask_legal_aid"],
            translations=(french,),
        )
    )


def all_english_texts(library: ContentLibrary) -> list[tuple[str, str, str]]:
    entries = [library.entry_for_intent(intent) for intent in sorted(library.intents())]
    by_id = {entry.id: entry for entry in entries if entry is not None}
    return [
        (entry.id, variant.jurisdiction, variant.text["en"])
        for entry in by_id.values()
        for variant in entry.variants
    ]


def test_every_contract_intent_has_an_answer_in_english(library: ContentLibrary) -> None:
    for intent in CONTRACT_INTENTS:
        reply = library.reply_for_intent(intent, "en")
        assert library.entry_for_intent(intent) is not None, intent
        assert reply.text and reply.locale == "en" and not reply.fallback_locale


def test_unknown_intent_gets_the_fallback(library: ContentLibrary) -> None:
    fallback = library.entry_for_intent("nlu_fallback")
    assert fallback is not None
    assert library.reply_for_intent("order_a_pizza", "en").entry_id == fallback.id


def test_country_variant_wins_over_eu_and_international(shelter_pack: ContentLibrary) -> None:
    reply = shelter_pack.reply_for_intent("ask_shelter", "en", "RO")
    assert (reply.jurisdiction, first_paragraph(reply.text)) == ("RO", "Shelter in Romania.")


def test_eu_member_falls_back_to_eu_variant(shelter_pack: ContentLibrary) -> None:
    reply = shelter_pack.reply_for_intent("ask_shelter", "en", "DE")
    assert (reply.jurisdiction, first_paragraph(reply.text)) == ("EU", "Shelter in the EU.")


@pytest.mark.parametrize("country", [None, "NG", "GB", "", "international"])
def test_a_country_without_its_own_or_an_eu_variant_gets_the_international_one(
    shelter_pack: ContentLibrary, country: str | None
) -> None:
    assert shelter_pack.reply_for_intent("ask_shelter", "en", country).jurisdiction == "international"


def test_country_codes_are_read_in_any_case(shelter_pack: ContentLibrary) -> None:
    assert shelter_pack.reply_for_intent("ask_shelter", "en", "ro").jurisdiction == "RO"


def test_missing_locale_falls_back_to_english_under_a_note_in_the_persons_language(
    library: ContentLibrary, shelter_pack: ContentLibrary
) -> None:
    reply = shelter_pack.reply_for_intent("ask_shelter", "uk", "RO")
    note = library.reply_for_intent("greet", "uk")  # the real catalogs: the note comes from Ukrainian's
    assert reply.fallback_locale and reply.locale == "uk"
    assert reply.text.split("\n\n")[1] == "Shelter in Romania."
    assert first_paragraph(reply.text) != "Shelter in Romania." and note.text


def test_a_written_locale_is_used_and_a_regional_one_uses_its_language(shelter_pack: ContentLibrary) -> None:
    reply = shelter_pack.reply_for_intent("ask_shelter", "fr_CA")
    assert (first_paragraph(reply.text), reply.fallback_locale) == ("Un abri, partout.", False)


def test_a_topic_ends_with_its_review_date_as_the_persons_locale_writes_dates(
    library: ContentLibrary,
) -> None:
    assert library.reply_for_intent("ask_shelter", "es").text.endswith("2 de diciembre de 2026.")
    assert library.reply_for_intent("ask_shelter", "en").text.endswith("December 2, 2026.")
    # Tagalog (`tl`) is Filipino (`fil`) for Babel.
    assert library.reply_for_intent("ask_shelter", "tl").text.endswith("Disyembre 2, 2026.")


def test_numbers_and_links_in_arabic_stay_left_to_right(library: ContentLibrary) -> None:
    text = library.reply_for_intent("request_human", "ar", "US").text
    assert "\u2066+1 888 373 7888\u2069" in text


def test_the_language_picker_names_each_language_in_itself(library: ContentLibrary) -> None:
    buttons = library.reply_for_intent("change_language", "en").buttons
    titles = {button.payload: button.title for button in buttons}
    assert titles == {
        "/language_en": "English",
        "/language_es": "Español",
        "/language_fr": "Français",
        "/language_pt": "Português",
        "/language_ro": "Română",
        "/language_ru": "Русский",
        "/language_uk": "Українська",
        "/language_ar": "العربية",
        "/language_sq": "Shqip",
        "/language_vi": "Tiếng Việt",
        "/language_zh": "中文",
        "/language_th": "ไทย",
        "/language_ti": "ትግርኛ",
        "/language_tl": "Tagalog",
    }


def test_menu_buttons_carry_intent_payloads(library: ContentLibrary) -> None:
    menu = library.menu("en")
    assert [button.payload for button in menu] == [f"/{intent}" for intent in MENU_INTENTS]
    titles = [entry.label["en"] for intent in MENU_INTENTS if (entry := library.entry_for_intent(intent))]
    assert [button.title for button in menu] == titles


def test_menu_in_buttons_expands_to_the_menu_without_repeats_or_the_entry_itself(
    shelter_pack: ContentLibrary,
) -> None:
    buttons = shelter_pack.reply_for_intent("ask_shelter", "en").buttons
    assert [button.payload for button in buttons] == ["/ask_legal_aid"]


def test_asking_for_a_person_does_not_offer_a_person_again(library: ContentLibrary) -> None:
    payloads = [button.payload for button in library.reply_for_intent("request_human", "en").buttons]
    assert "/request_human" not in payloads and "/immediate_danger" in payloads


def test_the_welcome_offers_the_menu_and_the_language_picker(library: ContentLibrary) -> None:
    buttons = library.reply_for_intent("greet", "en").buttons
    assert buttons[:-1] == library.menu("en") and buttons[-1].payload == "/change_language"


def test_a_person_in_danger_reads_the_emergency_numbers_first(library: ContentLibrary) -> None:
    first_lines = {
        country: "\n".join(library.reply_for_intent("immediate_danger", "en", country).text.splitlines()[:2])
        for country in (None, "RO", "GB", "US", "UA")
    }
    assert all(number in first_lines[None] for number in ("112", "999", "911"))
    assert "112" in first_lines["RO"] and "999" in first_lines["GB"] and "911" in first_lines["US"]
    assert "112" in first_lines["UA"]


def test_every_number_a_survivor_reads_is_a_verified_one(library: ContentLibrary) -> None:
    for entry_id, jurisdiction, text in all_english_texts(library):
        numbers = {" ".join(found.split()) for found in NUMBER.findall(text)}
        contacts = {number for number in numbers if len(number.replace(" ", "")) >= 3} - FIGURES
        unverified = {
            number for number in contacts - VERIFIED_CONTACTS if not re.fullmatch(r"(19|20)\d\d", number)
        }
        assert unverified == set(), f"{entry_id} ({jurisdiction})"


def test_every_topic_says_it_is_not_legal_advice_and_points_to_legal_aid(library: ContentLibrary) -> None:
    for entry_id, jurisdiction, text in all_english_texts(library):
        entry = library.entry(entry_id)
        if entry.kind == "topic":
            assert "not legal advice" in text, f"{entry_id} ({jurisdiction})"
            assert "ask_legal_aid" in [*entry.buttons, *entry.answers], entry_id


def test_the_privacy_notice_says_what_is_kept_for_how_long_and_who_sees_it(library: ContentLibrary) -> None:
    text = library.reply_for_intent("privacy_question", "en").text
    # The periods are the settings' defaults (README); a helpline that changes them edits the notice.
    defaults = Settings.model_fields
    assert f"{defaults['tracker_retention_h'].default:g} hours" in text
    assert f"{defaults['transcript_retention_days'].default} days" in text
    assert (
        f"chat's ID encrypted, to reply to you. It is deleted {defaults['route_ttl_h'].default:g} hours"
        in text
    )
    assert f"the last {DELETABLE_S // 3600} hours of this chat from your phone" in text  # Telegram's limit
    assert "name, username or phone number" in text
    assert "only the helpline's counsellors" in text


def test_erasing_is_offered_with_a_confirmation_and_a_way_out(library: ContentLibrary) -> None:
    offer = library.reply_for_intent("delete_data", "en")
    assert [button.payload for button in offer.buttons] == ["/erase_confirm", "/erase_cancel"]
    assert "cannot be undone" in offer.text


def test_every_message_fits_comfortably_on_a_phone(library: ContentLibrary) -> None:
    assert max(len(text) for _, _, text in all_english_texts(library)) < 1200


def test_loading_bad_content_names_the_file_and_the_field(tmp_path: Path) -> None:
    typo = entry_file("shelter", ["ask_shelter"], [variant("international", en="Shelter.")], colour="blue")
    fallback = entry_file("fallback", ["nlu_fallback"], [variant("international", en="Sorry?")])
    with pytest.raises(ContentError) as raised:
        ContentLibrary.load(write_pack(tmp_path, typo, fallback, menu=["ask_shelter"]))
    assert (raised.value.file, raised.value.field) == ("topics/shelter.yml", "colour")


def test_loading_refuses_a_pack_without_a_not_understood_answer(tmp_path: Path) -> None:
    shelter = entry_file("shelter", ["ask_shelter"], [variant("international", en="Shelter.")])
    with pytest.raises(ContentError, match="nlu_fallback"):
        ContentLibrary.load(write_pack(tmp_path, shelter, menu=["ask_shelter"]))


def test_loading_refuses_a_button_that_no_entry_answers(tmp_path: Path) -> None:
    shelter = entry_file(
        "shelter", ["nlu_fallback"], [variant("international", en="Shelter.")], buttons=["ask_pizza"]
    )
    with pytest.raises(ContentError, match="ask_pizza"):
        ContentLibrary.load(write_pack(tmp_path, shelter, menu=["nlu_fallback"]))


@pytest.mark.parametrize("intent", ["ask_child_labour", "ask_is_trafficking", "ask_identification"])
def test_the_new_topics_answer_in_every_language_and_are_in_the_menu(
    library: ContentLibrary, intent: str
) -> None:
    for locale in SUPPORTED_LOCALES:
        reply = library.reply_for_intent(intent, locale, "GB")
        assert not reply.fallback_locale, f"{intent} in {locale}"
    assert intent in MENU_INTENTS


def test_no_safe_is_answered_in_every_language_with_the_emergency_number_first(
    library: ContentLibrary,
) -> None:
    for locale in SUPPORTED_LOCALES:
        for country, number in (("GB", "999"), ("RO", "112"), ("US", "911"), (None, "112")):
            reply = library.reply("not_safe", locale, country)
            assert not reply.fallback_locale, locale
            first = re.search(r"\d+", reply.text)
            assert first is not None and first.group() == number, (locale, country, reply.text[:80])
