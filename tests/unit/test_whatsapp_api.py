"""The Cloud API's errors by class (what the adapter acts on and logs), and the commands a WhatsApp user can
type."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.commands import command_payload
from bot.channels.whatsapp_api import GraphError, error_kind
from bot.messages import Channel
from bot.settings import Settings


@pytest.mark.parametrize(
    ("status", "code", "kind", "retryable"),
    [
        (400, 131047, "window", False),  # more than 24 hours since the person's last message
        (401, 190, "auth", False),  # a token expired or revoked
        (429, 130429, "rate", True),
        (400, 131056, "rate", True),  # too many messages to one person
        (400, 131026, "recipient", False),  # not on WhatsApp, or cannot receive
        (500, 1, "server", True),
        (503, None, "server", True),
        (400, 131009, "request", False),  # a message WhatsApp refuses: a bug to fix, not to retry
    ],
)
def test_graph_errors_are_classified(status: int, code: int | None, kind: str, retryable: bool) -> None:
    assert error_kind(status, code) == kind
    assert GraphError(error_kind(status, code), status, code).retryable is retryable


@pytest.mark.parametrize(
    ("text", "payload"),
    [
        ("/erase", "/delete_data"),
        ("/Erase", "/delete_data"),
        ("/start", "/greet"),
        ("/help", "/bot_capabilities"),
    ],
)
def test_typed_commands_work_on_whatsapp(text: str, payload: str) -> None:
    assert command_payload(text, Channel.WHATSAPP) == payload


@pytest.mark.parametrize("text", ["/vanish", "erase", "/erase now", "/unknown", "hola"])
def test_other_text_is_not_a_command_on_whatsapp(text: str) -> None:
    assert command_payload(text, Channel.WHATSAPP) is None


def test_vanish_is_a_command_where_the_chat_can_vanish() -> None:
    assert command_payload("/vanish", Channel.TELEGRAM) == "/vanish_menu"


def test_whatsapp_is_on_only_when_configured_and_its_secrets_can_be_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (
        "WHATSAPP_TOKEN",
        "WHATSAPP_PHONE_NUMBER_ID",
        "WHATSAPP_APP_SECRET",
        "WHATSAPP_VERIFY_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    assert not Settings().whatsapp_enabled
    secret = tmp_path / "app_secret"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("WHATSAPP_APP_SECRET_FILE", str(secret))
    monkeypatch.setenv("WHATSAPP_TOKEN", "token")
    monkeypatch.setenv("WHATSAPP_PHONE_NUMBER_ID", "106540352242922")
    assert not Settings().whatsapp_enabled  # the verify token is still missing
    monkeypatch.setenv("WHATSAPP_VERIFY_TOKEN", "verify")
    settings = Settings()
    assert settings.whatsapp_enabled and settings.whatsapp_app_secret is not None
    assert settings.whatsapp_app_secret.get_secret_value() == "from-a-file"
    assert settings.whatsapp_api_base_url == "https://graph.facebook.com/v21.0"
