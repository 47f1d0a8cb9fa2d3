"""SMS without buttons and at a price: Twilio's signature, segments, numbered menus, keywords, long texts."""

from __future__ import annotations

import pytest

from bot.channels.sms_segments import count_segments
from bot.channels.sms_text import bodies, choice, keyword, numbered, plain
from bot.channels.twilio import signature, signature_valid
from bot.commands.sms_report import segment_table, sms_text
from bot.content import ContentLibrary
from bot.i18n import SUPPORTED_LOCALES
from bot.messages import Button
from tests.fakes.twilio_api import twilio_signature
from tests.stack import ROOT

# Twilio's documented example (its security docs and every official library's RequestValidator test).
DOC_TOKEN = "12345"
DOC_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
DOC_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
DOC_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_the_signature_of_twilios_documented_example() -> None:
    assert signature(DOC_TOKEN, DOC_URL, DOC_PARAMS.items()) == DOC_SIGNATURE
    assert signature_valid(DOC_TOKEN, DOC_URL, list(DOC_PARAMS.items())[::-1], DOC_SIGNATURE)


def test_the_fake_twilio_signs_as_twilio_does() -> None:
    assert twilio_signature(DOC_TOKEN, DOC_URL, DOC_PARAMS) == DOC_SIGNATURE


@pytest.mark.parametrize(
    ("token", "url", "params", "given"),
    [
        ("other-token", DOC_URL, DOC_PARAMS, DOC_SIGNATURE),
        (DOC_TOKEN, DOC_URL + "&baz=3", DOC_PARAMS, DOC_SIGNATURE),
        (DOC_TOKEN, DOC_URL, {**DOC_PARAMS, "Digits": "9999"}, DOC_SIGNATURE),
        (DOC_TOKEN, DOC_URL, {**DOC_PARAMS, "Body": "added"}, DOC_SIGNATURE),
        (DOC_TOKEN, DOC_URL, DOC_PARAMS, ""),
        (DOC_TOKEN, DOC_URL, DOC_PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8"),
        (DOC_TOKEN, DOC_URL, DOC_PARAMS, "ünicode≠"),
    ],
)
def test_anything_changed_or_forged_fails_the_signature(
    token: str, url: str, params: dict[str, str], given: str
) -> None:
    assert not signature_valid(token, url, params.items(), given)


def test_plain_text_is_gsm7_160_in_one_segment_153_per_part() -> None:
    assert count_segments("a" * 160).segments == 1
    assert count_segments("a" * 161).segments == 2
    assert count_segments("a" * 306).segments == 2
    assert count_segments("a" * 307).segments == 3
    assert count_segments("Hola, ¿qué pasa? Ñoño").encoding == "GSM-7"
    assert count_segments("Hola, ¿qué pasa? Ñandú").encoding == "UCS-2"  # ú is not in GSM-7, é is


def test_extension_characters_count_twice_and_are_never_split() -> None:
    euro = count_segments("€" * 80)
    assert (euro.encoding, euro.units, euro.segments) == ("GSM-7", 160, 1)
    assert count_segments("[" + "a" * 159).segments == 2  # 161 septets
    # 152 septets, then an escape pair that would straddle the 153rd: it starts the next segment.
    assert count_segments("a" * 152 + "]" + "a" * 10).segments == 2
    assert count_segments("a" * 152 + "]" + "a" * 152).segments == 3


def test_any_other_character_makes_it_ucs2_70_in_one_segment_67_per_part() -> None:
    assert count_segments("Привет" + "a" * 64).segments == 1
    russian = count_segments("П" * 71)
    assert (russian.encoding, russian.segments) == ("UCS-2", 2)
    assert count_segments("ș" * 134).segments == 2  # Romanian comma-below letters are not GSM-7
    assert count_segments("ș" * 135).segments == 3
    assert count_segments("👋" * 35).units == 70  # an emoji is two UTF-16 units


def test_a_menu_becomes_numbered_options_and_a_number_picks_its_payload() -> None:
    buttons = (Button("Shelter", "/ask_shelter"), Button("Legal help", "/ask_legal_aid"))
    menu = numbered("How can I help?", buttons, "Reply with a number:")
    assert menu.text == "How can I help?\n\nReply with a number:\n1 Shelter\n2 Legal help"
    assert menu.payloads == ("/ask_shelter", "/ask_legal_aid")
    assert choice("2", menu.payloads) == "/ask_legal_aid"
    assert choice(" 1. ", menu.payloads) == "/ask_shelter"
    assert choice("3", menu.payloads) is None
    assert choice("0", menu.payloads) is None
    assert choice("1 more thing", menu.payloads) is None
    assert choice("1", ()) is None


def test_numbers_continue_across_the_replies_of_one_turn() -> None:
    second = numbered("Or:", (Button("Stop waiting", "/handoff_cancel"),), "Reply with a number:", first=3)
    assert second.text.endswith("\n3 Stop waiting")


def test_a_reply_without_buttons_stays_as_it_is() -> None:
    assert numbered("Done.", (), "Reply with a number:").text == "Done."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("STOP", "stop"),
        ("stop", "stop"),
        (" Unsubscribe ", "stop"),
        ("STOPALL", "stop"),
        ("cancel", "stop"),
        ("End.", "stop"),
        ("quit", "stop"),
        ("START", "start"),
        ("unstop", "start"),
        ("HELP", "help"),
        ("info", "help"),
        ("erase", "erase"),
        ("DELETE", "erase"),
        ("yes", None),  # an answer, unless the person has opted out
        ("please stop texting me", None),
        ("help me", None),
    ],
)
def test_keywords_are_whole_messages(text: str, expected: str | None) -> None:
    assert keyword(text) == expected


def test_yes_restarts_only_after_stop() -> None:
    assert keyword("YES", opted_out=True) == "start"
    assert keyword("YES", opted_out=False) is None


def test_a_text_over_twilios_limit_goes_as_several_bodies_cut_between_paragraphs() -> None:
    paragraphs = ["x" * 900, "y" * 900, "z" * 100]
    parts = bodies("\n\n".join(paragraphs))
    assert parts == ["x" * 900, "y" * 900 + "\n\n" + "z" * 100]
    assert all(len(part) <= 1600 for part in bodies("w" * 4000))
    assert "".join(bodies("w" * 4000)) == "w" * 4000
    assert bodies("short") == ["short"]


def test_typographic_punctuation_goes_as_its_gsm7_twin_and_pictographs_are_left_out() -> None:
    assert plain("It’s “safe” – really…\u00a0• yes") == 'It\'s "safe" - really... - yes'
    assert plain("🇷🇴 Romania\n🌐 Language") == "Romania\nLanguage"
    assert plain("Întrebare în română") == "Întrebare în română"  # letters are the language's: kept
    assert count_segments(plain("It’s " + "a" * 150)).encoding == "GSM-7"


def test_every_sms_body_is_plain() -> None:
    assert bodies("“1” 🇷🇴 Romania") == ['"1" Romania']


def test_the_segment_report_counts_every_entry_in_every_language() -> None:
    library = ContentLibrary.load(ROOT / "content")
    table = segment_table(library, ["sms_help", "shelter"], SUPPORTED_LOCALES, "RO")
    assert table[0] == "| entry | " + " | ".join(SUPPORTED_LOCALES) + " |"
    help_row = table[2].split("|")[2:-1]
    assert help_row[0].strip() == "1"  # English HELP fits one GSM-7 segment
    assert all(cell.strip().rstrip("u").isdigit() for row in table[2:] for cell in row.split("|")[2:-1])
    assert count_segments(sms_text(library, "sms_help", "ru", None)).encoding == "UCS-2"


def test_vanishing_mode_is_never_offered_on_sms() -> None:
    from bot.channels.sms import _offered

    buttons = (Button("Erase", "/delete_data"), Button("Disappearing messages", "/vanish_menu"))
    assert _offered(buttons) == (Button("Erase", "/delete_data"),)
