"""The web app: web chat for survivors (and, later, the counsellor console)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.channels.webchat import webchat_routes
from bot.wiring import Services


def create_app(services: Services) -> Starlette:
    """The ASGI app, over services opened by the caller."""

    async def home(_request: Request) -> Response:
        return RedirectResponse("/chat", status_code=307)

    async def health(_request: Request) -> Response:
        await services.redis.ping()
        return JSONResponse({"status": "ok"})

    routes = [
        Route("/", home),
        Route("/healthz", health),
        *webchat_routes(services.core, services.settings, services.pseudonym_secret),
    ]
    return Starlette(routes=routes)
