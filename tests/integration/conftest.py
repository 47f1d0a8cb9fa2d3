"""Services the integration tests share: the local Redis (or, on a clean clone, the embedded one)."""

from __future__ import annotations

import os
import secrets
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis
from alembic import command
from redis.asyncio import Redis
from sqlalchemy import text

from bot.store.database import alembic_config, create_database_engine
from bot.wiring.helpline import embedded_redis_binary

REDIS_URL = os.environ.get("HELPLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379")
POSTGRES_URL = os.environ.get("HELPLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_available() -> bool:
    try:
        engine = create_database_engine(POSTGRES_URL)
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database: SQLite always, and PostgreSQL where one is reachable (emptied before and after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'helpline.db'}"
        return
    if not _postgres_available():
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
    command.downgrade(alembic_config(POSTGRES_URL), "base")
    yield POSTGRES_URL
    command.downgrade(alembic_config(POSTGRES_URL), "base")


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The local Redis; where none answers (a clean clone), the embedded redis-server the helpline runs."""
    if _answers(REDIS_URL):
        yield REDIS_URL
        return
    with tempfile.TemporaryDirectory() as directory:
        socket = Path(directory) / "redis.sock"
        argv = [str(embedded_redis_binary()), "--port", "0", "--unixsocket", str(socket), "--save", ""]
        server = subprocess.Popen([*argv, "--dir", directory], stdout=subprocess.DEVNULL)
        url = f"unix://{socket}"
        try:
            deadline = time.monotonic() + 10
            while not (socket.exists() and _answers(url)):
                assert server.poll() is None and time.monotonic() < deadline, (
                    "the embedded Redis did not start"
                )
                time.sleep(0.05)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=10)


@pytest.fixture
async def prefix(redis_url: str) -> AsyncIterator[str]:
    """A key prefix of this test alone; every key under it is deleted afterwards."""
    name = f"test:handoff:{secrets.token_hex(6)}:"
    yield name
    client = Redis.from_url(redis_url)
    keys = [key async for key in client.scan_iter(match=name + "*", count=1000)]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[Redis]:
    """A client like the helpline's: it answers bytes."""
    connection = Redis.from_url(redis_url)
    yield connection
    await connection.aclose()
