"""The LibreTranslate client against a fake server speaking its HTTP API: translations, the API key, and
every error the real one returns becoming a TranslationFailed that names no text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.translation import LibreTranslate, TranslationFailed
from tests.fakes.libretranslate import FakeLibreTranslate


@pytest.fixture
def server() -> Iterator[FakeLibreTranslate]:
    with FakeLibreTranslate(api_key="k-123") as fake:
        yield fake


async def test_it_translates_ukrainian_to_english_and_back(server: FakeLibreTranslate) -> None:
    client = LibreTranslate(server.base_url, api_key="k-123")
    try:
        assert await client.translate("Мені потрібна допомога", "uk", "en") == "i need help"
        assert await client.translate("We can help you", "en", "uk") == "ми можемо допомогти вам"
    finally:
        await client.aclose()
    sent = server.translations()[0]
    assert sent == {
        "q": "Мені потрібна допомога",
        "source": "uk",
        "target": "en",
        "format": "text",
        "api_key": "k-123",
    }


async def test_it_lists_the_servers_languages(server: FakeLibreTranslate) -> None:
    client = LibreTranslate(server.base_url)
    try:
        assert await client.languages() == {"en": ("en", "uk"), "uk": ("en", "uk")}
    finally:
        await client.aclose()


@pytest.mark.parametrize("status", [400, 403, 429, 500])
async def test_every_error_of_the_server_is_a_translation_failure(
    server: FakeLibreTranslate, status: int
) -> None:
    client = LibreTranslate(server.base_url, api_key="k-123")
    server.fail_next(status)
    try:
        with pytest.raises(TranslationFailed) as failure:
            await client.translate("Мені потрібна допомога", "uk", "en")
    finally:
        await client.aclose()
    assert failure.value.reason == str(status)
    assert "допомога" not in str(failure.value)


async def test_a_wrong_api_key_is_refused(server: FakeLibreTranslate) -> None:
    client = LibreTranslate(server.base_url, api_key="wrong")
    try:
        with pytest.raises(TranslationFailed, match="403"):
            await client.translate("дякую", "uk", "en")
    finally:
        await client.aclose()


async def test_a_language_the_server_lacks_is_a_failure(server: FakeLibreTranslate) -> None:
    client = LibreTranslate(server.base_url, api_key="k-123")
    try:
        with pytest.raises(TranslationFailed, match="400"):
            await client.translate("gracias", "es", "en")
    finally:
        await client.aclose()


async def test_a_slow_server_times_out(server: FakeLibreTranslate) -> None:
    server.delay_s = 2.0
    client = LibreTranslate(server.base_url, api_key="k-123", timeout_s=0.3)
    try:
        with pytest.raises(TranslationFailed, match="ReadTimeout"):
            await client.translate("дякую", "uk", "en")
    finally:
        await client.aclose()


async def test_a_server_that_is_not_there_is_a_failure() -> None:
    with FakeLibreTranslate() as gone:
        url = gone.base_url
    client = LibreTranslate(url, timeout_s=1.0)
    try:
        with pytest.raises(TranslationFailed, match="ConnectError"):
            await client.translate("дякую", "uk", "en")
    finally:
        await client.aclose()
