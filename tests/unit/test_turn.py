"""The action server reads intent, language and country from the turn, and distrusts odd values."""

from bot.actions.turn import turn_from_message


def test_intent_locale_and_country_come_from_the_message() -> None:
    turn = turn_from_message(
        {"intent": {"name": "ask_shelter"}, "metadata": {"locale": "en", "country": "ro"}}
    )
    assert (turn.intent, turn.locale, turn.country) == ("ask_shelter", "en", "RO")


def test_an_unsupported_locale_becomes_english() -> None:
    assert turn_from_message({"intent": {"name": "greet"}, "metadata": {"locale": "xx"}}).locale == "en"


def test_a_malformed_country_is_ignored() -> None:
    assert (
        turn_from_message({"intent": {"name": "greet"}, "metadata": {"country": "Romania"}}).country is None
    )


def test_a_message_without_intent_is_treated_as_not_understood() -> None:
    assert turn_from_message(None).intent == "nlu_fallback"
