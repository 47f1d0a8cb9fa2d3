"""What the console is built from (ConsoleDeps, given by the caller) and what it builds once from them."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timezone, tzinfo
from pathlib import Path
from typing import Protocol

from redis.asyncio import Redis
from sqlalchemy import Engine
from starlette.requests import HTTPConnection

from bot.console.auth import Guard, SessionStore, StaffSession
from bot.console.pending import PendingLogins
from bot.console.render import Renderer, console_locale
from bot.console.throttle import LoginPolicy, LoginThrottle
from bot.console.words import StaffWords
from bot.handoff.presence import CONSOLE_PREFIX, Presence, online_key
from bot.handoff.queue import HandoffQueue
from bot.handoff.relay import Relay
from bot.handoff.routes import ROUTE_TTL_S, RouteStore
from bot.store.blocks import BlockStore
from bot.store.canned import CannedReplyStore
from bot.store.counsellors import CounsellorAccount, CounsellorStore
from bot.store.handoffs import HandoffStore
from bot.store.second_factor import SecondFactorStore

DEFAULT_SESSION_TTL_S = 8 * 3600  # a shift


class ConsoleEngine(Protocol):
    """The part of the dialogue engine the console uses (bot.engine.rasa.RasaClient)."""

    async def pause(self, pseudonym: str) -> None:
        """No bot replies until resumed."""
        ...

    async def resume(self, pseudonym: str) -> None:
        """The bot answers again."""
        ...

    async def conversation(self, pseudonym: str, before_ms: int | None = None) -> list[tuple[str, str]]:
        """What the person and the bot said before `before_ms` (epoch ms), as ("survivor" | "bot", text)."""
        ...


class MachineTranslation(Protocol):
    """The deployment's translation server (bot.translation.LibreTranslate)."""

    async def translate(self, text: str, source: str, target: str) -> str:
        """`text` from `source` into `target`; TranslationFailed when the server does not."""
        ...


@dataclass(frozen=True)
class ConsoleDeps:
    """Everything the console needs, opened by the caller (the web app's composition root)."""

    redis: Redis
    queue: HandoffQueue
    relay: Relay
    routes: RouteStore
    handoffs: HandoffStore
    counsellors: CounsellorStore
    second_factor: SecondFactorStore
    canned: CannedReplyStore
    engine: ConsoleEngine
    catalog_dir: Path  # the survivor-facing system lines are translated from these catalogs
    database: Engine  # for the supervisor's counts of today's handoffs
    # Secure cookies and HSTS: True, False (plain-HTTP local use only), or None: on, but for plain HTTP
    # straight to this machine (bot.web.headers.https_only).
    secure_cookies: bool | None
    # Client addresses are kept only as keyed hashes (throttling failed logins): the pseudonym secret, from
    # which the console derives a key of its own.
    source_secret: bytes
    login: LoginPolicy = field(default_factory=LoginPolicy)
    session_ttl_s: int = DEFAULT_SESSION_TTL_S
    queue_prefix: str = "helpline:handoff:"  # the HandoffQueue's prefix: its `events` stream is followed
    console_prefix: str = CONSOLE_PREFIX  # sessions and presence
    live_refresh_s: float = 20.0  # how often a live queue re-marks presence and refreshes waiting times
    day_zone: tzinfo = field(default=timezone.utc)  # where "today" starts for the supervisor's counts
    route_ttl_s: int = ROUTE_TTL_S  # how long a survivor's route is kept after their chat is resolved
    # Channels that allow free replies only for a while after the person's last message, and for how many
    # hours (WhatsApp: 24, from bot.channels.capabilities): the chat page shows what is left of it.
    reply_window_h: Mapping[str, int] = field(default_factory=dict)
    # By locale, the content files still machine-drafted (bot.content.drafts): the admin page lists them, so
    # the team knows which answers wait for a native speaker's review (docs/translators.md).
    translation_drafts: Mapping[str, Sequence[str]] = field(default_factory=dict)
    # The content's words for each topic (intent → locale → button title: ContentLibrary.topic_labels), so
    # the queue says "A safe place to stay" rather than "ask_shelter", in the staff member's language.
    topic_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # The deployment's own LibreTranslate (HELPLINE_TRANSLATE_URL); None: no machine translation in chats.
    machine_translation: MachineTranslation | None = None


@dataclass(frozen=True)
class Console:
    """The console's parts, built once: the deps, sessions, presence, pages, the staff guard, what logins
    go through (the throttle of failed logins, the logins waiting for a second factor), and the blocks."""

    deps: ConsoleDeps
    sessions: SessionStore
    presence: Presence
    renderer: Renderer
    guard: Guard
    throttle: LoginThrottle
    pending: PendingLogins
    blocks: BlockStore  # flags and blocks (abuse handling), in the console's database

    @classmethod
    def build(cls, deps: ConsoleDeps) -> Console:
        """The parts for these deps."""
        sessions = SessionStore(deps.redis, deps.console_prefix, deps.session_ttl_s)
        presence = Presence(deps.redis, key=online_key(deps.console_prefix))
        renderer = Renderer(deps.catalog_dir)
        throttle = LoginThrottle(deps.redis, deps.console_prefix, deps.source_secret, deps.login)
        pending = PendingLogins(deps.redis, deps.console_prefix, deps.login.pending_s, deps.login.code_tries)
        blocks = BlockStore(deps.database)
        guard = Guard(sessions, renderer)
        return cls(deps, sessions, presence, renderer, guard, throttle, pending, blocks)

    @property
    def events_key(self) -> str:
        """The queue's stream of changes."""
        return f"{self.deps.queue_prefix}events"

    def words(self, connection: HTTPConnection, session: StaffSession) -> StaffWords:
        """How tickets are named for this staff member: their console language, else their browser's."""
        locale = console_locale(connection, session.console_language)
        translator = self.renderer.translator(locale)
        gettext = translator.gettext if translator is not None else str
        return StaffWords(locale, gettext, self.deps.topic_labels)

    async def account(self, session: StaffSession) -> CounsellorAccount | None:
        """The logged-in counsellor's account, or None if it was deactivated meanwhile."""
        account = await asyncio.to_thread(self.deps.counsellors.get, session.counsellor_id)
        return account if account is not None and account.active else None
