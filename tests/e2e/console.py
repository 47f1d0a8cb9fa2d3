"""A counsellor at the console, in Chromium: the fixture that logs one in, and what they do there."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine

from bot.store.counsellors import CounsellorStore
from bot.store.database import create_database_engine
from tests.fakes.telegram_api import JSON
from tests.stack import Helpline

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def database(helpline: Helpline) -> Iterator[Engine]:
    """The running helpline's database."""
    engine = create_database_engine(helpline.database_url)
    yield engine
    engine.dispose()


@contextmanager
def logged_in(
    browser: Browser, helpline: Helpline, database: Engine, name: str, languages: list[str]
) -> Iterator[Page]:
    """A new counsellor speaking `languages`, logged in with the live queue open (so: online); logged out
    after, so later tests meet a helpline with nobody on."""
    name = f"{name}{secrets.token_hex(3)}"
    CounsellorStore(database).add(name, PASSWORD, "counsellor", languages, 3)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{helpline.web_url}/console")
    page.locator("#name").fill(name)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online")
    yield page
    page.goto(f"{helpline.web_url}/console")
    page.get_by_role("button", name="Log out").click()
    expect(page.locator("#name")).to_be_visible()
    context.close()


@pytest.fixture
def counsellor(browser: Browser, helpline: Helpline, database: Engine) -> Iterator[Page]:
    """A counsellor speaking English and Spanish, logged in, with the live queue open (so: online)."""
    with logged_in(browser, helpline, database, "ana", ["en", "es"]) as page:
        yield page


def payloads(message: JSON) -> list[str]:
    """The callback data of every inline button under a message."""
    markup = message.get("reply_markup") or {}
    return [button["callback_data"] for row in markup.get("inline_keyboard", []) for button in row]


def claim(console: Page) -> None:
    """Claim the first ticket offered in the live queue and open its chat."""
    row = console.locator("#offered tbody tr.ticket").first
    expect(row).to_be_visible()
    row.get_by_role("button", name="Claim").click()
    expect(console.locator("#chat-log")).to_be_visible()
