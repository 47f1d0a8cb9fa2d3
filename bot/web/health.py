"""`/healthz`, `/readyz` and `/metrics`, the same on every process that serves.

`/healthz` says the process is alive and asks nothing else. `/readyz` runs every check at once, each
bounded by a short timeout, and answers 200 only when every required one passed; its body names each
check with `ok` or `failed` and the error's class (never its message, which may carry an address).
An informational check (the web app's view of the gateway) is shown but never makes the process unready.
`/metrics` is Prometheus's text format; with a token set it asks for `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import httpx
import sqlalchemy
import structlog
from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.metrics import CONTENT_TYPE, Metrics

log = structlog.get_logger(__name__)

# A check passes when it returns anything but False, and fails when it raises, times out or returns False.
Check = Callable[[], Awaitable[object]]
Refresh = Callable[[], Awaitable[None]]


class NotReady(Exception):
    """A check answered, but with "not ready" (Rasa without a model, say)."""


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome: ok, or the class of the error that failed it."""

    name: str
    ok: bool
    error: str | None = None
    required: bool = True

    def as_json(self) -> dict[str, object]:
        """How `/readyz` shows it."""
        shown: dict[str, object] = {"status": "ok" if self.ok else "failed"}
        if self.error:
            shown["error"] = self.error
        if not self.required:
            shown["required"] = False
        return shown


class Readiness:
    """The checks of one process: required ones decide readiness, informational ones are only shown."""

    def __init__(
        self,
        checks: Mapping[str, Check],
        timeout_s: float = 2.0,
        informational: Mapping[str, Check] | None = None,
    ) -> None:
        self._checks = dict(checks)
        self._informational = dict(informational or {})
        self._timeout_s = timeout_s

    @property
    def timeout_s(self) -> float:
        """The bound of each check (and of the refresh before a scrape)."""
        return self._timeout_s

    async def results(self) -> list[CheckResult]:
        """Every check's outcome, run concurrently."""
        named = [(name, check, True) for name, check in self._checks.items()]
        named += [(name, check, False) for name, check in self._informational.items()]
        return list(await asyncio.gather(*(self._run(*item) for item in named)))

    async def _run(self, name: str, check: Check, required: bool) -> CheckResult:
        try:
            answer = await asyncio.wait_for(check(), self._timeout_s)
        except Exception as error:  # the class says what failed; the message could carry an address
            return CheckResult(name, False, type(error).__name__, required)
        if answer is False:
            return CheckResult(name, False, NotReady.__name__, required)
        return CheckResult(name, True, None, required)


def http_check(client: httpx.AsyncClient, url: str) -> Check:
    """A check that passes when `url` answers 200."""

    async def check() -> bool:
        response = await client.get(url)
        if response.status_code != 200:
            raise NotReady(f"HTTP {response.status_code}")
        return True

    return check


def redis_check(redis: Redis) -> Check:
    """A check that passes when Redis answers PING."""

    async def check() -> object:
        return await redis.ping()

    return check


def database_check(database: sqlalchemy.Engine) -> Check:
    """A check that passes when the database answers `SELECT 1`."""

    def select_one() -> None:
        with database.connect() as connection:
            connection.execute(sqlalchemy.text("SELECT 1"))

    async def check() -> None:
        await asyncio.to_thread(select_one)

    return check


def health_routes(
    readiness: Readiness,
    metrics: Metrics,
    metrics_token: str | None = None,
    refresh: Refresh | None = None,
) -> list[Route]:
    """The three routes; `refresh` updates the live figures (queue, pending messages) before a scrape."""

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "alive"})

    async def readyz(_request: Request) -> Response:
        results = await readiness.results()
        ready = all(result.ok for result in results if result.required)
        failed = [result.name for result in results if not result.ok]
        if failed:
            log.warning("not_ready" if not ready else "check_failed", failed=failed)
        body = {
            "status": "ready" if ready else "not ready",
            "checks": {result.name: result.as_json() for result in results},
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    async def metrics_page(request: Request) -> Response:
        if metrics_token is not None and not _bearer_matches(request, metrics_token):
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
        if refresh is not None:
            try:
                await asyncio.wait_for(refresh(), readiness.timeout_s)
            except Exception as error:  # the counters are still worth serving
                metrics.scrape_errors.labels(type(error).__name__).inc()
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    return [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_page),
    ]


def _bearer_matches(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
