"""The conversation core answers in the person's language, kindly when the engine is down, and counts
without keeping text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.conversation.core import ENGINE_DOWN, ConversationCore
from bot.conversation.language import LanguageDetector
from bot.engine.rasa import RasaClient
from bot.i18n import Translator
from bot.messages import Channel, IncomingMessage, Reply
from bot.store.conversations import ConversationStore, StoredConversation
from bot.store.database import create_database_engine, upgrade_database
from tests.stack import ROOT, free_port

pytestmark = pytest.mark.integration


async def test_when_rasa_is_down_the_person_is_told_to_try_again_and_nothing_crashes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'helpline.db'}"
    upgrade_database(url)
    database = create_database_engine(url)
    rasa = RasaClient([f"http://127.0.0.1:{free_port()}"], None, timeout_s=2)
    core = ConversationCore(rasa, ConversationStore(database), ROOT / "content" / "locale")
    try:
        replies = await core.handle(IncomingMessage("a" * 64, Channel.WEBCHAT, "he took my passport", "en"))
        await core.drain()
    finally:
        await rasa.aclose()
    conversation = ConversationStore(database).find("a" * 64, "webchat")
    database.dispose()
    assert [reply.text for reply in replies] == [ENGINE_DOWN]
    assert conversation is not None and conversation.message_count == 1


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    url = f"sqlite:///{tmp_path / 'helpline.db'}"
    upgrade_database(url)
    database = create_database_engine(url)
    yield ConversationStore(database)
    database.dispose()


async def answer(store: ConversationStore, text: str, app_language: str, pseudonym: str = "b" * 64) -> Reply:
    """One turn with Rasa unreachable: the reply is the "try again" notice, in the language chosen."""
    rasa = RasaClient([f"http://127.0.0.1:{free_port()}"], None, timeout_s=2)
    core = ConversationCore(rasa, store, ROOT / "content" / "locale", LanguageDetector())
    try:
        replies = await core.handle(IncomingMessage(pseudonym, Channel.TELEGRAM, text, app_language))
        await core.drain()
    finally:
        await rasa.aclose()
    return replies[0]


async def test_the_person_is_answered_in_the_language_they_write_and_it_is_kept(
    store: ConversationStore,
) -> None:
    first = await answer(store, "me quitaron el pasaporte y necesito un abogado", app_language="en")
    second = await answer(store, "ok", app_language="en")
    assert (first.locale, second.locale) == ("es", "es")
    assert first.text == Translator(ROOT / "content" / "locale", "es").gettext(ENGINE_DOWN) != ENGINE_DOWN
    assert store.state_of("b" * 64, "telegram") == StoredConversation("es", "detected")


async def test_a_language_button_wins_over_what_the_person_writes_later(store: ConversationStore) -> None:
    await answer(store, "/language_uk", app_language="ru")
    later = await answer(store, "мне нужен бесплатный адвокат, помогите", app_language="ru")
    assert later.locale == "uk"
    assert store.state_of("b" * 64, "telegram") == StoredConversation("uk", "explicit")


async def test_without_a_clear_message_the_apps_language_is_used(store: ConversationStore) -> None:
    assert (await answer(store, "ok", app_language="ro")).locale == "ro"
