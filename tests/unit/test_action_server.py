"""The action server gives Rasa reviewed content: through the NLG endpoint and the emergency action."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from bot.actions.server import create_action_server
from bot.content import ContentLibrary

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def content() -> ContentLibrary:
    return ContentLibrary.load(ROOT / "content")


@pytest.fixture(scope="module")
def client(content: ContentLibrary) -> TestClient:
    return TestClient(create_action_server(content, ROOT / "content" / "locale"))


def nlg_request(
    intent: str, metadata: dict[str, Any] | None = None, response: str = "utter_answer"
) -> dict[str, Any]:
    latest = {"intent": {"name": intent, "confidence": 0.9}, "text": "...", "metadata": metadata or {}}
    return {"response": response, "arguments": {}, "tracker": {"sender_id": "x", "latest_message": latest}}


def test_the_answer_is_the_content_entry_for_the_turns_intent(
    client: TestClient, content: ContentLibrary
) -> None:
    body = client.post("/nlg", json=nlg_request("ask_shelter", {"locale": "en"})).json()
    expected = content.reply_for_intent("ask_shelter", "en")
    assert body["text"] == expected.text
    assert body["buttons"] == [{"title": b.title, "payload": b.payload} for b in expected.buttons]


def text_of(message: dict[str, Any]) -> str:
    """The text of a message Rasa passes on: plain, or whole inside `custom` (a reply without buttons)."""
    return str(message["custom"]["text"] if "custom" in message else message["text"])


def test_the_country_from_metadata_chooses_the_variant(client: TestClient, content: ContentLibrary) -> None:
    body = client.post("/nlg", json=nlg_request("immediate_danger", {"locale": "en", "country": "us"})).json()
    assert text_of(body) == content.reply_for_intent("immediate_danger", "en", "US").text


def test_a_reply_of_several_paragraphs_without_buttons_stays_one_message(client: TestClient) -> None:
    """Rasa splits a plain text message at blank lines; the same reply sent as `custom` is not split."""
    body = client.post("/nlg", json=nlg_request("immediate_danger", {"locale": "en", "country": "US"})).json()
    assert "text" not in body and "\n\n" in body["custom"]["text"]


def test_an_unknown_intent_gets_the_not_understood_answer(
    client: TestClient, content: ContentLibrary
) -> None:
    body = client.post("/nlg", json=nlg_request("no_such_intent")).json()
    assert body["text"] == content.reply_for_intent("nlu_fallback", "en").text


def test_a_broken_request_is_refused_without_a_crash(client: TestClient) -> None:
    assert client.post("/nlg", content=b"{not json").status_code == 400
    assert client.post("/webhook", content=b"{not json").status_code == 400


def test_the_emergency_action_gives_the_emergency_number_first_then_offers_a_person(
    client: TestClient, content: ContentLibrary
) -> None:
    action_call = {
        "next_action": "action_emergency",
        "sender_id": "x",
        "version": "3.6.21",
        "tracker": {
            "sender_id": "x",
            "slots": {},
            "latest_message": {
                "intent": {"name": "immediate_danger"},
                "metadata": {"locale": "uk", "country": "RO"},
            },
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
        "domain": {},
    }
    body = client.post("/webhook", json=action_call).json()
    emergency, offer = body["responses"]
    assert text_of(emergency) == content.reply_for_intent("immediate_danger", "uk", "RO").text
    assert text_of(emergency).startswith("Телефонуйте 112")
    assert offer["text"] == content.reply("danger_next", "uk", "RO").text
    assert "0800 800 678" in offer["text"]  # as the source and every text write it
    assert "/request_human" in [button["payload"] for button in offer["buttons"]]


def test_an_unknown_action_is_a_404(client: TestClient) -> None:
    action_call = {
        "next_action": "action_nope",
        "sender_id": "x",
        "tracker": {"sender_id": "x", "events": []},
        "domain": {},
    }
    assert client.post("/webhook", json=action_call).status_code == 404


def test_no_after_the_welcome_is_answered_with_the_emergency_number_of_the_persons_country(
    client: TestClient, content: ContentLibrary
) -> None:
    """Rasa's rule answers "No" to "Are you somewhere safe to talk?" with `utter_not_safe`."""
    request = nlg_request("deny", {"locale": "en", "country": "GB"}, response="utter_not_safe")
    body = client.post("/nlg", json=request).json()
    assert text_of(body) == content.reply("not_safe", "en", "GB").text
    assert text_of(body).index("999") < text_of(body).index("rase")  # the number first, then erasing


def test_every_response_the_domain_declares_is_served_by_a_content_entry(content: ContentLibrary) -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    for response in domain["responses"]:
        if response != "utter_answer":
            assert content.reply(response.removeprefix("utter_"), "en").text, response


def test_when_danger_came_close_the_answer_starts_with_the_emergency_number(
    client: TestClient, content: ContentLibrary
) -> None:
    """The model chose "describe the situation", but gave "immediate danger" a real chance."""
    request = nlg_request("describe_situation", {"locale": "ro", "country": "RO"})
    request["tracker"]["latest_message"]["intent_ranking"] = [
        {"name": "describe_situation", "confidence": 0.61},
        {"name": "immediate_danger", "confidence": 0.33},
    ]
    body = client.post("/nlg", json=request).json()
    danger = content.reply_for_intent("immediate_danger", "ro", "RO").text
    answer = content.reply_for_intent("describe_situation", "ro", "RO").text
    assert text_of(body) == f"{danger}\n\n{answer}"


def test_a_faint_chance_of_danger_leaves_the_answer_as_it_is(
    client: TestClient, content: ContentLibrary
) -> None:
    request = nlg_request("ask_shelter", {"locale": "en"})
    request["tracker"]["latest_message"]["intent_ranking"] = [
        {"name": "ask_shelter", "confidence": 0.95},
        {"name": "immediate_danger", "confidence": 0.02},
    ]
    assert (
        text_of(client.post("/nlg", json=request).json())
        == content.reply_for_intent("ask_shelter", "en").text
    )


def test_a_request_rasa_would_never_send_is_refused_not_a_server_error(client: TestClient) -> None:
    """Found by bench/fuzz.py: JSON of the wrong shape, or a response with no content entry, gave a 500."""
    odd = [
        {"response": "utter_answer", "tracker": {"latest_message": "not a message"}},
        {"response": "utter_no_such_entry", "tracker": {}},
        {"response": "utter_answer", "tracker": {"latest_message": {"intent": ["a list"]}}},
    ]
    for body in odd:
        assert client.post("/nlg", json=body).status_code == 400
    odd_calls = [
        [1, 2],
        "text",
        {"next_action": "action_emergency", "tracker": "a string"},
        {"next_action": {"a": 1}, "tracker": {}},
        {"next_action": "action_\ud800", "tracker": {}},
    ]
    for body in odd_calls:
        assert client.post("/webhook", content=json.dumps(body)).status_code == 400


def test_a_follow_up_says_what_it_asks_first_then_the_topic_for_the_country(
    client: TestClient, content: ContentLibrary
) -> None:
    """ "and if I have no papers?" after the shelter answer in Italy (bot/conversation/country_turn.py)."""
    request = nlg_request("ask_shelter", {"locale": "es", "country": "IT", "follow_up": ["no_papers"]})
    body = client.post("/nlg", json=request).json()
    note = content.reply("follow_up_no_papers", "es", "IT").text
    answer = content.reply_for_intent("ask_shelter", "es", "IT")
    assert text_of(body) == f"{note}\n\n{answer.text}"
    assert "800 290 290" in text_of(body)  # Italy's number is kept
    payloads = [button["payload"] for button in body["buttons"]]
    assert payloads[0] == "/ask_residence_permit"  # the note's button first, then the topic's
    assert payloads[1:] == [button.payload for button in answer.buttons]


def test_the_how_note_names_the_topic_in_the_persons_language(client: TestClient) -> None:
    request = nlg_request("ask_legal_aid", {"locale": "ar", "country": "US", "follow_up": ["how"]})
    text = text_of(client.post("/nlg", json=request).json())
    assert "{topic}" not in text
    assert "مساعدة قانونية مجانية" in text.split("\n\n")[0]  # the legal-aid label, in Arabic


def test_an_unknown_follow_up_or_one_after_a_message_is_not_said(
    client: TestClient, content: ContentLibrary
) -> None:
    request = nlg_request("ask_shelter", {"locale": "en", "follow_up": ["anything"]})
    assert (
        text_of(client.post("/nlg", json=request).json())
        == content.reply_for_intent("ask_shelter", "en").text
    )
    request = nlg_request("greet", {"locale": "en", "follow_up": ["how"]})
    assert text_of(client.post("/nlg", json=request).json()) == content.reply_for_intent("greet", "en").text


def test_by_sms_a_follow_up_says_the_short_note_before_the_short_answer(
    client: TestClient, content: ContentLibrary
) -> None:
    """Each text costs money: `follow_up_<kind>_sms` and `<topic>_sms`, not the full words."""
    request = nlg_request(
        "ask_shelter", {"locale": "ru", "country": "IT", "follow_up": ["no_papers"], "channel": "sms"}
    )
    note = content.reply("follow_up_no_papers", "ru", "IT", "sms")
    answer = content.reply_for_intent("ask_shelter", "ru", "IT", "sms")
    assert note.entry_id == "follow_up_no_papers_sms"
    assert text_of(client.post("/nlg", json=request).json()) == f"{note.text}\n\n{answer.text}"
