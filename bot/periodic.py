"""Background work that runs again and again in a process until it stops: one loop, written once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)


async def every(
    interval_s: float, stop: asyncio.Event, work: Callable[[], Awaitable[object]], name: str
) -> None:
    """Run `work` now and then every `interval_s` until `stop` is set; a failure is logged, never fatal.

    `name` names the failure in the logs (`{name}_failed`, with the error's class, never its message).
    """
    while not stop.is_set():
        try:
            await work()
        except Exception as error:  # Redis restarting, the database busy: try again next round
            log.error(f"{name}_failed", error=type(error).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
