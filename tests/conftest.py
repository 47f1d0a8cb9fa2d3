"""Fixtures that start real services once per test session: the whole helpline, as `make run` starts it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import structlog

from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.fakes.whatsapp_api import FakeWhatsAppAPI
from tests.stack import ROOT, Helpline, running_helpline

STAFFING_ALWAYS_OPEN = ROOT / "tests" / "fixtures" / "staffing-always-open.yml"
SMS_PUBLIC_URL = "https://helpline.example.org/sms"  # the URL set in Twilio's console, behind a proxy


@dataclass(frozen=True)
class HelplineWithTelegram:
    """The running helpline and the fake Telegram Bot API its gateway talks to."""

    helpline: Helpline
    telegram: FakeTelegramAPI
    twilio: FakeTwilioAPI
    whatsapp: FakeWhatsAppAPI


@pytest.fixture(autouse=True)
def own_secrets_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test makes its secrets in a folder of its own, never in the developer's ~/.config/helpline."""
    folder = tmp_path_factory.mktemp("secrets")
    monkeypatch.setenv("HELPLINE_SECRETS_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def logging_as_it_was() -> Iterator[None]:
    """A test that runs a `helpline` command configures logging for the process (loggers cached on first
    use); later tests must still capture log events, so the configuration is put back after each test."""
    config = structlog.get_config()
    yield
    structlog.reset_defaults()
    structlog.configure(**config)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HelplineWithTelegram]:
    """The whole helpline (embedded Redis, SQLite, Rasa, actions, web, gateway) and its fake Telegram."""
    telegram = FakeTelegramAPI()
    telegram.start()
    twilio = FakeTwilioAPI(webhook_url=SMS_PUBLIC_URL)
    twilio.start()
    whatsapp = FakeWhatsAppAPI()
    whatsapp.start()
    env = {
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        **whatsapp_env(whatsapp),
        "HELPLINE_LOG_LEVEL": "DEBUG",
        # Counsellors on duty whenever the tests run; the shipped schedule is tested on its own.
        "HELPLINE_STAFFING_FILE": str(STAFFING_ALWAYS_OPEN),
        # SMS through the fake Twilio; Twilio signs the public URL, and posts to the web app's /sms.
        "TWILIO_ACCOUNT_SID": twilio.account_sid,
        "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_FROM_NUMBER": twilio.number,
        "TWILIO_API_BASE_URL": twilio.base_url,
        "SMS_WEBHOOK_URL": SMS_PUBLIC_URL,
    }
    try:
        with running_helpline(tmp_path_factory.mktemp("helpline-data"), env) as helpline:
            twilio.webhook_target = f"{helpline.web_url}/sms"
            whatsapp.webhook_url = f"{helpline.web_url}/whatsapp"  # Meta's webhook, as set in the Meta app
            yield HelplineWithTelegram(helpline, telegram, twilio, whatsapp)
    finally:
        telegram.stop()
        twilio.stop()
        whatsapp.stop()


WHATSAPP_VERIFY_TOKEN = "test-verify-token"


def whatsapp_env(whatsapp: FakeWhatsAppAPI) -> dict[str, str]:
    """The settings that point the helpline's WhatsApp channel at the fake Cloud API."""
    return {
        "WHATSAPP_TOKEN": whatsapp.token,
        "WHATSAPP_PHONE_NUMBER_ID": whatsapp.phone_number_id,
        "WHATSAPP_APP_SECRET": whatsapp.app_secret,
        "WHATSAPP_VERIFY_TOKEN": WHATSAPP_VERIFY_TOKEN,
        "WHATSAPP_API_BASE_URL": whatsapp.base_url,
    }


@pytest.fixture(scope="session")
def helpline(stack: HelplineWithTelegram) -> Helpline:
    """The running helpline."""
    return stack.helpline


@pytest.fixture(scope="session")
def telegram(stack: HelplineWithTelegram) -> FakeTelegramAPI:
    """The fake Telegram Bot API the gateway polls."""
    return stack.telegram


@pytest.fixture(scope="session")
def twilio(stack: HelplineWithTelegram) -> FakeTwilioAPI:
    """The fake Twilio Messages API the web app sends SMS through (and that texts its /sms)."""
    return stack.twilio


@pytest.fixture(scope="session")
def whatsapp(stack: HelplineWithTelegram) -> FakeWhatsAppAPI:
    """The fake WhatsApp Cloud API the web app sends to, which posts people's messages to /whatsapp."""
    return stack.whatsapp


@pytest.fixture(scope="session")
def web_base_url(helpline: Helpline) -> str:
    """Base URL of the running web app (web chat at /chat)."""
    return helpline.web_url
