"""The privacy notice page: the reviewed privacy entry, in every language, locked down like the chat."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.channels.webchat import webchat_routes
from bot.content import ContentLibrary
from bot.i18n import SUPPORTED_LOCALES
from bot.messages import Channel, IncomingMessage, Reply
from bot.settings import Settings
from bot.web.privacy import PrivacyPage

ROOT = Path(__file__).resolve().parents[2]


class NoConversation:
    async def handle(self, message: IncomingMessage) -> list[Reply]:
        return []

    async def locale_for(self, pseudonym: str, channel: Channel, hint: str) -> str:
        return hint


@pytest.fixture(scope="module")
def content() -> ContentLibrary:
    return ContentLibrary.load(ROOT / "content")


@pytest.fixture(scope="module")
def client(content: ContentLibrary) -> TestClient:
    settings = Settings(data_dir=Path("/nonexistent"))
    routes = [*webchat_routes(NoConversation(), settings, b"secret"), PrivacyPage(content, settings).route()]
    return TestClient(Starlette(routes=routes))


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_notice_is_the_reviewed_privacy_text_in_each_language(
    client: TestClient, content: ContentLibrary, locale: str
) -> None:
    page = client.get(f"/privacy?lang={locale}")
    assert page.status_code == 200
    assert f'lang="{locale}"' in page.text
    assert ('dir="rtl"' in page.text) == (locale == "ar")
    first_paragraph = content.reply("privacy", locale).text.split("\n\n")[0]
    assert first_paragraph.replace("'", "&#39;") in page.text


def test_the_browsers_language_is_used_without_a_choice(client: TestClient) -> None:
    page = client.get("/privacy", headers={"Accept-Language": "ro-RO,ro;q=0.9"})
    assert 'lang="ro"' in page.text


def test_the_page_loads_nothing_from_elsewhere_and_is_never_cached(client: TestClient) -> None:
    page = client.get("/privacy")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert "http://" not in page.text and "https://" not in page.text
