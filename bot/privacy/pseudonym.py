"""Keyed pseudonyms: the only identity the helpline ever keeps for a person."""

from __future__ import annotations

import hashlib
import hmac

from bot.messages import Channel


def pseudonym_for(channel: Channel, account_id: int | str, secret: bytes) -> str:
    """Return a stable, non-reversible pseudonym for an account on a channel.

    HMAC-SHA256 keyed by a server secret: without the secret a raw id cannot be
    confirmed by hashing guesses, and the same person keeps one pseudonym per channel.
    """
    if not secret:
        raise ValueError("the pseudonym secret must not be empty")
    message = f"{channel.value}:{account_id}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()
