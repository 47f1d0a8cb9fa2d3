"""The conversation core answers kindly when the engine is down, and counts without keeping text."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversation.core import ENGINE_DOWN, ConversationCore
from bot.conversation.messages import Channel, IncomingMessage
from bot.engine.rasa import RasaClient
from bot.store.conversations import ConversationStore
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
