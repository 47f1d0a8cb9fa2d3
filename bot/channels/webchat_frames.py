"""Each web chat frame handled once, however often the page sends it.

The page keeps every message it sent in an outbox (sessionStorage) until the server acknowledges it, and
sends what is still there again after each reconnect: a frame written while the web process was killed is
not lost. The page names each frame with a random id; this ledger remembers, in Redis, which frames of a
conversation were handled, so the second copy of a frame gets only the acknowledgement (the way Telegram's
redelivered updates are dropped, `bot/channels/telegram.py`).

A frame is claimed ("handling") before its turn and marked "done" after it. A copy that comes while the
first is still being handled (the page reconnected to another web process) waits for the first to finish;
the claim of a process killed mid-turn expires, and the copy is then handled (the relay to a counsellor
stays once: its message key is the frame's, and the transcript keeps one message per key).

Keys hold a digest of the pseudonym and the frame id, never either of them.
"""

from __future__ import annotations

import asyncio
import hashlib
import time

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = structlog.get_logger(__name__)

PREFIX = "helpline:wc:frame:"
HANDLING = b"handling"
DONE = b"done"
# Longer than any turn (the engine waits up to 20 s for Rasa, then answers in degraded mode).
CLAIM_TTL_S = 60
# As long as a page could plausibly still hold the frame in its outbox.
DONE_TTL_S = 2 * 24 * 3600
POLL_S = 0.1


def frame_digest(pseudonym: str, frame_id: str) -> str:
    """The frame's name in Redis and in the transcript: stable for one page's frame, apart from any other."""
    return hashlib.sha256(f"webchat-frame:{pseudonym}:{frame_id}".encode()).hexdigest()[:32]


class FrameLedger:
    """Which frames were handled: claim before the turn, done after it."""

    def __init__(self, redis: Redis, claim_ttl_s: int = CLAIM_TTL_S, done_ttl_s: int = DONE_TTL_S) -> None:
        self._redis = redis
        self._claim_ttl_s = claim_ttl_s
        self._done_ttl_s = done_ttl_s

    async def claim(self, digest: str) -> bool:
        """True: handle the frame now; False: it was handled already (acknowledge it only).

        Never raises: without Redis the frame is handled (twice rather than never).
        """
        key = PREFIX + digest
        give_up = time.monotonic() + self._claim_ttl_s + 5
        try:
            while True:
                if await self._redis.set(key, HANDLING, nx=True, ex=self._claim_ttl_s):
                    return True
                state = await self._redis.get(key)
                if state == DONE:
                    log.info("webchat_frame_seen_again")
                    return False
                if time.monotonic() > give_up:
                    return True
                await asyncio.sleep(POLL_S)  # another socket is handling this frame right now
        except RedisError as error:
            log.warning("webchat_frame_ledger_unavailable", error=type(error).__name__)
            return True

    async def done(self, digest: str) -> None:
        """The frame's turn is over: a copy of it is acknowledged, never handled."""
        try:
            await self._redis.set(PREFIX + digest, DONE, ex=self._done_ttl_s)
        except RedisError as error:
            log.warning("webchat_frame_ledger_unavailable", error=type(error).__name__)

    async def release(self, digest: str) -> None:
        """The turn failed: a copy of the frame may be handled."""
        try:
            await self._redis.delete(PREFIX + digest)
        except RedisError as error:
            log.warning("webchat_frame_ledger_unavailable", error=type(error).__name__)
