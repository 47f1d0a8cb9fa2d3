"""/readyz runs its checks at once, each bounded, and names what failed by class; /metrics labels are fixed
small sets; in JSON mode every standard-library log record is one JSON line (issue 15)."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import structlog
from starlette.applications import Starlette

from bot.actions.server import create_action_server, nlg_kind
from bot.content import ContentLibrary
from bot.logs import TELEGRAM_LOGGER, WithoutContents, configure_logging, stdlib_formatter
from bot.metrics import Metrics, read_restarts, safe_label, write_restarts
from bot.settings import Settings
from bot.web.health import Readiness, health_routes

ROOT = Path(__file__).resolve().parents[2]


async def slow() -> None:
    await asyncio.sleep(0.3)


async def never() -> None:
    await asyncio.sleep(60)


async def refused() -> None:
    raise ConnectionRefusedError("127.0.0.1:6379 with a message that must not be shown")


async def without_model() -> bool:
    return False


def client_for(readiness: Readiness, token: str | None = None) -> httpx.AsyncClient:
    app = Starlette(routes=health_routes(readiness, Metrics(), token))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_checks_run_at_once_and_a_hanging_one_fails_by_timeout() -> None:
    readiness = Readiness({"a": slow, "b": slow, "c": slow, "hangs": never}, timeout_s=0.5)
    started = time.monotonic()
    async with client_for(readiness) as client:
        response = await client.get("/readyz")
    assert time.monotonic() - started < 1.0  # 3 × 0.3 s in a row would not fit, nor the 60 s one
    assert response.status_code == 503
    assert response.json()["checks"]["hangs"] == {"status": "failed", "error": "TimeoutError"}
    assert response.json()["checks"]["a"] == {"status": "ok"}


async def test_a_failed_check_is_named_by_its_error_class_never_its_message() -> None:
    readiness = Readiness({"redis": refused, "rasa": without_model, "database": slow}, timeout_s=1)
    async with client_for(readiness) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "checks": {
            "redis": {"status": "failed", "error": "ConnectionRefusedError"},
            "rasa": {"status": "failed", "error": "NotReady"},
            "database": {"status": "ok"},
        },
    }
    assert "6379" not in response.text


async def test_an_informational_check_is_shown_but_never_makes_the_process_unready() -> None:
    readiness = Readiness({"redis": slow}, timeout_s=1, informational={"gateway": refused})
    async with client_for(readiness) as client:
        ready, alive = await client.get("/readyz"), await client.get("/healthz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["gateway"] == {
        "status": "failed",
        "error": "ConnectionRefusedError",
        "required": False,
    }
    assert alive.status_code == 200 and alive.json() == {"status": "alive"}


async def test_healthz_asks_nothing_of_the_dependencies() -> None:
    async with client_for(Readiness({"redis": never}, timeout_s=30)) as client:
        response = await asyncio.wait_for(client.get("/healthz"), 1)
    assert response.status_code == 200


async def test_with_a_token_metrics_ask_for_it() -> None:
    async with client_for(Readiness({}), token="s3cret-token") as client:
        anonymous = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        right = await client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
        ready = await client.get("/readyz")  # probes of compose and the proxy need no token
    assert (anonymous.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert "helpline_turns" in right.text
    assert ready.status_code == 200


def test_labels_that_are_not_a_class_or_name_become_other() -> None:
    assert safe_label("ConnectError") == "ConnectError"
    assert safe_label("rasa-1") == "rasa-1"
    assert safe_label("he took my passport") == "other"
    assert safe_label("http://10.0.0.5:5005") == "other"
    metrics = Metrics()
    metrics.reply("he took my passport")  # not a kind: never a label
    metrics.engine_error("unexpected answer")
    text = metrics.exposition().decode()
    assert "passport" not in text and "unexpected" not in text
    assert 'helpline_replies_total{kind="other"} 1.0' in text


def test_restart_counts_go_through_a_private_file(tmp_path: Path) -> None:
    assert read_restarts(tmp_path) == {}
    write_restarts(tmp_path / "logs", {"rasa-0": 2, "web": 0})
    assert read_restarts(tmp_path / "logs") == {"rasa-0": 2, "web": 0}
    assert (tmp_path / "logs").stat().st_mode & 0o077 == 0


def test_the_action_server_counts_not_understood_answers_as_fallback() -> None:
    latest = {"intent": {"name": "nlu_fallback", "confidence": 0.2}, "text": "x"}
    assert nlg_kind({"response": "utter_answer", "tracker": {"latest_message": latest}}) == "fallback"
    assert nlg_kind({"response": "utter_not_safe", "tracker": {"latest_message": latest}}) == "answer"
    assert nlg_kind(["not", "a", "dict"]) == "answer"


async def test_the_action_server_keeps_its_old_health_and_serves_the_new_ones() -> None:
    app = create_action_server(ContentLibrary.load(ROOT / "content"), ROOT / "content" / "locale")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        old, alive, ready, metrics = [
            await client.get(path) for path in ("/health", "/healthz", "/readyz", "/metrics")
        ]
    assert old.json() == {"status": "ok"} and alive.status_code == 200
    assert ready.status_code == 200 and ready.json()["checks"] == {"content": {"status": "ok"}}
    # Figures the action server does not have are absent, not a misleading 0.
    assert "helpline_queue_waiting" not in metrics.text and "helpline_engine_down" not in metrics.text


@pytest.fixture
def logging_restored() -> Iterator[None]:
    """Logging is process-wide: put back what the test changed."""
    root, telegram = logging.getLogger(), logging.getLogger(TELEGRAM_LOGGER)
    saved = (root.handlers[:], root.level, structlog.get_config())
    yield
    root.handlers, root.level = saved[0], saved[1]
    structlog.configure(**saved[2])
    telegram.handlers, telegram.propagate = [], True
    telegram.setLevel(logging.NOTSET)


def record(name: str, message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, logging.WARNING, __file__, 1, message, args, None)


@pytest.mark.usefixtures("logging_restored")
def test_in_json_mode_a_standard_library_record_is_one_json_line() -> None:
    configure_logging("INFO", json=True)
    (handler,) = logging.getLogger().handlers
    line = handler.format(record("uvicorn.error", "Application startup failed after %d s", 3))
    assert "\n" not in line
    shown = json.loads(line)
    assert shown["event"] == "Application startup failed after 3 s"
    assert (shown["level"], shown["logger"]) == ("warning", "uvicorn.error")
    assert "timestamp" in shown


@pytest.mark.usefixtures("logging_restored")
def test_in_json_mode_telegram_records_are_json_and_still_without_contents() -> None:
    configure_logging("INFO", json=True)
    (handler,) = logging.getLogger(TELEGRAM_LOGGER).handlers
    assert [type(f) for f in handler.filters] == [WithoutContents]
    stripped = record("telegram.ext.Updater", "Update %s caused an error", "they took my passport")
    assert handler.filter(stripped)  # what the handler does before it formats
    shown = json.loads(handler.format(stripped))
    assert shown["event"] == "Update %s caused an error (details withheld)"
    assert "passport" not in json.dumps(shown)


def test_a_traceback_stays_inside_its_json_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        failing = logging.LogRecord("sqlalchemy", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    shown = json.loads(stdlib_formatter(json=True).format(failing))
    assert shown["event"] == "failed" and "ValueError" in shown["exception"]


def test_the_web_app_finds_the_action_server_and_the_gateway_from_the_settings_rasa_uses() -> None:
    # HELPLINE_ACTIONS_URL is the webhook Rasa calls (helpline run, compose); /healthz is beside it.
    assert Settings(actions_url="http://actions:5055/webhook").effective_actions_url == "http://actions:5055"
    assert (
        Settings(actions_host="0.0.0.0", actions_port=5056).effective_actions_url == "http://127.0.0.1:5056"
    )
    assert Settings().effective_gateway_health_url is None  # no Telegram token: no gateway to show
    with_gateway = Settings(telegram_bot_token="123:abc")  # type: ignore[arg-type]
    assert with_gateway.effective_gateway_health_url == "http://127.0.0.1:8002"
