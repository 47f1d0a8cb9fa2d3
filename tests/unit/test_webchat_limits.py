"""Attacks on the web chat socket (issue 14): many hellos on one socket, silent sockets, floods of messages
and of sockets. Each is refused kindly, and nothing a client sends raises in the app."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import structlog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from starlette.applications import Starlette
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from bot.channels.webchat import webchat_routes
from bot.channels.webchat_limits import SocketLimits, TokenBucket, source_tag
from bot.messages import Channel
from bot.privacy.pseudonym import pseudonym_for
from bot.settings import PROJECT_ROOT, Settings
from tests.unit.test_webchat_protocol import NOT_UNDERSTOOD, SECRET, RecordingCore, hello, say

SLOW_DOWN_ES = "Estás enviando mensajes muy rápido. Por favor, espera un momento y vuelve a enviarlo."


def app_client(core: RecordingCore, content_dir: Path, **limits: float) -> TestClient:
    settings = Settings(content_dir=content_dir, **limits)
    return TestClient(Starlette(routes=webchat_routes(core, settings, SECRET, locales=("en", "es"))))


@pytest.fixture
def spanish_content(tmp_path: Path) -> Path:
    """A content dir whose only compiled catalog is the real Spanish one."""
    source = PROJECT_ROOT / "content" / "locale" / "es" / "LC_MESSAGES" / "helpline.po"
    target = tmp_path / "locale" / "es" / "LC_MESSAGES" / "helpline.mo"
    target.parent.mkdir(parents=True)
    with source.open("rb") as po, target.open("wb") as mo:
        write_mo(mo, read_po(po, locale="es"))
    return tmp_path


@pytest.fixture
def core() -> RecordingCore:
    return RecordingCore()


@pytest.fixture
def client(core: RecordingCore, tmp_path: Path) -> Iterator[TestClient]:
    with app_client(core, tmp_path) as client:
        yield client


def test_a_second_hello_on_one_socket_starts_no_new_conversation(
    client: TestClient, core: RecordingCore
) -> None:
    with client.websocket_connect("/chat/ws") as socket:
        session = hello(socket)["session"]
        for _ in range(3):
            socket.send_json({"type": "hello", "session": secrets.token_urlsafe(32), "languages": ["en"]})
            assert socket.receive_json() == {"type": "error", "reply_to": None, "text": NOT_UNDERSTOOD}
        socket.send_json({"type": "hello", "session": None, "languages": ["en"]})
        assert socket.receive_json()["type"] == "error"
        say(socket, "hi", id="after")
        assert socket.receive_json()["reply_to"] == "after"
    assert [message.pseudonym for message in core.received] == [
        pseudonym_for(Channel.WEBCHAT, session, SECRET)
    ]


def test_a_socket_that_never_says_hello_is_closed(core: RecordingCore, tmp_path: Path) -> None:
    with (
        app_client(core, tmp_path, webchat_hello_timeout_s=0.2) as client,
        client.websocket_connect("/chat/ws") as socket,
    ):
        time.sleep(0.4)
        say(socket, "still here?")  # too late: the socket is closed, this gets no answer
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
    assert closed.value.code == 1008
    assert core.received == []


def test_a_socket_that_says_hello_in_time_stays_open(core: RecordingCore, tmp_path: Path) -> None:
    with (
        app_client(core, tmp_path, webchat_hello_timeout_s=0.2) as client,
        client.websocket_connect("/chat/ws") as socket,
    ):
        hello(socket)
        time.sleep(0.4)
        say(socket, "hi", id="late")
        assert socket.receive_json()["reply_to"] == "late"


def test_a_burst_of_messages_is_answered_and_the_excess_told_to_slow_down_in_spanish(
    core: RecordingCore, spanish_content: Path
) -> None:
    # A slow refill, so a slow machine cannot let a sixth message through while the burst is read.
    with (
        app_client(core, spanish_content, webchat_messages_per_s=0.001) as client,
        client.websocket_connect("/chat/ws") as socket,
    ):
        assert hello(socket, languages=["es-ES", "es"])["locale"] == "es"
        for number in range(30):
            say(socket, f"mensaje {number}", id=f"m{number}")
        frames = [socket.receive_json() for _ in range(35)]  # five replies, each with its ack, then errors
    answered = [frame.get("reply_to", frame.get("id")) for frame in frames]
    assert answered == [f"m{n}" for n in range(5) for _ in "ra"] + [f"m{n}" for n in range(5, 30)], (
        "none dropped"
    )
    assert [frame["type"] for frame in frames[:10]] == ["reply", "ack"] * 5
    assert frames[10:] == [
        {"type": "error", "reply_to": f"m{number}", "text": SLOW_DOWN_ES} for number in range(5, 30)
    ]
    assert [message.text for message in core.received] == [f"mensaje {number}" for number in range(5)]


def test_sockets_over_the_per_source_cap_are_refused_with_try_again_later(
    core: RecordingCore, tmp_path: Path
) -> None:
    with (
        structlog.testing.capture_logs() as logs,
        app_client(core, tmp_path, webchat_max_sockets_per_source=3) as client,
    ):
        with ExitStack() as open_sockets:
            for _ in range(3):
                hello(open_sockets.enter_context(client.websocket_connect("/chat/ws")))
            for _ in range(5):
                with client.websocket_connect("/chat/ws") as refused:
                    refused.send_json({"type": "hello", "session": None, "languages": ["en"]})
                    with pytest.raises(WebSocketDisconnect) as closed:
                        refused.receive_json()
                assert closed.value.code == 1013
        with client.websocket_connect("/chat/ws") as socket:  # the others closed: room again
            hello(socket)
    assert [entry["event"] for entry in logs].count("webchat_socket_refused") == 5
    assert "testclient" not in repr(logs), "no client address in the logs"


def test_sockets_over_the_total_cap_are_refused(core: RecordingCore, tmp_path: Path) -> None:
    with app_client(core, tmp_path, webchat_max_sockets=2) as client, ExitStack() as open_sockets:
        for _ in range(2):
            hello(open_sockets.enter_context(client.websocket_connect("/chat/ws")))
        with client.websocket_connect("/chat/ws") as refused:
            refused.send_json({"type": "hello", "session": None, "languages": ["en"]})
            with pytest.raises(WebSocketDisconnect) as closed:
                refused.receive_json()
        assert closed.value.code == 1013


def test_every_message_carries_a_keyed_tag_of_its_address_never_the_address(
    client: TestClient, core: RecordingCore
) -> None:
    """The handoff caps open tickets per tag; new sockets (new pseudonyms) from one address share it."""
    for _ in range(2):
        with client.websocket_connect("/chat/ws") as socket:
            hello(socket)
            say(socket, "hi")
            socket.receive_json()
    sources = {message.source for message in core.received}
    assert len({message.pseudonym for message in core.received}) == 2
    assert sources == {source_tag("testclient", SECRET)}
    assert source_tag("testclient", SECRET) != source_tag("testclient", b"another-secret")
    assert source_tag("203.0.113.7", SECRET) != source_tag("203.0.113.8", SECRET)
    assert "testclient" not in repr(core.received)


class FailingCore(RecordingCore):
    """A core whose services are overloaded (Redis refusing connections)."""

    async def locale_for(self, pseudonym: str, channel: Channel, hint: str) -> str:
        raise ConnectionError("Too many connections")


def test_a_hello_the_services_cannot_answer_gets_a_kind_error_and_try_again_later(tmp_path: Path) -> None:
    with app_client(FailingCore(), tmp_path) as client, client.websocket_connect("/chat/ws") as socket:
        socket.send_json({"type": "hello", "session": None, "languages": ["en"]})
        assert socket.receive_json()["type"] == "error"
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
    assert closed.value.code == 1013


# The limits, without a socket


def test_the_bucket_allows_a_burst_then_refills_at_its_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=1.0, burst=5, clock=lambda: now[0])
    assert [bucket.take() for _ in range(6)] == [True] * 5 + [False]
    now[0] = 1.0
    assert [bucket.take(), bucket.take()] == [True, False]
    now[0] = 100.0
    assert sum(bucket.take() for _ in range(10)) == 5, "the burst is a ceiling, however long the pause"


def test_socket_limits_count_per_source_and_in_all() -> None:
    limits = SocketLimits(per_source=2, total=3)
    assert [limits.admit("a"), limits.admit("a"), limits.admit("a")] == [True, True, False]
    assert [limits.admit("b"), limits.admit("c")] == [True, False]
    limits.release("a")
    assert limits.admit("c") and limits.open_sockets == 3
