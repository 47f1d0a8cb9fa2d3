"""Resume codes in Redis: only a keyed hash of each code, who it belongs to, and an expiry.

Keys under the prefix (default "helpline:resume:"): `code:{hmac}` → "{channel}:{pseudonym}" of the person
who asked for it, expiring (30 days by default); `person:{channel}:{pseudonym}` → their code's hmac, with
the same expiry, so that a new code replaces the old one and erase or the safe word deletes it. The words
are never stored: the hash is HMAC-SHA256 of the normalised words with the pseudonym secret, so a copy of
Redis cannot be turned back into codes by trying word lists without that secret. A code is used once.

Guessing is rate-limited: every message that looks like a code counts against the person (their channel
and pseudonym) and, where one place speaks for many people (the web chat's client address), against that
source too, in a window of an hour; past the limit no code is even looked up. Redis keeps these keys in its
append-only file, as it keeps the handoff queue they restore, so they survive a restart as a handoff does.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from bot.messages import Channel
from bot.privacy.resume_words import normalise
from bot.redis_client import decoded

DEFAULT_PREFIX = "helpline:resume:"
CODE_TTL_S = 30 * 24 * 3600
TRIES_WINDOW_S = 3600
TRIES_PER_PERSON = 5
TRIES_PER_SOURCE = 20


@dataclass(frozen=True)
class Holder:
    """Whose code it was: their channel and pseudonym."""

    channel: Channel
    pseudonym: str


def code_hash(code: str, secret: bytes) -> str:
    """The keyed hash of a code as typed (normalised first); the only form of a code the helpline keeps."""
    if not secret:
        raise ValueError("the resume code secret must not be empty")
    message = b"resume-code:" + normalise(code).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


class ResumeCodes:
    """Issue, redeem and forget codes; count attempts to type one."""

    def __init__(
        self,
        redis: Redis,
        secret: bytes,
        prefix: str = DEFAULT_PREFIX,
        ttl_s: int = CODE_TTL_S,
        tries_per_person: int = TRIES_PER_PERSON,
        tries_per_source: int = TRIES_PER_SOURCE,
    ) -> None:
        self._redis = redis
        self._secret = secret
        self._prefix = prefix
        self.ttl_s = ttl_s
        self._tries_per_person = tries_per_person
        self._tries_per_source = tries_per_source

    async def issue(self, channel: Channel, pseudonym: str, code: str) -> bool:
        """Keep `code` for this person, replacing their previous one; False if the code is already taken."""
        digest = code_hash(code, self._secret)
        person = self._key("person", channel.value, pseudonym)
        taken = not await self._redis.set(
            self._key("code", digest), f"{channel.value}:{pseudonym}", ex=self.ttl_s, nx=True
        )
        if taken:
            return False
        old: Any = await self._redis.getset(person, digest)
        await self._redis.expire(person, self.ttl_s)
        if old and decoded(old) != digest:
            await self._redis.delete(self._key("code", decoded(old)))
        return True

    async def redeem(self, code: str) -> Holder | None:
        """Whose code this is, if it is a live one; it is used up (deleted) at once."""
        digest = code_hash(code, self._secret)
        found: Any = await self._redis.getdel(self._key("code", digest))
        if not found:
            return None
        channel, _, pseudonym = decoded(found).partition(":")
        person = self._key("person", channel, pseudonym)
        if decoded(await self._redis.get(person) or b"") == digest:
            await self._redis.delete(person)
        return Holder(Channel(channel), pseudonym)

    async def forget(self, channel: str, pseudonym: str) -> None:
        """Delete this person's code and their count of attempts, if any (erase, the safe word)."""
        await self._redis.delete(self._key("tries", "person", channel, pseudonym))
        digest: Any = await self._redis.getdel(self._key("person", channel, pseudonym))
        if digest:
            await self._redis.delete(self._key("code", decoded(digest)))

    async def has_code(self, channel: str, pseudonym: str) -> bool:
        """True while this person holds a live code."""
        return bool(await self._redis.exists(self._key("person", channel, pseudonym)))

    async def allow_try(self, channel: str, pseudonym: str, source: str | None) -> bool:
        """Count one attempt to type a code; False (look nothing up) once the person or source is past
        their limit for the hour."""
        counters = [(self._key("tries", "person", channel, pseudonym), self._tries_per_person)]
        if source:
            counters.append((self._key("tries", "source", source), self._tries_per_source))
        allowed = True
        for key, limit in counters:
            count = int(await self._redis.incr(key))
            if count == 1:  # the window starts with the first attempt
                await self._redis.expire(key, TRIES_WINDOW_S)
            allowed = allowed and count <= limit
        return allowed

    def _key(self, *parts: str) -> str:
        return self._prefix + ":".join(parts)
