"""Machine translation in a real browser, with a fake LibreTranslate on loopback: a counsellor who reads
English sees a Ukrainian survivor's message with its English translation, previews a reply translated into
Ukrainian and sends it; the survivor receives the translation and the note, in Ukrainian, that it is machine
translation. When the server fails, the original still comes through, marked untranslated."""

from __future__ import annotations

import dataclasses
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import uvicorn
from cryptography.fernet import Fernet
from playwright.sync_api import Page, expect
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.routing import Mount

from bot.console.app import create_console
from bot.console.translation import SURVIVOR_MARK
from bot.handoff.queue import HandoffQueue, Ticket
from bot.handoff.relay import Relay
from bot.i18n import Translator
from bot.privacy.crypto import TranscriptCipher
from bot.store.database import create_database_engine, upgrade_database
from bot.store.handoffs import HandoffStore
from bot.translation import LibreTranslate
from tests.e2e.test_console_browser import (
    PASSWORD,
    REDIS_URL,
    ROOT,
    QuietEngine,
    RunningConsole,
    _keep_errors,
    _keep_failures,
    console_deps,
)
from tests.fakes.libretranslate import FakeLibreTranslate
from tests.stack import free_port

pytestmark = pytest.mark.e2e
expect.set_options(timeout=20_000)


@pytest.fixture
def translator() -> Iterator[FakeLibreTranslate]:
    with FakeLibreTranslate(api_key="deployment-key") as fake:
        yield fake


@pytest.fixture
def console(tmp_path: Path, translator: FakeLibreTranslate) -> Iterator[RunningConsole]:
    """The console with machine translation through the fake server; a ticket in a language nobody speaks
    may be claimed at once (so ana, who speaks English and Spanish, takes a Ukrainian chat)."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    url = f"sqlite:///{tmp_path / 'helpline.db'}"
    upgrade_database(url)
    database = create_database_engine(url)
    cipher = TranscriptCipher(Fernet.generate_key().decode())
    prefix = f"test:console-mt:{secrets.token_hex(6)}:"
    handoffs, engine = HandoffStore(database, cipher), QuietEngine()
    deps = console_deps(database, cipher, prefix, handoffs, engine)
    deps = dataclasses.replace(
        deps,
        queue=HandoffQueue(deps.redis, prefix=f"{prefix}handoff:", mismatch_after_s=0),
        machine_translation=LibreTranslate(translator.base_url, "deployment-key", timeout_s=5),
    )
    app = Starlette(routes=[Mount("/console", app=create_console(deps))])
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the console did not start"
        time.sleep(0.05)
    running = RunningConsole(f"http://127.0.0.1:{port}", prefix, cipher, handoffs, engine)
    try:
        yield running
    finally:
        server.should_exit = True
        thread.join(timeout=20)

        async def clean(_queue: HandoffQueue, _relay: Relay, client: Redis) -> None:
            keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
            if keys:
                await client.delete(*keys)

        running.run(clean)
        database.dispose()


def survivor_writes(console: RunningConsole, ticket: Ticket, text: str) -> None:
    console.run(lambda _queue, relay, _redis: relay.from_survivor(ticket.id, text, secrets.token_hex(8)))


def test_a_counsellor_reads_a_ukrainian_message_in_english_and_replies_in_ukrainian(
    page: Page, console: RunningConsole, translator: FakeLibreTranslate
) -> None:
    problems: list[str] = []
    page.on("console", lambda message: _keep_errors(message, problems))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda response: _keep_failures(response, problems))
    page.goto(f"{console.url}/console/login")
    page.locator("#name").fill("ana")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online")
    ticket, _pseudonym = console.survivor_asks("uk", "normal")
    page.locator("#offered tbody tr", has_text=ticket.nickname).get_by_role("button", name="Claim").click()
    expect(page.locator("#translation-note")).to_be_visible()
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online")

    survivor_writes(console, ticket, "Мені потрібна допомога")
    message = page.locator("#chat-log .msg.survivor").last
    expect(message.locator(".msg-text")).to_have_text("Мені потрібна допомога")
    expect(message.locator(".mt-text")).to_have_text("i need help")
    expect(message.locator(".badge.mt")).to_have_text("Machine translation")

    page.locator("#message-text").fill("We can help you")
    page.get_by_role("button", name="Translate and preview").click()
    expect(page.locator("#preview-translation")).to_have_text("ми можемо допомогти вам")
    page.get_by_role("button", name="Send the translation").click()
    mark = Translator(ROOT / "content" / "locale", "uk").gettext(SURVIVOR_MARK)
    assert mark != SURVIVOR_MARK  # the note is in the survivor's language
    expect(page.locator("#chat-log .msg.counsellor .msg-text")).to_have_text(
        [f"ми можемо допомогти вам\n\n{mark}"]
    )
    assert console.outbound_texts()[-1] == f"ми можемо допомогти вам\n\n{mark}"

    # The page reloaded (a form): the survivor's earlier message is translated again on the way in.
    expect(page.locator("#chat-log .msg.survivor .mt-text")).to_have_text(["i need help"])
    translator.fail_next(500, times=5)
    survivor_writes(console, ticket, "Дякую")
    latest = page.locator("#chat-log .msg.survivor").last
    expect(latest.locator(".msg-text")).to_have_text("Дякую")
    expect(latest.locator(".msg-translation.untranslated")).to_contain_text("Not translated")
    sent = translator.translations()
    assert {body["api_key"] for body in sent} == {"deployment-key"}
    assert problems == [], problems
