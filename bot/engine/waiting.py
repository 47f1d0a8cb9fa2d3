"""Waiting for an engine that is starting or restarting, instead of failing the person at once.

Rasa needs about half a minute to load its model after a start or a crash. A message that arrives then
is sent again every half second until the engine listens, for at most `wait_s` (20 s). Only a message that
never reached the engine is sent again (`EngineUnavailable.not_reached`), so nothing is answered twice.

Once a wait has run out, the engine counts as down: later messages try once and go straight to the
conversation core's content-only answers, instead of each waiting 20 s, until the engine answers again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection

import structlog

from bot.engine.base import Engine, EngineUnavailable
from bot.engine.rasa import Understood
from bot.messages import Reply
from bot.metrics import Metrics

log = structlog.get_logger(__name__)

WAIT_S = 20.0
RETRY_EVERY_S = 0.5


class WaitingEngine:
    """An engine that waits (bounded) for the engine behind it to come up."""

    def __init__(
        self,
        engine: Engine,
        wait_s: float = WAIT_S,
        retry_every_s: float = RETRY_EVERY_S,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        metrics: Metrics | None = None,
    ) -> None:
        self._metrics = metrics or Metrics()
        self._metrics.watch_engine()
        self._engine = engine
        self._wait_s = wait_s
        self._retry_every_s = retry_every_s
        self._sleep = sleep
        self._clock = clock
        self._down = False

    @property
    def down(self) -> bool:
        """True after a wait ran out, until the engine answers again."""
        return self._down

    async def last_topic(self, pseudonym: str, skipping: Collection[str]) -> str | None:
        """The engine behind's last topic of the person, if it can tell (no waiting: it is a nicety)."""
        remembered = getattr(self._engine, "last_topic", None)
        return await remembered(pseudonym, skipping) if remembered is not None else None

    async def parse(self, text: str) -> Understood:
        """The engine behind's reading of a text (two needs in one message); never waits: it is a nicety."""
        parse = getattr(self._engine, "parse", None)
        if parse is None or self._down:
            raise EngineUnavailable("cannot read texts now")
        reading: Understood = await parse(text)
        return reading

    async def send(self, pseudonym: str, text: str, metadata: dict[str, object]) -> list[Reply]:
        """Answer one turn, waiting up to `wait_s` for an engine that is not listening yet."""
        deadline = self._clock() + (0.0 if self._down else self._wait_s)
        waited = False
        while True:
            try:
                replies = await self._engine.send(pseudonym, text, metadata)
            except EngineUnavailable as error:
                if not error.not_reached or self._clock() + self._retry_every_s > deadline:
                    if error.not_reached and not self._down:
                        self._down = True
                        self._metrics.engine_is_down(True)
                        log.error("engine_down", waited_s=self._wait_s)
                    raise
                if not waited:
                    log.info("engine_waiting", pseudonym=pseudonym[:12])
                    self._metrics.engine_waited()
                    waited = True
                await self._sleep(self._retry_every_s)
                continue
            if self._down:
                self._down = False
                self._metrics.engine_is_down(False)
                log.info("engine_back")
            return replies
