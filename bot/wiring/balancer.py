"""`helpline balance`: a small loopback balancer in front of several gateways' webhook listeners.

Telegram posts each update to one public URL; with two gateways (scale-out, issue 15) something has to
spread the posts over them and skip one that is down. This does only that: each request goes to the next
backend in turn, whole (method, path, headers, body), and its answer comes back whole; a backend that does
not listen (killed, restarting) is skipped for that request, and when none listens Telegram gets 502 and
posts the update again later (the gateways drop an update they already answered). It keeps nothing, logs
no body, no header and no address. A production deployment puts its own proxy here (deploy/).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import httpx
import structlog
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

log = structlog.get_logger(__name__)

# Hop-by-hop headers (RFC 9110 7.6.1) and those httpx sets itself are not passed on.
NOT_FORWARDED = {"connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length"}
MAX_BODY_BYTES = 1024 * 1024  # Telegram's updates are far smaller


def balancer_app(backends: Sequence[str], timeout_s: float = 30.0) -> Starlette:
    """The balancer over `backends` (base URLs such as http://127.0.0.1:8444)."""
    if not backends:
        raise ValueError("at least one backend is needed")
    urls = [url.rstrip("/") for url in backends]
    turns = itertools.cycle(range(len(urls)))
    client = httpx.AsyncClient(timeout=timeout_s)

    async def forward(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return Response(status_code=413)
        headers = {key: value for key, value in request.headers.items() if key.lower() not in NOT_FORWARDED}
        first = next(turns)
        for offset in range(len(urls)):
            url = urls[(first + offset) % len(urls)] + request.url.path
            try:
                answer = await client.request(
                    request.method, url, content=body, headers=headers, params=request.query_params
                )
            except httpx.ConnectError:
                log.info("balancer_backend_down", backend=(first + offset) % len(urls) + 1)
                continue
            except httpx.HTTPError as error:
                log.warning("balancer_backend_failed", error=type(error).__name__)
                return Response(status_code=502)
            kept = {k: v for k, v in answer.headers.items() if k.lower() not in NOT_FORWARDED}
            kept.pop("content-encoding", None)  # httpx has decoded the body
            return Response(answer.content, status_code=answer.status_code, headers=kept)
        return Response(status_code=502)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    methods = ["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"]
    return Starlette(routes=[Route("/{path:path}", forward, methods=methods)], lifespan=lifespan)


def serve_balancer(host: str, port: int, backends: Sequence[str]) -> int:
    """Serve the balancer until stopped."""
    config = uvicorn.Config(
        balancer_app(backends),
        host=host,
        port=port,
        access_log=False,  # access logs would keep addresses
        log_config=None,
        proxy_headers=False,
        server_header=False,
    )
    asyncio.run(uvicorn.Server(config).serve())
    return 0
