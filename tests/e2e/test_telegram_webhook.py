"""Webhook mode: Telegram posts updates to the gateway with its secret token; anything else is refused."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from bot.content import ContentLibrary
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.stack import ROOT, Helpline, free_port

pytestmark = pytest.mark.e2e
SECRET = "webhook-secret-for-tests"


@pytest.fixture(scope="module")
def webhook_gateway(helpline: Helpline) -> Iterator[tuple[FakeTelegramAPI, int]]:
    """A second gateway, in webhook mode, sharing the running helpline's Redis, Rasa and database."""
    telegram = FakeTelegramAPI(token="654321:WEBHOOK-TOKEN")
    telegram.start()
    port = free_port()
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("HELPLINE_", "TELEGRAM_"))},
        "HELPLINE_DATA_DIR": str(helpline.data_dir),
        "HELPLINE_SECRETS_DIR": str(helpline.secrets_dir),
        "HELPLINE_RASA_URL": helpline.rasa_url,
        "HELPLINE_RASA_TOKEN": helpline.rasa_token,
        "HELPLINE_REDIS_URL": helpline.redis_url,
        "HELPLINE_PSEUDONYM_SECRET": helpline.pseudonym_secret.decode(),
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "HELPLINE_TELEGRAM_WEBHOOK_PORT": str(port),
        "HELPLINE_GATEWAY_HEALTH_PORT": str(free_port()),  # never the default 8002 of another gateway
    }
    log = helpline.data_dir / "logs" / "webhook-gateway.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "gateway"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        telegram.wait_for_call("setWebhook", timeout=60)  # registered once the listener is up
        yield telegram, port
    finally:
        process.terminate()
        process.wait(timeout=30)
        telegram.stop()


def test_updates_posted_with_the_secret_are_answered(webhook_gateway: tuple[FakeTelegramAPI, int]) -> None:
    telegram, _port = webhook_gateway
    registered = telegram.calls("setWebhook")[-1].params
    assert registered["secret_token"] == SECRET
    telegram.send_text(880_000_001, "i need a safe place to sleep tonight")
    [answer] = telegram.wait_for_messages(880_000_001, 1)
    assert answer["text"] == ContentLibrary.load(ROOT / "content").reply_for_intent("ask_shelter", "en").text


def test_a_post_without_the_secret_is_refused(webhook_gateway: tuple[FakeTelegramAPI, int]) -> None:
    _telegram, port = webhook_gateway
    forged = {
        "update_id": 999,
        "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "hi"},
    }
    response = httpx.post(f"http://127.0.0.1:{port}/telegram", json=forged, timeout=10)
    assert response.status_code == 403


def test_an_update_delivered_twice_is_answered_once(
    webhook_gateway: tuple[FakeTelegramAPI, int], helpline: Helpline
) -> None:
    """Telegram retries a webhook call it thinks failed; the person must not read the answer twice."""
    telegram, _port = webhook_gateway
    user = 880_000_002
    update = telegram.send_text(user, "what are my rights")
    telegram.wait_for_messages(user, 1)
    telegram.redeliver(update)
    telegram.send_text(user, "thank you")
    telegram.wait_for_messages(user, 2)
    time.sleep(1)
    assert len(telegram.sent_messages(user)) == 2
    assert "duplicate_update_dropped" in (helpline.data_dir / "logs" / "webhook-gateway.log").read_text()
