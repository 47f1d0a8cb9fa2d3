"""A login between the password and the second factor: short-lived, used once, with its own CSRF token.

After the right password, a supervisor or admin (or anyone enrolled) gets no session yet, but a pending
login in Redis (`{prefix}login:pending:{token}`, its token in a cookie of its own) that expires after
`ttl_s`. It allows `tries` wrong codes, then it is dropped and the password is asked again; the one request
that completes it deletes it first, so it can never be used twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from redis.asyncio import Redis
from redis.typing import EncodableT

from bot.console.security import is_token, new_token
from bot.redis_client import decoded

PENDING_COOKIE = "helpline_console_pending"
Stage = Literal["code", "enroll"]


@dataclass(frozen=True)
class PendingLogin:
    """Who gave the right password, what they must do next, and the CSRF token of that step's form."""

    token: str
    counsellor_id: int
    stage: Stage
    csrf: str
    sealed_secret: bytes | None  # enrolling: the offered TOTP secret, encrypted


class PendingLogins:
    """Pending logins in Redis, each expiring `ttl_s` after the password was given."""

    def __init__(self, redis: Redis, prefix: str, ttl_s: int, tries: int) -> None:
        self._redis = redis
        self._prefix = f"{prefix}login:pending:"
        self.ttl_s = ttl_s
        self._tries = tries

    async def start(
        self, counsellor_id: int, stage: Stage, sealed_secret: bytes | None = None
    ) -> PendingLogin:
        """A new pending login for an account whose password was just accepted."""
        pending = PendingLogin(new_token(), counsellor_id, stage, new_token(), sealed_secret)
        fields: dict[EncodableT, EncodableT] = {
            "counsellor": counsellor_id,
            "stage": stage,
            "csrf": pending.csrf,
        }
        if sealed_secret is not None:
            fields["secret"] = sealed_secret
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._key(pending.token), mapping=fields)
            pipe.expire(self._key(pending.token), self.ttl_s)
            await pipe.execute()
        return pending

    async def get(self, token: str | None) -> PendingLogin | None:
        """The pending login behind a cookie value, if it exists and has not expired."""
        if not is_token(token):
            return None
        raw = {decoded(name): value for name, value in (await self._redis.hgetall(self._key(token))).items()}
        stage = decoded(raw.get("stage", b""))
        if stage not in ("code", "enroll") or "csrf" not in raw or "counsellor" not in raw:
            return None
        secret = raw.get("secret")
        return PendingLogin(
            token,
            int(decoded(raw["counsellor"])),
            "code" if stage == "code" else "enroll",
            decoded(raw["csrf"]),
            secret if isinstance(secret, bytes) else None,
        )

    async def wrong_code(self, pending: PendingLogin) -> bool:
        """Count a wrong code; True when that was the last try allowed (the pending login is gone then)."""
        tries_key = self._key(pending.token) + ":tries"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(tries_key, 0, ex=self.ttl_s, nx=True)  # expires by itself, like the pending login
            pipe.incr(tries_key)
            _created, tries = await pipe.execute()
        if int(tries) < self._tries:
            return False
        await self.drop(pending)
        return True

    async def take(self, pending: PendingLogin) -> bool:
        """Use the pending login up: True for the one request that gets it, False if it is gone already."""
        taken = await self._redis.delete(self._key(pending.token))
        await self._redis.delete(self._key(pending.token) + ":tries")
        return bool(taken)

    async def drop(self, pending: PendingLogin) -> None:
        """Forget a pending login (too many wrong codes, or a new login over it)."""
        await self._redis.delete(self._key(pending.token), self._key(pending.token) + ":tries")

    def _key(self, token: str) -> str:
        return f"{self._prefix}{token}"
