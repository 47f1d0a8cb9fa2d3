"""The real Rasa server, with the really trained model, answers through the real action server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from bot.content import ContentLibrary
from bot.engine.rasa import REST_WEBHOOK, RasaClient
from tests.stack import Helpline

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def content() -> ContentLibrary:
    return ContentLibrary.load(ROOT / "content")


def ask(helpline: Helpline, sender: str, text: str) -> list[dict[str, object]]:
    response = httpx.post(
        f"{helpline.rasa_url}{REST_WEBHOOK}",
        headers={"Authorization": f"Bearer {helpline.rasa_token}"},
        json={"sender": sender, "message": text, "metadata": {"locale": "en"}},
        timeout=30,
    )
    response.raise_for_status()
    body: list[dict[str, object]] = response.json()
    return body


def test_a_greeting_gets_the_welcome_and_the_menu(helpline: Helpline, content: ContentLibrary) -> None:
    expected = content.reply_for_intent("greet", "en")
    [answer] = ask(helpline, "greeting-person", "hello is anyone there")
    assert answer["text"] == expected.text
    assert [button["payload"] for button in answer["buttons"]] == [b.payload for b in expected.buttons]  # type: ignore[union-attr,index]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("i need somewhere safe to sleep tonight", "ask_shelter"),
        ("how can i get a free lawyer", "ask_legal_aid"),
        ("what rights do i have", "ask_rights"),
        ("/ask_shelter", "ask_shelter"),
    ],
)
def test_questions_get_the_reviewed_topic(
    helpline: Helpline, content: ContentLibrary, text: str, intent: str
) -> None:
    [answer] = ask(helpline, f"asker-{intent}-{len(text)}", text)
    assert answer["text"] == content.reply_for_intent(intent, "en").text


@pytest.mark.parametrize("text", ["he is coming back and i am scared he will hurt me", "danger"])
def test_a_person_in_danger_gets_the_emergency_answer(
    helpline: Helpline, content: ContentLibrary, text: str
) -> None:
    answer, offer = ask(helpline, f"danger-person-{len(text)}", text)
    assert answer["text"] == content.reply_for_intent("immediate_danger", "en").text
    assert offer["text"] == content.reply("danger_next", "en").text


def test_something_unrelated_gets_the_out_of_scope_answer(
    helpline: Helpline, content: ContentLibrary
) -> None:
    [answer] = ask(helpline, "weather-person", "what's the weather tomorrow")
    assert answer["text"] == content.reply_for_intent("out_of_scope", "en").text


def test_gibberish_gets_the_not_understood_answer(helpline: Helpline, content: ContentLibrary) -> None:
    [answer] = ask(helpline, "gibberish-person", "qqqq zzzz xkcd vvvv")
    allowed = {
        content.reply_for_intent("nlu_fallback", "en").text,
        content.reply_for_intent("out_of_scope", "en").text,
    }
    assert answer["text"] in allowed


def test_rasa_sdk_3_21_serves_actions_to_the_rasa_3_6_21_server(helpline: Helpline) -> None:
    """The app's current rasa-sdk and the engine's Rasa 3.6.21 speak the same action protocol."""
    version = httpx.get(f"{helpline.rasa_url}/version", timeout=10).json()
    assert version["version"] == "3.6.21"
    from importlib.metadata import version as installed

    assert installed("rasa-sdk").startswith("3.21")
    assert httpx.get(f"{helpline.actions_url}/health", timeout=10).json()["status"] == "ok"
    answer, offer = ask(helpline, "sdk-check", "/immediate_danger")  # answered by the custom action
    assert answer["text"] and answer["buttons"] and offer["buttons"]


def test_rasa_api_refuses_requests_without_the_token(helpline: Helpline) -> None:
    assert httpx.get(f"{helpline.rasa_url}/status", timeout=10).status_code == 401
    assert (
        httpx.get(
            f"{helpline.rasa_url}/status", params={"token": helpline.rasa_token}, timeout=10
        ).status_code
        == 200
    )


async def test_the_client_pins_and_answers_concurrent_conversations(helpline: Helpline) -> None:
    client = RasaClient([helpline.rasa_url], helpline.rasa_token, timeout_s=30)
    try:
        assert await client.ready()
        answers = await asyncio.gather(
            *(client.send(f"{n:064x}", "/ask_shelter", {"locale": "en"}) for n in range(16))
        )
    finally:
        await client.aclose()
    assert all(len(replies) == 1 and replies[0].text for replies in answers)


async def test_the_last_topic_is_read_back_from_rasas_tracker_for_a_follow_up(helpline: Helpline) -> None:
    client = RasaClient([helpline.rasa_url], helpline.rasa_token, timeout_s=30)
    person, skipping = f"{7_719:064x}", {"greet", "thank", "change_country"}
    try:
        assert await client.last_topic(person, skipping) is None
        await client.send(person, "/ask_legal_aid", {"locale": "en", "country": "ES"})
        await client.send(person, "/thank", {"locale": "en", "country": "ES"})
        assert await client.last_topic(person, skipping) == "ask_legal_aid"
    finally:
        await client.aclose()
