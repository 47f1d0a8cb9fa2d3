"""Health and metrics of the web app, the action server and the gateway, on real Redis and SQLite, with a
small fake Rasa (issue 15): /readyz names the dependency that is down; /metrics counts turns and their
kinds and never shows a pseudonym or what the person wrote."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram.ext import ApplicationBuilder

from bot.actions.server import create_action_server
from bot.content import ContentLibrary
from bot.content.danger import DangerNet
from bot.handoff.delivery import OutboundDelivery
from bot.messages import Channel, IncomingMessage
from bot.metrics import write_restarts
from bot.settings import Settings
from bot.store.database import upgrade_database
from bot.wiring.actions import action_readiness
from bot.wiring.gateway import health_app, start_webhook_server
from bot.wiring.services import Services, services
from bot.wiring.web import create_app
from tests.stack import ROOT, free_port

pytestmark = pytest.mark.integration

PSEUDONYM = "f3" * 32
WORDS = "my boss in Valencia keeps my passport"
ENGINE_SAYS = "An answer from the engine."


def fake_rasa() -> Starlette:
    """Rasa with a model loaded: /status names one, and every turn gets one answer."""

    async def status(_request: Request) -> Response:
        return JSONResponse({"model_file": "helpline.tar.gz"})

    async def turn(_request: Request) -> Response:
        return JSONResponse([{"custom": {"text": ENGINE_SAYS}}])

    return Starlette(
        routes=[Route("/status", status), Route("/webhooks/helpline/webhook", turn, methods=["POST"])]
    )


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """Serve an ASGI app on a free loopback port (as the gateway serves its own); its base URL."""
    port = free_port()
    server, serving_task = await start_webhook_server(app, "127.0.0.1", port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving_task


LOAD_DANGER_NET = DangerNet.load


@functools.cache
def danger_net() -> DangerNet:
    return LOAD_DANGER_NET(ROOT / "content" / "danger")


@pytest.fixture(autouse=True)
def danger_net_loaded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The danger net takes seconds to compile: each test's services share one (it is read-only)."""
    monkeypatch.setattr(DangerNet, "load", staticmethod(lambda _folder: danger_net()))


@pytest.fixture
async def rasa_url() -> AsyncIterator[str]:
    async with serving(fake_rasa()) as url:
        yield url


@pytest.fixture
async def actions_url() -> AsyncIterator[str]:
    app = create_action_server(ContentLibrary.load(ROOT / "content"), ROOT / "content" / "locale")
    async with serving(app) as url:
        yield url


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    database_url = f"sqlite:///{tmp_path / 'helpline.db'}"
    upgrade_database(database_url)
    values: dict[str, Any] = {"data_dir": tmp_path, "database_url": database_url, "readiness_timeout_s": 1.0}
    return Settings(**(values | overrides))


@asynccontextmanager
async def web(settings: Settings) -> AsyncIterator[tuple[Services, httpx.AsyncClient]]:
    """The web app over real services, and a client talking to it in this event loop."""
    async with services(settings) as opened:
        transport = httpx.ASGITransport(app=create_app(opened))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield opened, client


async def test_the_web_app_is_ready_when_redis_the_database_rasa_and_the_action_server_answer(
    tmp_path: Path, redis_url: str, rasa_url: str, actions_url: str
) -> None:
    settings = settings_for(tmp_path, redis_url=redis_url, rasa_url=rasa_url, actions_url=actions_url)
    async with web(settings) as (_opened, client):
        response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {name: {"status": "ok"} for name in ("redis", "database", "rasa", "actions")},
    }


async def test_the_web_app_is_not_ready_and_names_redis_when_redis_is_unreachable(
    tmp_path: Path, rasa_url: str, actions_url: str
) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    settings = settings_for(tmp_path, redis_url=closed, rasa_url=rasa_url, actions_url=actions_url)
    async with web(settings) as (_opened, client):
        ready, alive = await client.get("/readyz"), await client.get("/healthz")
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert checks["redis"] == {"status": "failed", "error": "ConnectionError"}
    assert [name for name, check in checks.items() if check["status"] == "failed"] == ["redis"]
    assert alive.status_code == 200  # alive, only not ready


async def test_the_web_app_is_not_ready_and_names_rasa_when_rasa_is_unreachable(
    tmp_path: Path, redis_url: str, actions_url: str
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    settings = settings_for(tmp_path, redis_url=redis_url, rasa_url=closed, actions_url=actions_url)
    async with web(settings) as (_opened, client):
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["rasa"] == {"status": "failed", "error": "NotReady"}
    assert response.json()["checks"]["redis"] == {"status": "ok"}


async def test_the_web_app_shows_the_gateway_without_depending_on_it(
    tmp_path: Path, redis_url: str, rasa_url: str, actions_url: str
) -> None:
    gateway = f"http://127.0.0.1:{free_port()}"  # configured, not running
    settings = settings_for(
        tmp_path, redis_url=redis_url, rasa_url=rasa_url, actions_url=actions_url, gateway_health_url=gateway
    )
    async with web(settings) as (_opened, client):
        response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["gateway"] == {
        "status": "failed",
        "error": "ConnectError",
        "required": False,
    }


async def test_metrics_count_turns_and_their_kinds_and_read_the_live_figures(
    tmp_path: Path, redis_url: str, rasa_url: str, actions_url: str
) -> None:
    settings = settings_for(tmp_path, redis_url=redis_url, rasa_url=rasa_url, actions_url=actions_url)
    write_restarts(tmp_path / "logs", {"rasa-0": 2, "web": 0})  # as `helpline run` writes them
    async with web(settings) as (opened, client):
        for text in (WORDS, "hello"):
            await opened.core.handle(IncomingMessage(PSEUDONYM, Channel.WEBCHAT, text, "en"))
        await opened.core.drain()
        text = (await client.get("/metrics")).text
    assert 'helpline_turns_total{channel="webchat"} 2.0' in text
    assert 'helpline_replies_total{kind="answer"} 2.0' in text
    assert 'helpline_turn_seconds_count{channel="webchat"} 2.0' in text
    assert 'helpline_part_restarts{part="rasa-0"} 2.0' in text
    assert 'helpline_outbound_pending{channel="webchat"}' in text
    for name in ("helpline_queue_waiting", "helpline_queue_longest_wait_seconds", "helpline_engine_down"):
        assert f"\n{name} " in text


async def test_when_the_engine_is_down_metrics_count_its_errors_and_the_content_only_answers(
    tmp_path: Path, redis_url: str, actions_url: str
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    settings = settings_for(tmp_path, redis_url=redis_url, rasa_url=closed, actions_url=actions_url)
    async with web(settings) as (opened, client):
        opened.core._engine._wait_s = 0.0  # type: ignore[attr-defined]  # no 20 s wait in a test
        await opened.core.handle(IncomingMessage(PSEUDONYM, Channel.WEBCHAT, "/ask_shelter", "en"))
        await opened.core.drain()
        text = (await client.get("/metrics")).text
    assert 'helpline_engine_errors_total{error="ConnectError"} 1.0' in text
    assert 'helpline_replies_total{kind="degraded"} 1.0' in text
    assert "helpline_engine_down 1.0" in text


async def test_neither_metrics_nor_readiness_show_a_pseudonym_or_what_was_written(
    tmp_path: Path, redis_url: str, rasa_url: str, actions_url: str
) -> None:
    settings = settings_for(tmp_path, redis_url=redis_url, rasa_url=rasa_url, actions_url=actions_url)
    async with web(settings) as (opened, client):
        for text in (WORDS, "I am in danger, help", "/ask_shelter"):
            await opened.core.handle(IncomingMessage(PSEUDONYM, Channel.WEBCHAT, text, "en"))
        await opened.core.drain()
        shown = (await client.get("/metrics")).text + (await client.get("/readyz")).text
    assert "helpline_turns_total" in shown
    for secret in (PSEUDONYM, PSEUDONYM[:12], WORDS, "Valencia", "passport", "danger, help", ENGINE_SAYS):
        assert secret not in shown
    assert "127.0.0.1" not in shown and redis_url not in shown


async def test_the_action_server_is_ready_with_redis_and_content_and_names_redis_when_it_is_down(
    redis_url: str,
) -> None:
    content = ContentLibrary.load(ROOT / "content")
    closed = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    up = Redis.from_url(redis_url)
    try:
        results = {}
        for name, redis in (("up", up), ("down", closed)):
            app = create_action_server(
                content, ROOT / "content" / "locale", readiness=action_readiness(redis, content, 1)
            )
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                results[name] = await client.get("/readyz")
    finally:
        await up.aclose()
        await closed.aclose()
    assert results["up"].status_code == 200
    assert results["down"].status_code == 503
    assert results["down"].json()["checks"] == {
        "redis": {"status": "failed", "error": "ConnectionError"},
        "content": {"status": "ok"},
    }


async def test_the_gateway_is_not_ready_until_telegram_updates_come_in(
    tmp_path: Path, redis_url: str, rasa_url: str
) -> None:
    settings = settings_for(tmp_path, redis_url=redis_url, rasa_url=rasa_url)
    async with services(settings) as opened:
        application = ApplicationBuilder().token("123456:not-a-real-token").build()  # built, not started
        delivery = OutboundDelivery(
            opened.redis, opened.cipher, "telegram", "telegram-1", deliver=lambda _message: _never()
        )
        transport = httpx.ASGITransport(app=health_app(opened, application, delivery))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            ready, alive, metrics = [await client.get(p) for p in ("/readyz", "/healthz", "/metrics")]
    assert alive.status_code == 200
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert checks["telegram"] == {"status": "failed", "error": "NotReady"}
    assert {checks[name]["status"] for name in ("redis", "database", "rasa")} == {"ok"}
    assert 'helpline_outbound_pending{channel="telegram"}' in metrics.text


async def _never() -> bool:
    return False
