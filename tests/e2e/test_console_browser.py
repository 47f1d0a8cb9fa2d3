"""A counsellor in a real browser: logs in, sees a ticket arrive without reloading, claims it, writes to the
survivor, reads their answer as it comes, and resolves the chat; a supervisor sets up a second factor and
logs in with codes. The console runs alone under uvicorn over a real Redis and SQLite; the survivor's side
is played by the test through the queue and the relay."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar, cast

import pytest
import redis
import uvicorn
from argon2 import PasswordHasher
from cryptography.fernet import Fernet
from playwright.sync_api import ConsoleMessage, Page, Response, expect
from redis.asyncio import Redis
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.routing import Mount

from bot.console.app import ConsoleDeps, create_console
from bot.handoff.queue import HandoffQueue, Priority, Ticket
from bot.handoff.relay import Relay
from bot.handoff.routes import RouteStore
from bot.privacy.crypto import TranscriptCipher
from bot.store.canned import CannedReplyStore
from bot.store.counsellors import CounsellorStore
from bot.store.database import create_database_engine, upgrade_database
from bot.store.handoffs import HandoffStore
from bot.store.second_factor import SecondFactorStore
from tests.authenticator import Authenticator
from tests.stack import free_port

pytestmark = pytest.mark.e2e
expect.set_options(timeout=20_000)

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("HELPLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379")
PASSWORD = "correct horse battery staple"
T = TypeVar("T")


class QuietEngine:
    """A test double for the dialogue engine: remembers resumes; the bot conversation is empty."""

    def __init__(self) -> None:
        self.resumed: list[str] = []

    async def pause(self, pseudonym: str) -> None:
        return None

    async def resume(self, pseudonym: str) -> None:
        self.resumed.append(pseudonym)

    async def conversation(self, pseudonym: str, before_ms: int | None = None) -> list[tuple[str, str]]:
        return []


@dataclass
class RunningConsole:
    """The console at `url`, and the test's own way into the same Redis and database (the survivor's side)."""

    url: str
    prefix: str
    cipher: TranscriptCipher
    handoffs: HandoffStore
    engine: QuietEngine
    database: Engine | None = None  # the console's SQLite, for stores a test adds beside it

    def run(self, work: Callable[[HandoffQueue, Relay, Redis], Awaitable[T]]) -> T:
        """Run async work with a client of the test's own (the server's lives in uvicorn's loop)."""

        async def with_client() -> T:
            client = Redis.from_url(REDIS_URL)
            try:
                queue = HandoffQueue(client, prefix=f"{self.prefix}handoff:", mismatch_after_s=3600)
                return await work(queue, Relay(client, self.cipher, prefix=f"{self.prefix}relay:"), client)
            finally:
                await client.aclose()

        # Playwright's sync driver keeps an event loop running in this thread: run ours in another.
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, with_client()).result()

    def survivor_asks(self, locale: str, priority: Priority) -> tuple[Ticket, str]:
        """A survivor asks for a counsellor (queued and recorded, as the desk does)."""
        pseudonym = secrets.token_hex(32)
        ticket = self.run(
            lambda queue, _relay, _redis: queue.enqueue(pseudonym, "webchat", locale, "ES", priority, None)
        )
        self.handoffs.record_queued(
            ticket.id, pseudonym, "webchat", locale, "ES", ticket.priority, None, ticket.nickname
        )
        return ticket, pseudonym

    def outbound_texts(self) -> list[str]:
        """What waits for survivors on the web chat, decrypted."""
        entries = cast(
            list[tuple[bytes, dict[bytes, bytes]]],
            self.run(lambda _queue, relay, client: client.xrange(relay.outbound_key("webchat"))),
        )
        return [self.cipher.decrypt(fields[b"text"]) for _entry_id, fields in entries]


def console_deps(
    database: Engine, cipher: TranscriptCipher, prefix: str, handoffs: HandoffStore, engine: QuietEngine
) -> ConsoleDeps:
    """The console's parts over the test's database and Redis keys; ana, a counsellor, speaks en and es; sam
    is a supervisor, with no second factor yet."""
    server_redis = Redis.from_url(REDIS_URL)  # connects lazily, inside uvicorn's event loop
    counsellors = CounsellorStore(
        database, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    counsellors.add("ana", PASSWORD, "counsellor", "en,es")
    counsellors.add("sam", PASSWORD, "supervisor", "en")
    return ConsoleDeps(
        redis=server_redis,
        queue=HandoffQueue(server_redis, prefix=f"{prefix}handoff:", mismatch_after_s=3600),
        relay=Relay(server_redis, cipher, prefix=f"{prefix}relay:"),
        routes=RouteStore(server_redis, cipher, prefix=f"{prefix}relay:"),
        handoffs=handoffs,
        counsellors=counsellors,
        second_factor=SecondFactorStore(database, cipher),
        canned=CannedReplyStore(database),
        engine=engine,
        catalog_dir=ROOT / "content" / "locale",
        database=database,
        secure_cookies=False,  # plain http on 127.0.0.1
        source_secret=secrets.token_bytes(32),
        queue_prefix=f"{prefix}handoff:",
        console_prefix=f"{prefix}console:",
        live_refresh_s=1.0,
    )


@pytest.fixture
def console(tmp_path: Path) -> Iterator[RunningConsole]:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    url = f"sqlite:///{tmp_path / 'helpline.db'}"
    upgrade_database(url)
    database = create_database_engine(url)
    cipher = TranscriptCipher(Fernet.generate_key().decode())
    prefix = f"test:console-e2e:{secrets.token_hex(6)}:"
    handoffs, engine = HandoffStore(database, cipher), QuietEngine()
    deps = console_deps(database, cipher, prefix, handoffs, engine)
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
    running = RunningConsole(f"http://127.0.0.1:{port}", prefix, cipher, handoffs, engine, database)
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


def test_a_counsellor_claims_writes_and_resolves_in_the_browser(page: Page, console: RunningConsole) -> None:
    problems: list[str] = []
    page.on("console", lambda message: _keep_errors(message, problems))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda response: _keep_failures(response, problems))

    page.goto(f"{console.url}/console/")
    expect(page).to_have_url(f"{console.url}/console/login")
    page.locator("#name").fill("ana")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online")
    page.evaluate("window.stillTheSamePage = true")

    ticket, pseudonym = console.survivor_asks("es", "urgent")
    row = page.locator("#offered tbody tr", has_text=ticket.nickname)
    expect(row).to_be_visible()
    expect(row.locator(".badge.urgent")).to_have_text("Urgent")
    assert page.evaluate("window.stillTheSamePage") is True  # it came over the socket, not by a reload
    assert pseudonym not in page.content()

    row.get_by_role("button", name="Claim").click()
    expect(page).to_have_url(f"{console.url}/console/chats/{ticket.id}?notice=claimed")
    expect(page.locator("#chat-log .msg.system")).to_have_count(1)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online")

    page.locator("#message-text").fill("Hola, soy Ana. ¿Estás a salvo?")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#chat-log .msg.counsellor .msg-text")).to_have_text(
        ["Hola, soy Ana. ¿Estás a salvo?"]
    )
    assert console.outbound_texts()[-1] == "Hola, soy Ana. ¿Estás a salvo?"

    console.run(lambda _queue, relay, _redis: relay.from_survivor(ticket.id, "Sí, gracias", "t-1"))
    expect(page.locator("#chat-log .msg.survivor .msg-text")).to_have_text(["Sí, gracias"])

    page.locator("#outcome").select_option("information_given")
    page.get_by_role("button", name="Resolve").click()
    expect(page).to_have_url(f"{console.url}/console/?notice=resolved")
    expect(page.locator(".notice")).to_contain_text("resolved")
    assert console.engine.resumed == [pseudonym]
    record = console.handoffs.get(ticket.id)
    assert record is not None and record.outcome == "information_given"
    assert problems == [], problems


def test_a_supervisor_sets_up_a_second_factor_then_logs_in_with_codes(
    page: Page, console: RunningConsole, tmp_path: Path
) -> None:
    problems: list[str] = []
    page.on("console", lambda message: _keep_errors(message, problems))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda response: _keep_failures(response, problems))
    phone = Authenticator()

    page.goto(f"{console.url}/console/login")
    page.locator("#name").fill("sam")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{console.url}/console/login/enroll")
    expect(page.locator("svg.qr")).to_be_visible()  # inline SVG: the strict CSP allows it
    page.screenshot(path=str(tmp_path / "enroll.png"), full_page=True)
    phone.enroll("sam", page.locator("#totp-secret").inner_text().replace(" ", ""))
    page.locator("#code").fill(phone.code("sam"))
    page.get_by_role("button", name="Confirm and log in").click()
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online")
    page.get_by_role("link", name="Supervisor").click()
    expect(page).to_have_url(f"{console.url}/console/supervisor")

    page.get_by_role("button", name="Log out").click()
    page.locator("#name").fill("sam")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{console.url}/console/login/code")
    page.locator("#code").fill(phone.code("sam"))
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online")
    assert problems == [], problems


def test_a_counsellor_who_chooses_spanish_works_in_spanish_with_shortcuts_and_the_urgent_alert(
    page: Page, console: RunningConsole
) -> None:
    problems = _watch(page)
    _log_in(page, console, "ana")
    page.get_by_role("link", name="Settings").click()
    page.locator("#console-language").select_option("es")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator(".notice")).to_have_text("Se guardó el idioma de tu consola.")
    page.get_by_label("Un sonido breve y el título de la página parpadeando", exact=False).check()
    page.get_by_role("link", name="Bandeja").click()
    expect(page.locator("#offered-title")).to_have_text("Te están esperando")
    expect(page.locator("#live-status")).to_have_text("En directo")

    ticket, _pseudonym = console.survivor_asks("es", "urgent")
    number = ticket.nickname.split()[-1]
    row = page.locator("#offered tbody tr", has_text=f"Visitante {number}")
    expect(row.locator(".badge.urgent")).to_have_text("Urgente")
    expect(row.get_by_role("button", name="Tomar")).to_be_visible()
    expect(row).to_contain_text("España")
    expect(page).to_have_title(re.compile(r"Nuevo ticket urgente"))  # the alert the counsellor turned on

    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_have_attribute("open", "")
    expect(page.locator("#shortcuts")).to_contain_text("Tomar el primer ticket que te espera")
    page.keyboard.press("Escape")
    page.keyboard.press("c")  # claims the first (urgent) ticket
    expect(page).to_have_url(f"{console.url}/console/chats/{ticket.id}?notice=claimed")
    expect(page.locator(".notice")).to_have_text("Ahora el chat es tuyo.")
    expect(page.locator("#local-time")).to_contain_text("allí: aprox.")
    page.keyboard.press("w")
    expect(page.locator("#message-text")).to_be_focused()
    page.keyboard.type("Hola")  # letters typed in the box are words, not shortcuts
    expect(page).to_have_url(re.compile(r"/chats/"))
    page.keyboard.press("Control+Enter")
    expect(page.locator("#chat-log .msg.counsellor .msg-text")).to_have_text(["Hola"])
    expect(page.locator("#chat-log .msg.counsellor .who")).to_have_text(["Asesor/a"])
    page.locator("#chat-log").click()  # out of the text box
    page.keyboard.press("r")
    expect(page.locator("#outcome")).to_be_focused()
    assert problems == [], problems


def test_an_arabic_setting_shows_the_console_right_to_left(page: Page, console: RunningConsole) -> None:
    problems = _watch(page)
    _log_in(page, console, "ana")
    page.goto(f"{console.url}/console/settings")
    page.locator("#console-language").select_option("ar")
    page.locator("#language-form button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.goto(f"{console.url}/console/")
    expect(page.locator("#offered-title")).to_have_text("ينتظرونك")
    expect(page.get_by_role("link", name="صندوق الوارد")).to_be_visible()
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    console.survivor_asks("es", "normal")
    row = page.locator("#offered tbody tr.ticket").first
    expect(row.get_by_role("button", name="استلام")).to_be_visible()
    # Right to left: the first column (priority) sits at the right, the claim button at the left.
    first = row.locator("td").first.bounding_box()
    last = row.locator("td").last.bounding_box()
    assert first is not None and last is not None and first["x"] > last["x"]
    assert problems == [], problems


def _log_in(page: Page, console: RunningConsole, name: str) -> None:
    page.goto(f"{console.url}/console/login")
    page.locator("#name").fill(name)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online")


def _watch(page: Page) -> list[str]:
    """Errors in the browser's console, uncaught script errors and failed requests, as they happen."""
    problems: list[str] = []
    page.on("console", lambda message: _keep_errors(message, problems))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda response: _keep_failures(response, problems))
    return problems


def _keep_errors(message: ConsoleMessage, problems: list[str]) -> None:
    """Errors in the browser's console (a CSP violation shows up here)."""
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        problems.append(message.text)


def _keep_failures(response: Response, problems: list[str]) -> None:
    """Requests the console answered with an error; the browser's own favicon request is not the console's."""
    if response.status >= 400 and not response.url.endswith("/favicon.ico"):
        problems.append(f"{response.status} {response.url}")
