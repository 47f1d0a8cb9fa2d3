"""A blocked person: a neutral message and their country's emergency numbers, never the engine, never a
counsellor; danger still gets the emergency number first; the safe word and erase still work."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from bot.conversation.blocked import BlockedDesk
from bot.conversation.core import ConversationCore
from bot.conversation.danger_first import DangerFirst
from bot.messages import Channel, IncomingMessage
from bot.store.conversations import StoredConversation
from tests.unit.test_core_routing import (
    CATALOGS,
    LIBRARY,
    MARIA,
    FakeConversationLog,
    FakeEngine,
    FakeHandoff,
    FakeNet,
    FakePrivacy,
)

UKRAINE_DANGER = LIBRARY.reply_for_intent("immediate_danger", "uk", "UA").text
UKRAINE_BLOCKED = LIBRARY.reply("blocked", "uk", "UA").text


@dataclass
class FakeBlocks:
    blocked: set[str] = field(default_factory=set)
    down: bool = False

    def blocked_until(self, pseudonym: str) -> datetime | None:
        if self.down:
            raise ConnectionError("the database is down")
        return datetime(2030, 1, 1, tzinfo=timezone.utc) if pseudonym in self.blocked else None


@dataclass
class BlockedWorld:
    engine: FakeEngine
    handoff: FakeHandoff
    privacy: FakePrivacy
    blocks: FakeBlocks
    core: ConversationCore


def blocked_world() -> BlockedWorld:
    engine, handoff, privacy, blocks = FakeEngine(), FakeHandoff(), FakePrivacy(), FakeBlocks({MARIA})
    conversations = FakeConversationLog(
        {(MARIA, "webchat"): StoredConversation("uk", "explicit", "UA", None)}
    )
    core = ConversationCore(
        engine,
        conversations,
        CATALOGS,
        handoff=handoff,
        privacy=privacy,
        danger=DangerFirst(FakeNet(), LIBRARY),
        blocked=BlockedDesk(blocks, LIBRARY),
    )
    return BlockedWorld(engine, handoff, privacy, blocks, core)


def says(text: str) -> IncomingMessage:
    return IncomingMessage(MARIA, Channel.WEBCHAT, text, "uk")


async def test_a_blocked_person_gets_the_neutral_message_then_their_countrys_emergency_numbers() -> None:
    w = blocked_world()
    replies = await w.core.handle(says("привіт"))
    assert [reply.text for reply in replies] == [UKRAINE_BLOCKED, UKRAINE_DANGER]
    assert "112" in UKRAINE_DANGER and "102" in UKRAINE_DANGER
    assert w.engine.asked == []


async def test_a_blocked_person_in_danger_gets_the_emergency_number_first() -> None:
    w = blocked_world()
    replies = await w.core.handle(says("they locked me in"))
    assert [reply.text for reply in replies] == [UKRAINE_DANGER, UKRAINE_BLOCKED]


async def test_a_blocked_person_cannot_join_the_queue_nor_write_to_a_counsellor() -> None:
    w = blocked_world()
    w.handoff.open_for.add(MARIA)
    w.handoff.offered.add("tok")
    await w.core.handle(says("hello counsellor"))
    await w.core.handle(says("/handoff_accept_tok"))
    assert w.handoff.forwarded == [] and w.handoff.joined == []


async def test_a_blocked_person_can_still_use_the_safe_word_and_erase() -> None:
    w = blocked_world()
    assert [reply.text for reply in await w.core.handle(says("sunflower"))] == [
        "Tip of the day: drink water."
    ]
    assert (await w.core.handle(says("/erase_confirm")))[0].erased
    assert w.privacy.answered == ["safe_word", "erase"]


async def test_a_block_list_that_cannot_be_read_blocks_nobody() -> None:
    w = blocked_world()
    w.blocks.down = True
    replies = await w.core.handle(says("where can I sleep"))
    assert [reply.text for reply in replies] == ["the engine's answer"]


def test_the_blocked_message_accuses_nobody_and_is_in_every_language() -> None:
    english = LIBRARY.reply("blocked", "en").text
    for word in ("abuse", "abusive", "blocked", "banned", "report"):
        assert word not in english.lower()
    for locale in ("es", "fr", "pt", "ro", "ru", "uk", "ar", "sq", "vi", "zh", "th", "ti", "tl"):
        rendered = LIBRARY.reply("blocked", locale)
        assert not rendered.fallback_locale, locale
