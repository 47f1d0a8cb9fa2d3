"""The web chat's limits: open sockets per source address and in all, and messages per second per socket.

One client must not be able to slow the chat down for everybody else (issue 14): the socket counts bound
how many conversations one address (and the whole process) holds open, and a token bucket per socket lets a
person type in bursts but not flood the conversation core. The handoff caps the open tickets of one address
(`source_tag` names it there, keyed, never in clear).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field


def source_tag(address: str, secret: bytes) -> str:
    """A keyed hash of a client address (HMAC-SHA256 with the pseudonym secret, apart from pseudonyms): what
    the handoff counts open tickets under, so Redis never holds the address."""
    return hmac.new(secret, f"webchat-source:{address}".encode(), hashlib.sha256).hexdigest()


@dataclass
class TokenBucket:
    """`burst` messages at once, then `rate` per second: a person typing fast passes, a script does not."""

    rate: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    _tokens: float = field(init=False)
    _last: float = field(init=False)

    def __post_init__(self) -> None:
        self._tokens = float(self.burst)
        self._last = self.clock()

    def take(self) -> bool:
        """Spend one token if there is one; False when the socket must slow down."""
        now = self.clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


class SocketLimits:
    """How many sockets are open, per source address and in all; a socket over either cap is refused."""

    def __init__(self, per_source: int, total: int) -> None:
        self._per_source = per_source
        self._total = total
        self._open: dict[str, int] = {}
        self._count = 0

    def admit(self, source: str) -> bool:
        """Count a new socket from `source`, or refuse it (and count nothing) when a cap is reached."""
        if self._count >= self._total or self._open.get(source, 0) >= self._per_source:
            return False
        self._open[source] = self._open.get(source, 0) + 1
        self._count += 1
        return True

    def release(self, source: str) -> None:
        """A socket admitted from `source` has closed."""
        left = self._open.get(source, 0) - 1
        if left > 0:
            self._open[source] = left
        else:
            self._open.pop(source, None)
        self._count = max(0, self._count - 1)

    @property
    def open_sockets(self) -> int:
        """Sockets open now, from every source."""
        return self._count
