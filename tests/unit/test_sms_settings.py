"""SMS is on only when Twilio is fully configured; Twilio's own variable names are read."""

from __future__ import annotations

import pytest

from bot.settings import Settings

TWILIO = {
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "auth-token",
    "TWILIO_FROM_NUMBER": "+15005550006",
    "SMS_WEBHOOK_URL": "https://helpline.example.org/sms",
}


@pytest.fixture(autouse=True)
def no_twilio_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [*TWILIO, "TWILIO_API_BASE_URL"]:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"HELPLINE_{name}", raising=False)


def test_sms_is_on_with_the_account_token_number_and_public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in TWILIO.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.sms_configured
    assert settings.twilio_api_base_url == "https://api.twilio.com"
    assert settings.sms_webhook_url == TWILIO["SMS_WEBHOOK_URL"]


@pytest.mark.parametrize("missing", list(TWILIO))
def test_sms_is_off_when_anything_is_missing(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    for name, value in TWILIO.items():
        if name != missing:
            monkeypatch.setenv(name, value)
    assert not Settings().sms_configured
