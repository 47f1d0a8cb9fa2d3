"""Rewrites of Redis's append-only file after erasures: coalesced, never trusted to an older rewrite, and
never a reason for an erase to fail (a Redis without AOF, one that refuses, one that is down)."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import redis
from redis.asyncio import Redis

from bot.privacy.aof import AofRewriter
from bot.wiring.helpline import embedded_redis_binary

pytestmark = pytest.mark.integration


StartRedis = Callable[..., Redis]


class Log:
    """Records the rewriter's log events (its structlog logger may be cached by an earlier configuration)."""

    def __init__(self) -> None:
        self.events: list[dict[str, object]] = []

    def _record(self, event: str, **values: object) -> None:
        self.events.append({"event": event, **values})

    info = warning = _record


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    log = Log()
    monkeypatch.setattr("bot.privacy.aof.log", log)
    return log.events


@pytest.fixture
async def start_redis(tmp_path: Path) -> AsyncIterator[StartRedis]:
    """Starts a redis-server of the kind `helpline run` starts, with more arguments; a client of it."""
    running: list[tuple[subprocess.Popen[bytes], Redis]] = []

    def start(*args: str) -> Redis:
        socket = tmp_path / "redis.sock"
        argv = [
            str(embedded_redis_binary()),
            "--port",
            "0",
            "--unixsocket",
            str(socket),
            "--dir",
            str(tmp_path),
        ]
        server = subprocess.Popen([*argv, "--save", "", *args], stdout=subprocess.DEVNULL)
        url = f"unix://{socket}"
        deadline = time.monotonic() + 10
        while True:
            try:
                if socket.exists() and redis.Redis.from_url(url).ping():
                    break
            except redis.RedisError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        running.append((server, Redis.from_url(url)))
        return running[-1][1]

    yield start
    for server, client in running:
        await client.aclose()
        server.terminate()
        server.wait(timeout=10)


async def rewrites_finished(client: Redis) -> None:
    deadline = time.monotonic() + 30
    while (await client.info("persistence"))["aof_rewrite_in_progress"]:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)


async def test_a_flood_of_erasures_starts_one_rewrite_and_the_periodic_task_the_next_one(
    start_redis: StartRedis, logs: list[dict[str, object]]
) -> None:
    client = start_redis("--appendonly", "yes")
    rewriter = AofRewriter(client, min_interval_s=1.0)
    at_once = await asyncio.gather(*(rewriter.request() for _ in range(50)))
    one_by_one = [await rewriter.request() for _ in range(50)]
    assert at_once.count(True) == 1 and True not in one_by_one  # the disk is not thrashed
    assert [line["event"] for line in logs] == ["aof_rewrite_started"]
    assert await rewriter.pending() >= 50  # the erasures after it started still want theirs
    assert not await rewriter.rewrite_if_due()  # not within the interval, whoever asks
    await rewrites_finished(client)
    await asyncio.sleep(1.05)
    assert await rewriter.rewrite_if_due()  # the periodic task's next round
    assert await rewriter.pending() == 0


async def test_a_rewrite_that_was_already_running_does_not_count_for_an_erase_that_came_after(
    start_redis: StartRedis,
) -> None:
    # 50 ms per key: the rewrite runs for a second, long enough to erase during it.
    client = start_redis("--appendonly", "yes", "--rdb-key-save-delay", "50000")
    await client.mset({f"key:{number}": "value" for number in range(20)})
    await client.bgrewriteaof()  # Redis's own rewrite, started before the erase
    rewriter = AofRewriter(client, min_interval_s=0.1)
    assert not await rewriter.request()  # it may have copied what was just erased
    assert await rewriter.pending() == 1
    await rewrites_finished(client)
    await asyncio.sleep(0.15)
    assert await rewriter.rewrite_if_due()
    assert await rewriter.pending() == 0


async def test_a_request_for_later_waits_until_it_is_due(start_redis: StartRedis) -> None:
    now = [1000.0]
    client = start_redis("--appendonly", "yes")
    rewriter = AofRewriter(client, min_interval_s=0.01, clock=lambda: now[0])
    assert not await rewriter.request(after_s=40)  # once the erase's notice has left the chat
    assert not await rewriter.rewrite_if_due()
    now[0] += 41
    assert await rewriter.rewrite_if_due()


async def test_a_redis_without_an_append_only_file_needs_no_rewrite(start_redis: StartRedis) -> None:
    client = start_redis("--appendonly", "no")
    rewriter = AofRewriter(client)
    assert not await rewriter.request()
    assert await rewriter.pending() == 0
    assert (await client.info("persistence"))["aof_rewrite_in_progress"] == 0


async def test_a_redis_that_refuses_the_rewrite_is_logged_once_and_nothing_fails(
    start_redis: StartRedis, logs: list[dict[str, object]]
) -> None:
    # A managed Redis: BGREWRITEAOF renamed away (CONFIG too), as some providers do.
    refusing = ("--rename-command", "BGREWRITEAOF", "", "--rename-command", "CONFIG", "")
    client = start_redis("--appendonly", "yes", *refusing)
    rewriter = AofRewriter(client)
    assert not await rewriter.request()
    assert not await rewriter.request()  # a flood of erasures: not a flood of log lines (it waits)
    assert [(line["event"], line["error"]) for line in logs] == [("aof_rewrite_refused", "ResponseError")]
    assert await rewriter.pending() == 1  # the second: tried (and logged) again a minute later at most


async def test_a_redis_that_is_down_makes_the_request_fail_quietly(
    tmp_path: Path, logs: list[dict[str, object]]
) -> None:
    client = Redis.from_url(f"unix://{tmp_path / 'nobody.sock'}")
    assert not await AofRewriter(client).request()
    assert [(line["event"], line["error"]) for line in logs] == [("aof_rewrite_failed", "ConnectionError")]
    await client.aclose()
