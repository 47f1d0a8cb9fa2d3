"""The web chat's page and WebSocket protocol, over an in-test conversation core (no services)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from starlette.applications import Starlette
from starlette.testclient import TestClient
from starlette.testclient import WebSocketTestSession as Socket

from bot.channels.webchat import webchat_routes
from bot.channels.webchat_protocol import MAX_TEXT_CHARS, parse_frame
from bot.messages import Button, Channel, IncomingMessage, Reply
from bot.privacy.pseudonym import pseudonym_for
from bot.settings import Settings
from bot.web.headers import CONTENT_SECURITY_POLICY

SECRET = b"test-secret"
QUICK_EXIT_URL = "https://example.org/weather?city=lisbon&units=c"
MENU = (Button("Find a safe place", "/ask_shelter"), Button("Talk to a person", "/handoff"))
TOO_LONG = "That message is too long. Please send it in shorter parts."
NOT_UNDERSTOOD = "Sorry, I could not read that message. Please try again."
SOMETHING_WENT_WRONG = "Sorry, something went wrong on our side. Please try again in a moment."


class RecordingCore:
    """Answers like the conversation core would, and remembers what it was asked."""

    def __init__(self) -> None:
        self.received: list[IncomingMessage] = []
        self.chosen: dict[str, str] = {}

    async def locale_for(self, pseudonym: str, channel: Channel, hint: str) -> str:
        return self.chosen.get(pseudonym, hint)

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        self.received.append(message)
        if message.text == "/language_ar":
            self.chosen[message.pseudonym] = "ar"
            return [Reply("مرحبا", locale="ar")]
        if message.text == "crash":
            raise RuntimeError(f"the engine choked on {message.text!r}")
        if message.text == "slow":
            await asyncio.sleep(0.2)
        if message.text == "hi":
            return [Reply("Hello.\nHow can I help?"), Reply("Choose one:", MENU)]
        return [Reply(f"You said: {message.text}")]


@pytest.fixture
def core() -> RecordingCore:
    return RecordingCore()


@pytest.fixture
def client(core: RecordingCore, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(content_dir=tmp_path, quick_exit_url=QUICK_EXIT_URL)
    app = Starlette(routes=webchat_routes(core, settings, SECRET, locales=("en", "ar")))
    with TestClient(app) as client:
        yield client


def hello(socket: Socket, session: str | None = None, languages: list[str] | None = None) -> dict[str, str]:
    socket.send_json({"type": "hello", "session": session, "languages": languages or ["en-GB", "en"]})
    ready: dict[str, str] = socket.receive_json()
    assert ready["type"] == "ready"
    return ready


def say(socket: Socket, text: str, id: str = "m1") -> None:
    socket.send_json({"type": "message", "id": id, "text": text})


def ack(id: str) -> dict[str, str]:
    return {"type": "ack", "id": id}


# The page


def test_the_page_is_neutral_and_locked_down(client: TestClient) -> None:
    response = client.get("/chat", headers={"Accept-Language": "en-US,en;q=0.8"})
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "default-src 'none'" in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    assert '<html lang="en" dir="ltr">' in html
    assert '<title data-text="title">Chat</title>' in html


def test_the_page_has_no_inline_code_and_nothing_from_other_hosts(client: TestClient) -> None:
    html = client.get("/chat").text
    assert "<script>" not in html and "<style" not in html and " style=" not in html
    assert " on" + "click=" not in html
    assert 'src="/static/chat.js"' in html and 'href="/static/chat.css"' in html
    external = [part for part in html.split('"') if part.startswith(("http:", "https:", "//"))]
    assert set(external) == {QUICK_EXIT_URL.replace("&", "&amp;")}, "only the quick exit leaves the site"


def test_the_page_carries_the_quick_exit_url_and_its_stable_ids(client: TestClient) -> None:
    html = client.get("/chat").text
    assert f'data-quick-exit-url="{QUICK_EXIT_URL.replace("&", "&amp;")}"' in html
    for element_id in ("log", "message-input", "send", "quick-exit"):
        assert f'id="{element_id}"' in html
    assert 'role="log"' in html and 'aria-live="polite"' in html
    assert '<label for="message-input"' in html
    assert "Quick exit hides this page. It does not erase your browser history." in html


def test_the_page_speaks_the_browsers_language_and_direction(client: TestClient) -> None:
    html = client.get("/chat", headers={"Accept-Language": "ar-EG,ar;q=0.9,en;q=0.5"}).text
    assert '<html lang="ar" dir="rtl">' in html


def test_an_unsupported_language_falls_back_to_the_default(client: TestClient) -> None:
    html = client.get("/chat", headers={"Accept-Language": "xx-YY"}).text
    assert '<html lang="en" dir="ltr">' in html


def test_static_files_are_served_without_caching(client: TestClient) -> None:
    script = client.get("/static/chat.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert script.headers["x-content-type-options"] == "nosniff"
    assert script.headers["cache-control"] == "no-store"
    assert client.get("/static/chat.css").status_code == 200


# Starting a conversation


def test_hello_without_a_session_gets_a_new_random_one(client: TestClient) -> None:
    with client.websocket_connect("/chat/ws") as socket:
        first = hello(socket)
    with client.websocket_connect("/chat/ws") as socket:
        second = hello(socket)
    assert (first["type"], first["locale"], first["dir"]) == ("ready", "en", "ltr")
    assert len(first["session"]) == 43
    assert first["session"] != second["session"]


def test_hello_with_a_session_keeps_it_and_the_same_pseudonym(
    client: TestClient, core: RecordingCore
) -> None:
    with client.websocket_connect("/chat/ws") as socket:
        session = hello(socket)["session"]
        say(socket, "hi")
        socket.receive_json()
        socket.receive_json()
    with client.websocket_connect("/chat/ws") as socket:
        assert hello(socket, session)["session"] == session
        say(socket, "again")
        socket.receive_json()
    expected = pseudonym_for(Channel.WEBCHAT, session, SECRET)
    assert [message.pseudonym for message in core.received] == [expected, expected]
    assert all(message.channel is Channel.WEBCHAT for message in core.received)


@pytest.mark.parametrize("forged", ["short", "x" * 43 + "!", "a" * 44, "../../etc/passwd" + "a" * 27, 12345])
def test_an_invalid_session_is_replaced_by_a_new_one(client: TestClient, forged: object) -> None:
    with client.websocket_connect("/chat/ws") as socket:
        socket.send_json({"type": "hello", "session": forged, "languages": ["en"]})
        ready = socket.receive_json()
    assert ready["type"] == "ready"
    assert ready["session"] != forged and len(ready["session"]) == 43


def test_the_conversation_uses_the_browsers_languages(client: TestClient, core: RecordingCore) -> None:
    with client.websocket_connect("/chat/ws") as socket:
        ready = hello(socket, languages=["fr-FR", "ar-SA", "en"])
        say(socket, "مرحبا")
        socket.receive_json()
    assert (ready["locale"], ready["dir"]) == ("ar", "rtl")
    assert core.received[0].locale == "ar"


def test_without_usable_languages_the_accept_language_header_decides(client: TestClient) -> None:
    with client.websocket_connect("/chat/ws", headers={"Accept-Language": "ar"}) as socket:
        socket.send_json({"type": "hello", "session": None, "languages": "not a list"})
        assert socket.receive_json()["locale"] == "ar"


# Talking


def test_choosing_another_language_switches_the_page_and_its_direction(client: TestClient) -> None:
    with client.websocket_connect("/chat/ws") as socket:
        ready = hello(socket, languages=["en"])
        say(socket, "/language_ar", id="pick")
        interface, reply = socket.receive_json(), socket.receive_json()
        session = ready["session"]
    with client.websocket_connect("/chat/ws") as socket:
        again = hello(socket, session=session, languages=["en"])
    assert (ready["locale"], ready["dir"], ready["text"]["send"]) == ("en", "ltr", "Send")  # type: ignore[index]
    assert (interface["type"], interface["locale"], interface["dir"]) == ("interface", "ar", "rtl")
    assert set(interface["text"]) == set(ready["text"])
    assert (reply["type"], reply["text"], reply["locale"], reply["dir"]) == ("reply", "مرحبا", "ar", "rtl")
    assert (again["locale"], again["dir"]) == ("ar", "rtl"), "a reconnect keeps the chosen language"


def test_each_reply_answers_the_message_with_its_buttons(client: TestClient, core: RecordingCore) -> None:
    with client.websocket_connect("/chat/ws") as socket:
        hello(socket)
        say(socket, "  hi  ", id="first")
        replies = [socket.receive_json(), socket.receive_json()]
    assert replies == [
        {"type": "reply", "reply_to": "first", "text": "Hello.\nHow can I help?", "buttons": []},
        {
            "type": "reply",
            "reply_to": "first",
            "text": "Choose one:",
            "buttons": [
                {"title": "Find a safe place", "payload": "/ask_shelter"},
                {"title": "Talk to a person", "payload": "/handoff"},
            ],
        },
    ]
    assert core.received[0].text == "hi"


def test_a_button_payload_is_sent_like_typed_text(client: TestClient, core: RecordingCore) -> None:
    with client.websocket_connect("/chat/ws") as socket:
        hello(socket)
        say(socket, "/ask_shelter", id="b1")
        assert socket.receive_json()["reply_to"] == "b1"
    assert core.received[0].text == "/ask_shelter"


def test_empty_messages_are_acknowledged_without_an_answer(client: TestClient, core: RecordingCore) -> None:
    with client.websocket_connect("/chat/ws") as socket:
        hello(socket)
        say(socket, "", id="empty")
        say(socket, " \n\t ", id="blank")
        say(socket, "hello", id="real")
        assert [socket.receive_json() for _ in range(2)] == [ack("empty"), ack("blank")]
        assert socket.receive_json()["reply_to"] == "real"
        assert socket.receive_json() == ack("real")
    assert [message.text for message in core.received] == ["hello"]


def test_messages_of_one_socket_are_answered_in_order(client: TestClient) -> None:
    with client.websocket_connect("/chat/ws") as socket:
        hello(socket)
        say(socket, "slow", id="1")
        say(socket, "fast", id="2")
        say(socket, "faster", id="3")
        frames = [socket.receive_json() for _ in range(6)]
    assert [(frame["type"], frame.get("reply_to", frame.get("id"))) for frame in frames] == [
        ("reply", "1"),
        ("ack", "1"),
        ("reply", "2"),
        ("ack", "2"),
        ("reply", "3"),
        ("ack", "3"),
    ]


# Mistakes and failures: a kind error, and the socket stays open


def test_a_message_too_long_gets_a_kind_error(client: TestClient, core: RecordingCore) -> None:
    with client.websocket_connect("/chat/ws") as socket:
        hello(socket)
        say(socket, "x" * (MAX_TEXT_CHARS + 1), id="long")
        assert socket.receive_json() == {"type": "error", "reply_to": "long", "text": TOO_LONG}
        say(socket, "x" * MAX_TEXT_CHARS, id="ok")
        assert socket.receive_json()["type"] == "reply"
    assert len(core.received) == 1


@pytest.mark.parametrize(
    "frame",
    ["{not json", "[1, 2]", '"hello"', "null", json.dumps({"type": "typing", "id": "t1"})],
)
def test_unreadable_frames_get_a_kind_error_and_the_socket_stays_open(client: TestClient, frame: str) -> None:
    with client.websocket_connect("/chat/ws") as socket:
        hello(socket)
        socket.send_text(frame)
        error = socket.receive_json()
        assert error["type"] == "error" and error["text"] == NOT_UNDERSTOOD
        assert error["reply_to"] == ("t1" if "typing" in frame else None)
        say(socket, "still there?")
        assert socket.receive_json()["type"] == "reply"


def test_a_binary_frame_gets_a_kind_error(client: TestClient) -> None:
    with client.websocket_connect("/chat/ws") as socket:
        hello(socket)
        socket.send_bytes(b"\x00\x01")
        assert socket.receive_json() == {"type": "error", "reply_to": None, "text": NOT_UNDERSTOOD}


def test_a_message_before_hello_is_refused_until_hello(client: TestClient, core: RecordingCore) -> None:
    with client.websocket_connect("/chat/ws") as socket:
        say(socket, "hi", id="early")
        assert socket.receive_json() == {"type": "error", "reply_to": "early", "text": NOT_UNDERSTOOD}
        hello(socket)
        say(socket, "hi", id="late")
        assert socket.receive_json()["reply_to"] == "late"
    assert len(core.received) == 1


def test_a_failing_core_gets_a_kind_error_and_logs_no_text(client: TestClient) -> None:
    with structlog.testing.capture_logs() as logs, client.websocket_connect("/chat/ws") as socket:
        session = hello(socket)["session"]
        say(socket, "crash", id="c1")
        assert socket.receive_json() == {"type": "error", "reply_to": "c1", "text": SOMETHING_WENT_WRONG}
        say(socket, "after", id="c2")
        assert socket.receive_json()["type"] == "reply"
    failures = [entry for entry in logs if entry["event"] == "webchat_turn_failed"]
    assert failures == [{"event": "webchat_turn_failed", "error": "RuntimeError", "log_level": "error"}]
    assert "crash" not in repr(logs)
    assert session not in repr(logs)


def test_the_session_token_and_the_text_are_never_logged(client: TestClient) -> None:
    with structlog.testing.capture_logs() as logs, client.websocket_connect("/chat/ws") as socket:
        session = hello(socket)["session"]
        say(socket, "my name is Maria", id="n1")
        socket.receive_json()
        say(socket, "x" * (MAX_TEXT_CHARS + 1), id="n2")
        socket.receive_json()
    assert logs, "the events themselves are logged"
    assert session not in repr(logs)
    assert "Maria" not in repr(logs)


# Parsing, without a socket


def test_parsing_never_raises_on_hostile_frames() -> None:
    hostile = ["[" * 20_000, "{" * 10, "\ud800", json.dumps({"type": None}), "x" * 10**6]
    for raw in hostile:
        assert parse_frame(raw).__class__.__name__ == "Rejected"


def test_languages_are_filtered_to_plausible_tags() -> None:
    frame = parse_frame(json.dumps({"type": "hello", "languages": ["en-US", 7, "<script>", "ar", "x" * 99]}))
    assert getattr(frame, "languages", None) == ("en-US", "ar")


def test_a_lone_surrogate_in_a_frame_gets_an_answer_and_keeps_the_socket(
    client: TestClient, core: RecordingCore
) -> None:
    """JSON may escape half an emoji (a browser's JSON.stringify does, for a cut-off paste); UTF-8 cannot
    carry it back. Echoed in `reply_to`, it broke the reply and closed the socket with an internal error
    (1011)."""
    with client.websocket_connect("/chat/ws") as socket:
        hello(socket)
        socket.send_text('{"type": "message", "id": "\\ud83d", "text": "hi \\ud83d there"}')
        answer = socket.receive_json()
        expected = {"type": "reply", "reply_to": None, "text": "You said: hi \ufffd there", "buttons": []}
        assert answer == expected
        say(socket, "still here", id="m2")
        assert socket.receive_json()["text"] == "You said: still here"
    assert core.received[0].text == "hi \ufffd there"
