"""Failed console logins, counted per source and per account in Redis (issue 14).

A source (the client address as the app sees it: behind a proxy on loopback, its X-Forwarded-For) that
fails `max_failures` times within `window_s` is refused for `throttle_s`, even with the right password, so
one client cannot guess on; the account itself is never locked, so a stranger cannot lock a counsellor out.
Failures for one account from any sources are counted too: `alert_failures` within `alert_window_s`
raise an alert for the admins.

No address is kept: a source is known only by a keyed hash of its address (HMAC-SHA256 under a key derived
from the pseudonym secret), and every count expires by itself.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from redis.asyncio import Redis
from starlette.requests import HTTPConnection

from bot.settings import Settings

# The key for sources is derived from the pseudonym secret, never the secret itself: a source hash can never
# equal a survivor's pseudonym or any other value made with it.
_SOURCE_KEY_LABEL = b"helpline console login source v1"


@dataclass(frozen=True)
class LoginPolicy:
    """The limits of console logins (settings `HELPLINE_LOGIN_*`)."""

    max_failures: int = 10  # failed logins from one source within `window_s` before it is throttled
    window_s: int = 900
    throttle_s: int = 900  # how long a throttled source is refused
    alert_failures: int = 20  # failed logins for one account within `alert_window_s` that alert the admins
    alert_window_s: int = 3600
    pending_s: int = 300  # how long the second step (a code, or enrolling) may take after the password
    code_tries: int = 5  # wrong codes before that step is dropped (and the password asked again)


def login_policy(settings: Settings) -> LoginPolicy:
    """The policy the settings describe."""
    return LoginPolicy(
        max_failures=settings.login_max_failures,
        window_s=settings.login_window_s,
        throttle_s=settings.login_throttle_s,
        alert_failures=settings.login_alert_failures,
        alert_window_s=settings.login_alert_window_s,
        pending_s=settings.login_pending_s,
        code_tries=settings.login_code_tries,
    )


@dataclass(frozen=True)
class Failure:
    """What one failed login changed: the source is throttled from now on; the account's alert is due."""

    throttled_now: bool
    alert_failures: int | None  # the account's failures in its window, when they just reached the alert


class LoginThrottle:
    """Counts failed logins under `{prefix}login:` and says when a source must wait."""

    def __init__(self, redis: Redis, prefix: str, secret: bytes, policy: LoginPolicy) -> None:
        self._redis = redis
        self._prefix = f"{prefix}login:"
        self._key = hmac.new(secret, _SOURCE_KEY_LABEL, hashlib.sha256).digest()
        self.policy = policy

    def source_of(self, connection: HTTPConnection) -> str:
        """The keyed hash of the request's client address (the address itself is never stored)."""
        address = connection.client.host if connection.client else "unknown"
        return hmac.new(self._key, address.encode(), hashlib.sha256).hexdigest()[:32]

    async def throttled(self, source: str) -> bool:
        """True while this source must wait."""
        return bool(await self._redis.exists(self._throttled_key(source)))

    async def failed(self, source: str, counsellor_id: int | None) -> Failure:
        """Count a failed login (a wrong password or code) from `source`, for `counsellor_id` if known."""
        policy = self.policy
        failures = await self._count(f"{self._prefix}source:{source}:failures", policy.window_s)
        throttled_now = failures >= policy.max_failures
        if throttled_now:
            # The next `max_failures` start counting when the wait is over.
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(self._throttled_key(source), 1, ex=policy.throttle_s)
                pipe.delete(f"{self._prefix}source:{source}:failures")
                await pipe.execute()
        alert = None
        if counsellor_id is not None:
            of_account = await self._count(
                f"{self._prefix}account:{counsellor_id}:failures", policy.alert_window_s
            )
            alert = of_account if of_account == policy.alert_failures else None
        return Failure(throttled_now, alert)

    async def _count(self, key: str, window_s: int) -> int:
        """One more in a count that starts at the first failure and expires `window_s` after it."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(key, 0, ex=window_s, nx=True)
            pipe.incr(key)
            _created, count = await pipe.execute()
        return int(count)

    def _throttled_key(self, source: str) -> str:
        return f"{self._prefix}source:{source}:throttled"
