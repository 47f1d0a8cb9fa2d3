"""A web chat message the page sends again (after a reconnect, a reload, a web process killed) is handled
once: the server acknowledges each message after its turn and remembers its id in Redis."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis as SyncRedis
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.testclient import TestClient
from starlette.testclient import WebSocketTestSession as Socket

from bot.channels.webchat import webchat_routes
from bot.channels.webchat_frames import HANDLING, PREFIX, FrameLedger, frame_digest
from bot.messages import Channel, IncomingMessage, Reply
from bot.privacy.pseudonym import pseudonym_for
from bot.settings import Settings

SECRET = b"test-secret-resend"


class RecordingCore:
    """Answers each message and remembers it; "fail once" fails its first turn."""

    def __init__(self) -> None:
        self.received: list[IncomingMessage] = []
        self.failed = False

    async def locale_for(self, pseudonym: str, channel: Channel, hint: str) -> str:
        return hint

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        if message.text == "fail once" and not self.failed:
            self.failed = True
            raise RuntimeError("the engine choked")
        self.received.append(message)
        return [Reply(f"You said: {message.text}")]


@pytest.fixture
def core() -> RecordingCore:
    return RecordingCore()


@pytest.fixture
def claim_ttl_s() -> int:
    return 60


@pytest.fixture
def client(core: RecordingCore, tmp_path: Path, redis_url: str, claim_ttl_s: int) -> Iterator[TestClient]:
    frames = FrameLedger(Redis.from_url(redis_url), claim_ttl_s=claim_ttl_s)
    routes = webchat_routes(core, Settings(content_dir=tmp_path), SECRET, locales=("en",), frames=frames)
    with TestClient(Starlette(routes=routes)) as client:
        yield client


def hello(socket: Socket, session: str | None = None) -> str:
    socket.send_json({"type": "hello", "session": session, "languages": ["en"]})
    ready: dict[str, Any] = socket.receive_json()
    assert ready["type"] == "ready"
    return str(ready["session"])


def say(socket: Socket, text: str, id: str) -> list[dict[str, Any]]:
    """Send a message; the frames that answer it, up to and including its ack (or error)."""
    socket.send_json({"type": "message", "id": id, "text": text})
    frames = [socket.receive_json()]
    while frames[-1]["type"] not in ("ack", "error"):
        frames.append(socket.receive_json())
    return frames


def test_a_message_is_answered_then_acknowledged(client: TestClient) -> None:
    frame_id = secrets.token_hex(16)
    with client.websocket_connect("/chat/ws") as socket:
        hello(socket)
        frames = say(socket, "hello", frame_id)
    assert frames == [
        {"type": "reply", "reply_to": frame_id, "text": "You said: hello", "buttons": []},
        {"type": "ack", "id": frame_id},
    ]


def test_a_message_sent_again_after_a_reconnect_is_handled_once(
    client: TestClient, core: RecordingCore
) -> None:
    frame_id = secrets.token_hex(16)
    with client.websocket_connect("/chat/ws") as socket:
        session = hello(socket)
        say(socket, "I need help", frame_id)
    with client.websocket_connect("/chat/ws") as socket:  # the ack was lost: the page sends it again
        hello(socket, session)
        again = say(socket, "I need help", frame_id)
        say(socket, "and now?", secrets.token_hex(16))
    assert again == [{"type": "ack", "id": frame_id}], "only acknowledged: no second answer"
    assert [message.text for message in core.received] == ["I need help", "and now?"]


def test_the_message_key_is_the_same_for_each_copy_and_names_neither_person_nor_id(
    client: TestClient, core: RecordingCore, redis_url: str
) -> None:
    frame_id = secrets.token_hex(16)
    with client.websocket_connect("/chat/ws") as socket:
        session = hello(socket)
        say(socket, "one", frame_id)
    pseudonym = pseudonym_for(Channel.WEBCHAT, session, SECRET)
    key = core.received[0].message_key
    assert key == f"wc-{frame_digest(pseudonym, frame_id)}" and len(key) <= 64
    stored = SyncRedis.from_url(redis_url).get(PREFIX + frame_digest(pseudonym, frame_id))
    assert stored == b"done"
    assert pseudonym not in key and frame_id not in key and session not in key


def test_the_same_id_from_another_person_is_another_message(client: TestClient, core: RecordingCore) -> None:
    frame_id = "0123456789abcdef0123456789abcdef"
    for _ in range(2):
        with client.websocket_connect("/chat/ws") as socket:
            hello(socket)  # a new session each time
            assert say(socket, "hi", frame_id)[0]["type"] == "reply"
    assert len(core.received) == 2


def test_a_failed_turn_is_told_kindly_and_a_copy_is_handled(client: TestClient, core: RecordingCore) -> None:
    frame_id = secrets.token_hex(16)
    with client.websocket_connect("/chat/ws") as socket:
        hello(socket)
        failed = say(socket, "fail once", frame_id)
        again = say(socket, "fail once", frame_id)
    assert [frame["type"] for frame in failed] == ["error"] and failed[0]["reply_to"] == frame_id
    assert [frame["type"] for frame in again] == ["reply", "ack"]
    assert [message.text for message in core.received] == ["fail once"]


@pytest.mark.parametrize("claim_ttl_s", [1])
def test_a_copy_waits_out_the_claim_of_a_process_killed_mid_turn_and_is_then_handled(
    client: TestClient, core: RecordingCore, redis_url: str
) -> None:
    frame_id = secrets.token_hex(16)
    with client.websocket_connect("/chat/ws") as socket:
        session = hello(socket)
    digest = frame_digest(pseudonym_for(Channel.WEBCHAT, session, SECRET), frame_id)
    SyncRedis.from_url(redis_url).set(PREFIX + digest, HANDLING, ex=1)  # what the killed process left
    with client.websocket_connect("/chat/ws") as socket:
        hello(socket, session)
        frames = say(socket, "are you there?", frame_id)
    assert [frame["type"] for frame in frames] == ["reply", "ack"]
    assert [message.text for message in core.received] == ["are you there?"]


def test_a_page_without_ids_is_answered_as_before_without_acks(
    client: TestClient, core: RecordingCore
) -> None:
    with client.websocket_connect("/chat/ws") as socket:
        hello(socket)
        socket.send_json({"type": "message", "text": "old page"})
        assert socket.receive_json()["type"] == "reply"
        socket.send_json({"type": "message", "text": "old page"})
        assert socket.receive_json()["type"] == "reply"
    assert len(core.received) == 2
