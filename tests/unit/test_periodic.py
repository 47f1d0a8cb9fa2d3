"""Background loops keep going after a failure, and stop when told."""

from __future__ import annotations

import asyncio

from bot.periodic import every


async def test_a_failed_round_is_logged_and_the_next_round_runs() -> None:
    stop, rounds = asyncio.Event(), []

    async def work() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise ConnectionError("redis restarting")
        if len(rounds) == 3:
            stop.set()

    await asyncio.wait_for(every(0.01, stop, work, "test_loop"), timeout=5)
    assert rounds == [0, 1, 2]


async def test_a_stop_ends_the_wait_between_rounds_at_once() -> None:
    stop = asyncio.Event()

    async def work() -> None:
        stop.set()

    await asyncio.wait_for(every(3600, stop, work, "test_loop"), timeout=5)
