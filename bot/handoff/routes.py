"""Routes: what a channel needs to reach a person again (a Telegram chat id), kept encrypted and expiring.

One key per person and channel, `{prefix}route:{channel}:{pseudonym}`, holding a Fernet token. A route
without expiry is held by an open handoff; every other route expires after `ttl_s` of inactivity. The
relay's delivery, chat cleanup, erasure and retention all ask this one store.

A channel that lets the helpline write freely only for a while after the person's last message (WhatsApp:
24 hours) also keeps here when that window closes: `{prefix}window:{channel}:{pseudonym}`, a key that holds
nothing and expires with the window. Forgetting a route forgets its window.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from bot.cipher import Cipher
from bot.redis_client import as_bytes, decoded, glob_escape

DEFAULT_PREFIX = "helpline:relay:"
ROUTE_TTL_S = 24 * 3600


class RouteStore:
    """How to reach each person on each channel, encrypted, and for how long."""

    def __init__(self, redis: Redis, cipher: Cipher, prefix: str = DEFAULT_PREFIX) -> None:
        self._redis = redis
        self._cipher = cipher
        self._head = f"{prefix}route:"
        self._window_head = f"{prefix}window:"

    async def remember(
        self, channel: str, pseudonym: str, route: str, ttl_s: int | None = ROUTE_TTL_S
    ) -> None:
        """Keep, encrypted, what a channel needs to reach a person (a Telegram chat id).

        `ttl_s=None` keeps it while a handoff is open (no expiry); otherwise it expires after `ttl_s` of
        inactivity, except that a route an open handoff holds keeps no expiry.
        """
        key, token = self._key(channel, pseudonym), self._cipher.encrypt(route)
        if ttl_s is None:
            await self._redis.set(key, token)
        elif await self._redis.ttl(key) == -1:  # held by an open handoff: keep it so
            await self._redis.set(key, token, keepttl=True)
        else:
            await self._redis.set(key, token, ex=ttl_s)

    async def release(self, channel: str, pseudonym: str, ttl_s: int = ROUTE_TTL_S) -> None:
        """A handoff ended: the route expires after `ttl_s` of inactivity from now on."""
        await self._redis.expire(self._key(channel, pseudonym), ttl_s)

    async def get(self, channel: str, pseudonym: str) -> str | None:
        """What a channel needs to reach the person, if still kept."""
        token: Any = await self._redis.get(self._key(channel, pseudonym))
        return self._cipher.decrypt(as_bytes(token)) if token else None

    async def forget(self, channel: str, pseudonym: str) -> None:
        """Forget how to reach a person (the handoff ended, or they erased their data)."""
        await self._redis.delete(self._key(channel, pseudonym), self._window_key(channel, pseudonym))

    async def heard_from(self, channel: str, pseudonym: str, window_s: int) -> None:
        """The person just wrote: the channel lets us write freely for `window_s` from now."""
        await self._redis.set(self._window_key(channel, pseudonym), 1, ex=window_s)

    async def window_left_s(self, channel: str, pseudonym: str) -> int:
        """Seconds left before the channel's window closes (0: closed, or never opened)."""
        return max(0, int(await self._redis.ttl(self._window_key(channel, pseudonym))))

    async def close_window(self, channel: str, pseudonym: str) -> None:
        """The channel says the window is closed (its clock and ours disagreed)."""
        await self._redis.delete(self._window_key(channel, pseudonym))

    async def forget_unless_held(self, channel: str, pseudonym: str) -> None:
        """Forget the route now, unless an open handoff holds it (a route without expiry)."""
        key = self._key(channel, pseudonym)
        if await self._redis.ttl(key) != -1:
            await self._redis.delete(key)

    async def held(self) -> list[tuple[str, str]]:
        """(channel, pseudonym) of every route kept without expiry, i.e. held by a handoff."""
        held = []
        async for raw in self._redis.scan_iter(match=self.pattern(), count=500):
            key = decoded(raw)
            if await self._redis.ttl(key) == -1:
                channel, _, pseudonym = key[len(self._head) :].partition(":")
                held.append((channel, pseudonym))
        return held

    def pattern(self) -> str:
        """The SCAN pattern of every route key (`helpline rekey` re-encrypts them)."""
        return glob_escape(self._head) + "*"

    def _key(self, channel: str, pseudonym: str) -> str:
        return f"{self._head}{channel}:{pseudonym}"

    def _window_key(self, channel: str, pseudonym: str) -> str:
        return f"{self._window_head}{channel}:{pseudonym}"
