"""The web app: web chat for survivors, and the delivery of counsellors' messages to them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.webchat import webchat
from bot.conversation.messages import Channel
from bot.handoff.relay import OutboundDelivery
from bot.wiring import Services


def create_app(services: Services, extra_routes: list[BaseRoute] | None = None) -> Starlette:
    """The ASGI app, over services opened by the caller; it delivers web chat messages while it runs."""
    chat_routes, socket = webchat(services.core, services.settings, services.pseudonym_secret)
    delivery = OutboundDelivery(
        services.redis,
        services.cipher,
        Channel.WEBCHAT.value,
        consumer="webchat-1",  # fixed: after a restart it re-reads what it had not delivered
        deliver=socket.deliver,
    )
    socket.on_connect = delivery.deliver_pending_now

    async def home(_request: Request) -> Response:
        return RedirectResponse("/chat", status_code=307)

    async def health(_request: Request) -> Response:
        await services.redis.ping()
        return JSONResponse({"status": "ok"})

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        delivering = asyncio.create_task(delivery.run(stop))
        try:
            yield
        finally:
            stop.set()
            await delivering

    routes = [Route("/", home), Route("/healthz", health), *chat_routes, *(extra_routes or [])]
    return Starlette(routes=routes, lifespan=lifespan)
