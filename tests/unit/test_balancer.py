"""`helpline balance`: webhook posts spread over the gateways in turn, a gateway that is down skipped."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.wiring.balancer import balancer_app
from bot.wiring.gateway import start_webhook_server
from tests.stack import free_port

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def gateway(name: str) -> Starlette:
    """Answers who it is and what it was sent."""

    async def telegram(request: Request) -> JSONResponse:
        body = await request.json()
        return JSONResponse({"gateway": name, "update": body, "secret": request.headers.get(SECRET_HEADER)})

    return Starlette(routes=[Route("/telegram", telegram, methods=["POST"])])


@pytest.fixture
async def gateways() -> AsyncIterator[list[str]]:
    """Two gateways listening on loopback."""
    ports = [free_port(), free_port()]
    running = [
        await start_webhook_server(gateway(name), "127.0.0.1", port)
        for name, port in zip(("one", "two"), ports, strict=True)
    ]
    yield [f"http://127.0.0.1:{port}" for port in ports]
    for server, _task in running:
        server.should_exit = True
    await asyncio.gather(*(task for _server, task in running))


async def post(backends: list[str], update: int) -> httpx.Response:
    transport = httpx.ASGITransport(app=balancer_app(backends))
    async with httpx.AsyncClient(transport=transport, base_url="http://balancer") as client:
        return await client.post("/telegram", json={"update_id": update}, headers={SECRET_HEADER: "s3cret"})


async def test_posts_go_to_each_gateway_in_turn_whole(gateways: list[str]) -> None:
    transport = httpx.ASGITransport(app=balancer_app(gateways))
    async with httpx.AsyncClient(transport=transport, base_url="http://balancer") as client:
        answers = [
            (await client.post("/telegram", json={"update_id": n}, headers={SECRET_HEADER: "s3cret"})).json()
            for n in range(4)
        ]
    assert [answer["gateway"] for answer in answers] == ["one", "two", "one", "two"]
    assert [answer["update"]["update_id"] for answer in answers] == [0, 1, 2, 3]
    assert {answer["secret"] for answer in answers} == {"s3cret"}


async def test_a_gateway_that_does_not_listen_is_skipped(gateways: list[str]) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    for update in range(3):
        answer = await post([down, gateways[1]], update)
        assert answer.status_code == 200 and answer.json()["gateway"] == "two"


async def test_with_every_gateway_down_telegram_is_told_to_post_again_later() -> None:
    answer = await post([f"http://127.0.0.1:{free_port()}"], 1)
    assert answer.status_code == 502


async def test_the_gateways_answer_comes_back_as_it_was(gateways: list[str]) -> None:
    transport = httpx.ASGITransport(app=balancer_app(gateways))
    async with httpx.AsyncClient(transport=transport, base_url="http://balancer") as client:
        refused = await client.get("/telegram")  # the gateway allows POST only
    assert refused.status_code == 405
