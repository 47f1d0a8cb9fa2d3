"""Redis for the helpline's processes: one way to open a client, and one way to read its answers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from redis.asyncio import Redis

# Longer than the longest blocking read: the console's live views wait up to `live_refresh_s` (20 s) on a
# stream. redis-py's default of 5 s cut those reads, and a counsellor's live chat reconnected every 5 s.
REDIS_SOCKET_TIMEOUT_S = 60.0


def open_redis(url: str) -> Redis:
    """A Redis client for the helpline's processes (answers bytes; blocking stream reads allowed)."""
    return Redis.from_url(url, socket_timeout=REDIS_SOCKET_TIMEOUT_S, health_check_interval=30)


def decoded(value: Any) -> str:
    """Redis answers bytes unless the client decodes; the helpline works with either."""
    return value.decode() if isinstance(value, bytes) else str(value)


def as_bytes(value: bytes | str) -> bytes:
    """A value as bytes, whether or not the client decodes (Fernet tokens are bytes)."""
    return value.encode() if isinstance(value, str) else value


def stream_fields(raw: Mapping[Any, Any]) -> dict[str, bytes]:
    """A stream entry's fields with text keys and byte values, whether or not the client decodes."""
    return {decoded(name): as_bytes(value) for name, value in dict(raw).items()}


def glob_escape(text: str) -> str:
    """The text as a literal in a SCAN MATCH pattern."""
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)
