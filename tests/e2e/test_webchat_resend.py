"""A message typed in the web chat arrives exactly once, even when the web process is killed (kill -9) and
restarted between the moment the page sends it and the moment the server acknowledges it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from tests.stack import ROOT, free_port

pytestmark = pytest.mark.e2e
expect.set_options(timeout=20_000)

REDIS_URL = os.environ.get("HELPLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379")


@dataclass
class WebChatServer:
    """The web chat in its own process, which a test can kill and start again on the same port."""

    port: int
    handled_file: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = os.environ | {
            "HELPLINE_TEST_REDIS_URL": REDIS_URL,
            "WEBCHAT_HANDLED_FILE": str(self.handled_file),
        }
        argv = [sys.executable, "-m", "uvicorn", "--factory", "tests.e2e.webchat_server:create"]
        self.process = subprocess.Popen(
            [*argv, "--port", str(self.port), "--log-level", "warning"], cwd=ROOT, env=env
        )
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None and time.monotonic() < deadline, "the web chat did not start"
            try:
                if httpx.get(f"{self.url}/chat", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def handled(self) -> list[str]:
        """Every message the conversation core handled, in order (one per line)."""
        if not self.handled_file.exists():
            return []
        return self.handled_file.read_text(encoding="utf-8").splitlines()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[WebChatServer]:
    server = WebChatServer(free_port(), tmp_path / "handled.txt")
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        server.kill()


def wait_until(condition: Callable[[], bool], page: Page, seconds: float = 20) -> None:
    """Let Playwright's events run until `condition` holds."""
    for _ in range(int(seconds * 20)):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError("timed out")


def between_page_and_server(page: Page, drop: Callable[[str, str], bool], dropped: list[str]) -> None:
    """Pass the socket's frames through, except those `drop(direction, frame)` picks (as a dying process
    would lose them); `direction` is "up" (page → server) or "down"."""

    def route(socket: WebSocketRoute) -> None:
        server = socket.connect_to_server()

        def up(frame: str | bytes) -> None:
            if isinstance(frame, str) and drop("up", frame):
                dropped.append(frame)
            else:
                server.send(frame)

        def down(frame: str | bytes) -> None:
            if isinstance(frame, str) and drop("down", frame):
                dropped.append(frame)
            else:
                socket.send(frame)

        socket.on_message(up)
        server.on_message(down)

    page.route_web_socket("**/chat/ws", route)


def type_message(page: Page, text: str) -> None:
    page.locator("#message-input").fill(text)
    page.locator("#message-input").press("Enter")


def outbox_size(page: Page) -> int:
    return int(page.evaluate("JSON.parse(window.sessionStorage.getItem('chat-outbox') || '[]').length"))


def test_a_message_the_killed_process_never_read_is_sent_again_and_arrives_once(
    page: Page, server: WebChatServer
) -> None:
    dropped: list[str] = []
    first_copy = {"lost": True}

    def drop(direction: str, frame: str) -> bool:
        if direction == "up" and "written as it died" in frame and first_copy["lost"]:
            first_copy["lost"] = False
            return True
        return False

    between_page_and_server(page, drop, dropped)
    page.goto(f"{server.url}/chat")
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")
    type_message(page, "written as it died")
    wait_until(lambda: bool(dropped), page)
    assert outbox_size(page) == 1, "kept until the server acknowledges it"

    server.kill()
    server.start()

    expect(page.locator(".msg.bot")).to_have_text(["You said: written as it died"])
    wait_until(lambda: outbox_size(page) == 0, page)
    assert server.handled() == ["written as it died"]
    expect(page.locator(".msg.me")).to_have_count(1)


def test_a_message_handled_just_before_the_kill_is_not_handled_again(
    page: Page, server: WebChatServer
) -> None:
    dropped: list[str] = []
    first_process = {"alive": True}

    def drop(direction: str, frame: str) -> bool:  # the reply and the ack die with the first process
        answer = direction == "down" and json.loads(frame).get("type") in ("reply", "ack")
        return answer and first_process["alive"]

    between_page_and_server(page, drop, dropped)
    page.goto(f"{server.url}/chat")
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")
    type_message(page, "handled once")
    wait_until(lambda: server.handled() == ["handled once"] and len(dropped) == 2, page)

    server.kill()
    first_process["alive"] = False
    server.start()

    wait_until(lambda: outbox_size(page) == 0, page)  # the copy was acknowledged
    type_message(page, "and the next one")
    expect(page.locator(".msg.bot").last).to_have_text("You said: and the next one")
    assert server.handled() == ["handled once", "and the next one"]


def test_a_message_waiting_for_its_ack_survives_a_reload_and_arrives_once(
    page: Page, server: WebChatServer
) -> None:
    dropped: list[str] = []
    first_copy = {"lost": True}

    def drop(direction: str, frame: str) -> bool:
        if direction == "up" and "before the reload" in frame and first_copy["lost"]:
            first_copy["lost"] = False
            return True
        return False

    between_page_and_server(page, drop, dropped)
    page.goto(f"{server.url}/chat")
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")
    type_message(page, "before the reload")
    wait_until(lambda: bool(dropped), page)

    page.reload()

    expect(page.locator(".msg.me")).to_have_text(["before the reload"])  # shown again, then sent
    expect(page.locator(".msg.bot")).to_have_text(["You said: before the reload"])
    assert server.handled() == ["before the reload"]
