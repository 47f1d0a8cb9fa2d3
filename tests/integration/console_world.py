"""The console over real services for the integration tests: a World (the app, its stores, a client) and
Staff (a logged-in counsellor who sends their cookie and CSRF token explicitly). Supervisors and admins log
in with a second factor: `login` enrolls them on their first login and types their code after that, with
the World's Authenticator (tests/authenticator.py)."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import httpx
from argon2 import PasswordHasher
from cryptography.fernet import Fernet
from redis.asyncio import Redis
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.console.app import ConsoleDeps, create_console
from bot.console.deps import MachineTranslation
from bot.console.throttle import LoginPolicy
from bot.engine.rasa import conversation_lines
from bot.handoff.presence import Presence
from bot.handoff.queue import HandoffQueue, Priority, Ticket
from bot.handoff.relay import Relay
from bot.handoff.routes import RouteStore
from bot.privacy.crypto import TranscriptCipher
from bot.store.canned import CannedReplyStore
from bot.store.counsellors import CounsellorAccount, CounsellorStore, Role
from bot.store.database import create_database_engine, upgrade_database
from bot.store.handoffs import HandoffStore
from bot.store.second_factor import SecondFactorStore
from tests.authenticator import Authenticator, secret_in

ROOT = Path(__file__).resolve().parents[2]
CATALOG_DIR = ROOT / "content" / "locale"
PASSWORD = "correct horse battery staple"
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # behaviour, not the cost of a hash
CSRF_IN_PAGE = re.compile(r'data-csrf="([^"]+)"')
CSRF_IN_FORM = re.compile(r'name="csrf" value="([^"]+)"')
SOURCE_HEADER = "x-test-source"  # the client address a request comes from (one TestClient, many sources)
T = TypeVar("T")


class SourceFromHeader:
    """Gives a request the client address named in its `x-test-source` header, as uvicorn gives the address
    of the peer (or of X-Forwarded-For from a proxy on loopback): tests play several sources at once."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            for name, value in scope.get("headers", []):
                if name.decode("latin-1") == SOURCE_HEADER:
                    scope = {**scope, "client": (value.decode("latin-1"), 50000)}
        await self._app(scope, receive, send)


class RecordingEngine:
    """A test double for the dialogue engine: remembers pauses and resumes, tells a short bot conversation
    from tracker events as Rasa keeps them (times in seconds), read as the real client reads them."""

    def __init__(self) -> None:
        self.paused: list[str] = []
        self.resumed: list[str] = []
        self.events: list[dict[str, Any]] = [
            {"event": "user", "text": "I need a safe place", "timestamp": 1.0},
            {"event": "bot", "text": "Would you like to talk with a counsellor?", "timestamp": 2.0},
        ]

    def survivor_writes_to_the_bot(self, text: str) -> None:
        """The person writes to the bot now (the chat with a counsellor has ended)."""
        self.events.append({"event": "user", "text": text, "timestamp": time.time()})

    async def pause(self, pseudonym: str) -> None:
        self.paused.append(pseudonym)

    async def resume(self, pseudonym: str) -> None:
        self.resumed.append(pseudonym)

    async def conversation(self, pseudonym: str, before_ms: int | None = None) -> list[tuple[str, str]]:
        return conversation_lines(self.events, before_ms)


@dataclass(frozen=True)
class Outbound:
    """A message waiting for a survivor: as stored (`token`) and decrypted (`text`)."""

    sender: str
    key: str
    token: bytes
    text: str


@dataclass
class World:
    """The console mounted at /console over real services, and a client to drive it."""

    client: TestClient
    console: Starlette
    redis: Redis
    queue: HandoffQueue
    relay: Relay
    handoffs: HandoffStore
    counsellors: CounsellorStore
    second_factor: SecondFactorStore
    canned: CannedReplyStore
    engine: RecordingEngine
    cipher: TranscriptCipher
    presence: Presence
    prefix: str
    authenticator: Authenticator = field(default_factory=Authenticator)
    pseudonyms: list[str] = field(default_factory=list)
    database: Engine | None = None  # the console's SQLite (for the stores a test adds beside it)

    def run(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run async work on the app's event loop (where the Redis connections live)."""
        portal = self.client.portal
        assert portal is not None
        return portal.call(work)

    def counsellor(
        self, name: str, role: Role = "counsellor", languages: str = "en,es", capacity: int = 2
    ) -> Staff:
        """An account, logged in (a supervisor or admin enrolls a second factor on the way)."""
        account = self.counsellors.add(name, PASSWORD, role, languages, capacity)
        return Staff(self, account, *login(self.client, name, PASSWORD, self.authenticator))

    def ticket(self, locale: str = "es", priority: Priority = "normal") -> Ticket:
        """A survivor asks for a counsellor (as the desk queues and records them)."""
        pseudonym = secrets.token_hex(32)
        self.pseudonyms.append(pseudonym)
        ticket = self.run(
            lambda: self.queue.enqueue(pseudonym, "webchat", locale, "ES", priority, "ask_shelter")
        )
        self.handoffs.record_queued(
            ticket.id, pseudonym, "webchat", locale, "ES", ticket.priority, "ask_shelter", ticket.nickname
        )
        return ticket

    def ticket_now(self, ticket: Ticket) -> Ticket:
        """The ticket as the queue holds it now."""
        now = self.run(lambda: self.queue.get(ticket.id))
        assert now is not None
        return now

    def outbound(self) -> list[Outbound]:
        """What waits for survivors on the web chat, as stored and decrypted."""
        entries = cast(
            list[tuple[bytes, dict[bytes, bytes]]],
            self.run(lambda: self.redis.xrange(self.relay.outbound_key("webchat"))),
        )
        return [
            Outbound(
                fields[b"sender"].decode(),
                fields[b"key"].decode(),
                fields[b"text"],
                self.cipher.decrypt(fields[b"text"]),
            )
            for _entry_id, fields in entries
        ]


@dataclass
class Staff:
    """A logged-in counsellor: their session cookie and CSRF token, sent explicitly with each request."""

    world: World
    account: CounsellorAccount
    cookie: str
    csrf: str

    @property
    def headers(self) -> dict[str, str]:
        return {"cookie": f"helpline_console={self.cookie}"}

    def get(self, path: str) -> httpx.Response:
        response: httpx.Response = self.world.client.get(path, headers=self.headers, follow_redirects=False)
        return response

    def post(self, path: str, data: dict[str, str] | None = None, csrf: bool = True) -> httpx.Response:
        form = {**({"csrf": self.csrf} if csrf else {}), **(data or {})}
        response: httpx.Response = self.world.client.post(
            path, data=form, headers=self.headers, follow_redirects=False
        )
        return response

    def claim(self, ticket: Ticket) -> httpx.Response:
        return self.post(f"/console/tickets/{ticket.id}/claim")


def login(
    client: TestClient,
    name: str,
    password: str,
    authenticator: Authenticator | None = None,
    source: str | None = None,
) -> tuple[str, str]:
    """Log in through the forms (with the second step when asked); the session cookie and its CSRF token."""
    client.cookies.clear()
    response = login_attempt(client, name, password, source)
    if response.status_code == 303 and response.headers["location"] != "/console/":
        assert authenticator is not None, f"{name} needs a second factor"
        response = second_step(client, response, name, authenticator, source)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/console/", response.headers["location"]
    cookie = response.cookies["helpline_console"]
    client.cookies.clear()
    page = client.get("/console/", headers={"cookie": f"helpline_console={cookie}"})
    match = CSRF_IN_PAGE.search(page.text)
    assert match, page.text
    return cookie, match.group(1)


def login_attempt(client: TestClient, name: str, password: str, source: str | None = None) -> httpx.Response:
    """GET the login form (its CSRF cookie and token), then POST it, from `source` if given."""
    headers = {SOURCE_HEADER: source} if source else {}
    form = client.get("/console/login", headers=headers)
    token = CSRF_IN_FORM.search(form.text)
    assert token
    data = {"csrf": token.group(1), "name": name, "password": password}
    response: httpx.Response = client.post(
        "/console/login", data=data, headers=headers, follow_redirects=False
    )
    return response


def second_step(
    client: TestClient,
    after_password: httpx.Response,
    name: str,
    authenticator: Authenticator,
    source: str | None = None,
    code: str | None = None,
) -> httpx.Response:
    """After the right password: enroll (reading the key off the page, as a person would) or type the code."""
    location = after_password.headers["location"]
    assert location in ("/console/login/code", "/console/login/enroll"), location
    response = code_attempt(
        client, location, lambda page: _code_for(page, location, name, authenticator, code), source
    )
    return response


def code_attempt(
    client: TestClient, location: str, code: Callable[[str], str], source: str | None = None
) -> httpx.Response:
    """GET a second-step page (its CSRF token from the form), then POST the code made from that page."""
    headers = {SOURCE_HEADER: source} if source else {}
    page = client.get(location, headers=headers)
    assert page.status_code == 200, page.text
    token = CSRF_IN_FORM.search(page.text)
    assert token
    data = {"csrf": token.group(1), "code": code(page.text)}
    response: httpx.Response = client.post(location, data=data, headers=headers, follow_redirects=False)
    return response


def _code_for(page: str, location: str, name: str, authenticator: Authenticator, code: str | None) -> str:
    if location.endswith("/enroll"):
        authenticator.enroll(name, secret_in(page))
    return code if code is not None else authenticator.code(name)


@contextmanager
def console_world(
    tmp_path: Path,
    redis_url: str,
    secure_cookies: bool | None = True,
    base_url: str = "https://testserver",
    login_policy: LoginPolicy | None = None,
    translation_drafts: dict[str, list[str]] | None = None,
    topic_labels: dict[str, dict[str, str]] | None = None,
    machine_translation: MachineTranslation | None = None,
    mismatch_after_s: float = 3600,
) -> Iterator[World]:
    """The console at /console over Redis (keys under a prefix of its own, deleted after) and SQLite."""
    url = f"sqlite:///{tmp_path / 'helpline.db'}"
    upgrade_database(url)
    database = create_database_engine(url)
    cipher = TranscriptCipher(Fernet.generate_key().decode())
    prefix = f"test:console:{secrets.token_hex(6)}:"
    connection = Redis.from_url(redis_url)
    queue = HandoffQueue(connection, prefix=f"{prefix}handoff:", mismatch_after_s=mismatch_after_s)
    relay = Relay(connection, cipher, prefix=f"{prefix}relay:")
    handoffs, counsellors = HandoffStore(database, cipher), CounsellorStore(database, hasher=FAST)
    second_factor = SecondFactorStore(database, cipher)
    canned, engine = CannedReplyStore(database), RecordingEngine()
    deps = ConsoleDeps(
        redis=connection,
        queue=queue,
        relay=relay,
        routes=RouteStore(connection, cipher, prefix=f"{prefix}relay:"),
        handoffs=handoffs,
        counsellors=counsellors,
        second_factor=second_factor,
        canned=canned,
        engine=engine,
        catalog_dir=CATALOG_DIR,
        database=database,
        secure_cookies=secure_cookies,
        source_secret=secrets.token_bytes(32),
        login=login_policy or LoginPolicy(),
        queue_prefix=f"{prefix}handoff:",
        console_prefix=f"{prefix}console:",
        live_refresh_s=0.2,
        translation_drafts=translation_drafts or {},
        topic_labels=topic_labels or {},
        machine_translation=machine_translation,
    )
    console = create_console(deps)
    app = SourceFromHeader(Starlette(routes=[Mount("/console", app=console)]))
    presence = Presence(connection, key=f"{prefix}console:online")
    with TestClient(app, base_url=base_url) as client:
        found = World(
            client,
            console,
            connection,
            queue,
            relay,
            handoffs,
            counsellors,
            second_factor,
            canned,
            engine,
            cipher,
            presence,
            prefix,
            database=database,
        )
        yield found

        async def clean() -> None:
            keys = [key async for key in connection.scan_iter(match=f"{prefix}*")]
            if keys:
                await connection.delete(*keys)
            await connection.aclose()

        found.run(clean)
    database.dispose()
