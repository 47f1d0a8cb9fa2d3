"""Offers of a counsellor: one-time tokens the action server issues and the survivor's desk redeems.

The consent button carries only the token. How urgent the chat is and what the person asked about stay in
Redis, written by the server that made the offer, so a forged or replayed button can queue nobody.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass

from redis.asyncio import Redis

from bot.handoff.queue import Priority
from bot.redis_client import decoded

OFFERS_PREFIX = "helpline:offer:"
OFFER_TTL_S = 15 * 60  # long enough to read the offer and decide; a later press asks again
# The consent button's payload (`/handoff_accept_<token>`): 40 bytes, within Telegram's 64 for a button.
ACCEPT = re.compile(r"^/handoff_accept_([a-z0-9_]{1,48})$")
# 24 hex characters, 96 random bits: lower case and digits only, as every channel's buttons allow
# (Telegram's gateway refuses any other callback data: bot/channels/telegram.py, BUTTON_PAYLOAD).
TOKEN_BYTES = 12


@dataclass(frozen=True)
class Offer:
    """What the server offered: how urgent, and what the person had asked about."""

    priority: Priority
    topic: str | None


# What a consent button that queues nobody (not this person's offer, or nobody free now) asks of the engine:
# a request for a person again, offered afresh or answered with the helplines, whichever is true now. The
# reports count it as the same request, not a new one (bot/actions/counsellor.py).
ASK_AGAIN = "/request_human"


def accept_payload(token: str) -> str:
    """The consent button's payload for an offer's token."""
    return f"/handoff_accept_{token}"


def offered_token(text: str) -> str | None:
    """The token a consent button carries, or None if the text is not a consent button."""
    found = ACCEPT.match(text)
    return found.group(1) if found else None


class OfferBook:
    """Offers in Redis, each for one person and redeemable once, until it expires.

    The key is a hash of the person's pseudonym and the token: someone else's press finds nothing (and
    cannot spend the person's offer), and Redis holds neither the token nor the pseudonym in clear.
    """

    def __init__(self, redis: Redis, prefix: str = OFFERS_PREFIX, ttl_s: int = OFFER_TTL_S) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl_s = ttl_s

    async def issue(self, pseudonym: str, priority: Priority, topic: str | None) -> str:
        """A new token for an offer made to this person."""
        token = secrets.token_hex(TOKEN_BYTES)
        value = json.dumps({"priority": priority, "topic": topic})
        await self._redis.set(self._key(pseudonym, token), value, ex=self._ttl_s)
        return token

    async def redeem(self, token: str, pseudonym: str) -> Offer | None:
        """The offer this token stands for, once, for the person it was issued to; else None."""
        raw = await self._redis.getdel(self._key(pseudonym, token))
        if raw is None:
            return None
        found = json.loads(decoded(raw))
        priority: Priority = "urgent" if found.get("priority") == "urgent" else "normal"
        topic = found.get("topic")
        return Offer(priority, topic if isinstance(topic, str) else None)

    def _key(self, pseudonym: str, token: str) -> str:
        digest = hashlib.sha256(f"{pseudonym}\0{token}".encode()).hexdigest()
        return f"{self._prefix}{digest}"
