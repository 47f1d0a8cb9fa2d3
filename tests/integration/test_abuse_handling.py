"""Abuse handling end to end over real Redis and SQLite: a counsellor flags a chat, a supervisor blocks the
person, and the person's next message gets the neutral message and their country's emergency numbers (never
the bot's engine, never the queue); every step is audited without the pseudonym; the block expires."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.content import ContentLibrary
from bot.content.danger import DangerNet
from bot.conversation.blocked import BlockedDesk
from bot.conversation.core import ConversationCore
from bot.conversation.danger_first import DangerFirst
from bot.messages import Channel, IncomingMessage, Reply
from bot.store.blocks import BlockStore
from bot.store.conversations import ConversationStore
from tests.integration.console_world import ROOT, World, console_world

pytestmark = pytest.mark.integration
CONTENT = ROOT / "content"
LIBRARY = ContentLibrary.load(CONTENT)
FLAG_ROW = re.compile(r'data-flag="(\d+)"')
BLOCK_ROW = re.compile(r'data-block="(\d+)"')


@dataclass
class CountingEngine:
    """The bot's engine: answers every message, and remembers being asked."""

    asked: list[str] = field(default_factory=list)

    async def send(self, pseudonym: str, text: str, metadata: dict[str, object]) -> list[Reply]:
        self.asked.append(text)
        return [Reply(text="the bot's answer")]


@pytest.fixture
def world(tmp_path: Path, redis_url: str) -> Iterator[World]:
    with console_world(tmp_path, redis_url) as found:
        yield found


def core_over(database: Engine, engine: CountingEngine, blocks: BlockStore) -> ConversationCore:
    """The conversation core as the helpline wires it, over the console's database."""
    return ConversationCore(
        engine,
        ConversationStore(database),
        CONTENT / "locale",
        danger=DangerFirst(DangerNet.load(CONTENT / "danger"), LIBRARY),
        blocked=BlockedDesk(blocks, LIBRARY),
    )


def flag_and_block(world: World) -> tuple[str, str]:
    """Ana flags a Ukrainian-speaking person's chat, Sam blocks them for 24 hours; (ticket id, pseudonym)."""
    ana, sam = world.counsellor("ana", languages="uk,en"), world.counsellor("sam", "supervisor")
    ticket = world.ticket(locale="uk")
    ana.claim(ticket)
    flagged = ana.post(f"/console/chats/{ticket.id}/flag", {"reason": "threats_to_staff"})
    assert flagged.headers["location"] == f"/console/chats/{ticket.id}?notice=flagged"
    page = sam.get("/console/supervisor")
    assert ticket.nickname in page.text and "Threats to staff" in page.text
    assert world.pseudonyms[0] not in page.text
    [flag_id] = FLAG_ROW.findall(page.text)
    blocked = sam.post(f"/console/supervisor/flags/{flag_id}/block", {"period": "24h"})
    assert blocked.headers["location"] == "/console/supervisor?notice=blocked"
    return ticket.id, world.pseudonyms[0]


def test_a_flagged_then_blocked_person_gets_the_neutral_message_and_their_countrys_numbers(
    world: World,
) -> None:
    assert world.database is not None
    ticket_id, pseudonym = flag_and_block(world)
    ConversationStore(world.database).record_message(pseudonym, "webchat", "uk", "explicit", "ES")
    engine = CountingEngine()
    core = core_over(world.database, engine, BlockStore(world.database))

    replies = [reply.text for reply in world.run(lambda: core.handle(says(pseudonym, "привіт")))]

    assert replies == [
        LIBRARY.reply("blocked", "uk", "ES").text,
        LIBRARY.reply_for_intent("immediate_danger", "uk", "ES").text,
    ]
    assert "112" in replies[1]
    assert engine.asked == []
    trail = [
        (line.action, line.detail) for line in reversed(world.handoffs.audit_trail(handoff_id=ticket_id))
    ]
    assert ("flagged", "threats_to_staff") in trail and ("blocked", "24 h, threats_to_staff") in trail
    assert all(pseudonym not in detail for _action, detail in trail)


def test_a_blocked_person_in_danger_gets_the_emergency_number_first(world: World) -> None:
    assert world.database is not None
    _ticket_id, pseudonym = flag_and_block(world)
    ConversationStore(world.database).record_message(pseudonym, "webchat", "en", "explicit", "GB")
    core = core_over(world.database, CountingEngine(), BlockStore(world.database))

    replies = world.run(lambda: core.handle(says(pseudonym, "they locked me in the room, help", "en")))

    assert replies[0].text == LIBRARY.reply_for_intent("immediate_danger", "en", "GB").text
    assert "999" in replies[0].text
    assert replies[1].text == LIBRARY.reply("blocked", "en", "GB").text


def test_the_block_expires_and_the_bot_answers_again(world: World) -> None:
    assert world.database is not None
    _ticket_id, pseudonym = flag_and_block(world)
    tomorrow = datetime.now(timezone.utc) + timedelta(hours=24, minutes=1)
    engine = CountingEngine()
    core = core_over(world.database, engine, BlockStore(world.database, clock=lambda: tomorrow))

    replies = world.run(lambda: core.handle(says(pseudonym, "hello again")))

    assert [reply.text for reply in replies] == ["the bot's answer"]
    assert engine.asked == ["hello again"]


def test_a_supervisor_ends_a_block_early(world: World) -> None:
    assert world.database is not None
    _ticket_id, pseudonym = flag_and_block(world)
    sam = world.counsellor("sam2", "supervisor")
    [block_id] = BLOCK_ROW.findall(sam.get("/console/supervisor").text)
    ended = sam.post(f"/console/supervisor/blocks/{block_id}/unblock")
    assert ended.headers["location"] == "/console/supervisor?notice=unblocked"
    assert BlockStore(world.database).blocked_until(pseudonym) is None
    assert "Nobody is blocked." in sam.get("/console/supervisor").text


def test_counsellors_cannot_block_and_cannot_flag_a_chat_they_cannot_read(world: World) -> None:
    ana, bea = world.counsellor("ana"), world.counsellor("bea")
    ticket = world.ticket()
    ana.claim(ticket)
    refused = bea.post(f"/console/chats/{ticket.id}/flag", {"reason": "prank"})
    assert refused.headers["location"] == "/console/?notice=not_holding"
    made_up = ana.post(f"/console/chats/{ticket.id}/flag", {"reason": "I just did not like them"})
    assert made_up.headers["location"] == f"/console/chats/{ticket.id}?notice=invalid"
    assert ana.post("/console/supervisor/flags/1/block", {"period": "24h"}).status_code == 403


def says(pseudonym: str, text: str, locale: str = "uk") -> IncomingMessage:
    return IncomingMessage(pseudonym, Channel.WEBCHAT, text, locale)
