"""The action server gives Rasa reviewed content: through the NLG endpoint and the emergency action."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
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
    assert "+40 800 800 678" in offer["text"]
    assert "/request_human" in [button["payload"] for button in offer["buttons"]]


def test_an_unknown_action_is_a_404(client: TestClient) -> None:
    action_call = {
        "next_action": "action_nope",
        "sender_id": "x",
        "tracker": {"sender_id": "x", "events": []},
        "domain": {},
    }
    assert client.post("/webhook", json=action_call).status_code == 404
