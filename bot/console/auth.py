"""Who is using the console: server-side sessions in Redis, roles, and the guard every staff page and form
goes through (session, role, CSRF). The login itself (password, then a second factor) is `login.py`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from redis.asyncio import Redis
from redis.typing import EncodableT
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from bot.console.render import ROLE_RANK, Renderer, base_path, see_other
from bot.console.security import FormTooLarge, is_token, new_token, read_form, tokens_match
from bot.i18n import SUPPORTED_LOCALES, _
from bot.redis_client import decoded
from bot.store.counsellors import ROLES, SECOND_FACTOR_ROLES, CounsellorAccount, Role

log = structlog.get_logger(__name__)

SESSION_COOKIE = "helpline_console"
FORM_EXPIRED = _("The form had expired. Go back and try again.")
NOT_FOR_YOUR_ROLE = _("This page is not for your role.")
FORM_TOO_LARGE = _("That form is too large.")


def allows(role: str, needed: Role) -> bool:
    """True when `role` is at least `needed` (counsellor < supervisor < admin)."""
    return ROLE_RANK.get(role, -1) >= ROLE_RANK[needed]


@dataclass(frozen=True)
class StaffSession:
    """A logged-in counsellor: their id, name and role, the CSRF token of their session, and the language
    they chose for the console (None: their browser's)."""

    token: str
    counsellor_id: int
    name: str
    role: Role
    csrf: str
    console_language: str | None = None

    @property
    def seat_id(self) -> str:
        """The counsellor's id as the queue knows it."""
        return str(self.counsellor_id)


class SessionStore:
    """Sessions in Redis (`{prefix}session:{token}`), expiring after `ttl_s`; a set per counsellor lets an
    admin end all of someone's sessions at once."""

    def __init__(self, redis: Redis, prefix: str, ttl_s: int) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl_s = ttl_s

    async def start(self, account: CounsellorAccount, second_factor: bool) -> StaffSession:
        """A new session for a counsellor who just logged in (with a second factor, or not)."""
        session = StaffSession(
            new_token(), account.id, account.name, account.role, new_token(), account.console_language
        )
        fields: dict[EncodableT, EncodableT] = {
            "counsellor": account.id,
            "name": account.name,
            "role": account.role,
            "csrf": session.csrf,
            "factors": 2 if second_factor else 1,
            "language": account.console_language or "",
        }
        mine = self._of(account.id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._key(session.token), mapping=fields)
            pipe.expire(self._key(session.token), self._ttl_s)
            pipe.sadd(mine, session.token)
            pipe.expire(mine, self._ttl_s)
            await pipe.execute()
        return session

    async def get(self, token: str | None) -> StaffSession | None:
        """The session behind a cookie value, if it exists and has not expired."""
        if not is_token(token):
            return None
        raw = await self._redis.hgetall(self._key(token))
        fields = {decoded(name): decoded(value) for name, value in raw.items()}
        role = fields.get("role", "")
        if not fields.get("csrf") or role not in ROLES:
            return None
        if role in SECOND_FACTOR_ROLES and fields.get("factors") != "2":
            return None  # never a supervisor's or admin's session on a password alone
        language = fields.get("language")
        return StaffSession(
            token,
            int(fields["counsellor"]),
            fields["name"],
            role,
            fields["csrf"],
            language if language in SUPPORTED_LOCALES else None,
        )

    async def set_language(self, counsellor_id: int, language: str | None) -> None:
        """Every open session of a counsellor shows the console in `language` (None: the browser's) now."""
        tokens = await self._redis.smembers(self._of(counsellor_id))
        for token in tokens:
            key = self._key(decoded(token))
            if await self._redis.exists(key):
                await self._redis.hset(key, "language", language or "")
                if await self._redis.ttl(key) == -1:  # it expired in between: never a session without end
                    await self._redis.delete(key)

    async def end(self, session: StaffSession) -> None:
        """Log out: the session is gone."""
        await self._redis.delete(self._key(session.token))
        await self._redis.srem(self._of(session.counsellor_id), session.token)

    async def end_all(self, counsellor_id: int) -> None:
        """End every session of a counsellor (their account was deactivated)."""
        tokens = await self._redis.smembers(self._of(counsellor_id))
        keys = [self._key(decoded(token)) for token in tokens]
        await self._redis.delete(self._of(counsellor_id), *keys)

    async def of_connection(self, connection: HTTPConnection) -> StaffSession | None:
        """The session of a request or WebSocket handshake, from its cookie."""
        return await self.get(connection.cookies.get(SESSION_COOKIE))

    def _key(self, token: str) -> str:
        return f"{self._prefix}session:{token}"

    def _of(self, counsellor_id: int) -> str:
        return f"{self._prefix}sessions:{counsellor_id}"


StaffHandler = Callable[[Request, StaffSession, dict[str, str]], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


class Guard:
    """Wraps staff endpoints: no session → 303 to the login page; too low a role → 403; a POST without the
    session's CSRF token → 403. The handler gets the session and the form fields."""

    def __init__(self, sessions: SessionStore, renderer: Renderer) -> None:
        self._sessions = sessions
        self._renderer = renderer

    def __call__(self, handler: StaffHandler, role: Role = "counsellor") -> Endpoint:
        """The endpoint for a handler that needs at least `role`."""

        async def endpoint(request: Request) -> Response:
            session = await self._sessions.of_connection(request)
            if session is None:
                return see_other(request, "/login")
            if not allows(session.role, role):
                return self._renderer.refusal(request, 403, NOT_FOR_YOUR_ROLE, session)
            form: dict[str, str] = {}
            if request.method == "POST":
                try:
                    form = await read_form(request)
                except FormTooLarge:
                    return self._renderer.refusal(request, 413, FORM_TOO_LARGE, session)
                if not tokens_match(session.csrf, form.get("csrf")):
                    log.warning("console_csrf_refused", counsellor=session.counsellor_id)
                    return self._renderer.refusal(request, 403, FORM_EXPIRED, session)
            return await handler(request, session, form)

        endpoint.__name__ = getattr(handler, "__name__", "endpoint")
        return endpoint


def cookie_path(connection: HTTPConnection) -> str:
    """The console's cookies are sent to the console only ("/console"), never to the survivors' chat."""
    return base_path(connection) or "/"
