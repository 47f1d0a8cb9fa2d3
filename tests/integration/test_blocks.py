"""Flags and blocks on real databases (SQLite always, PostgreSQL where reachable): a block ends by itself,
every change is audited without the pseudonym, and the person's erase does not undo it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from argon2 import PasswordHasher
from cryptography.fernet import Fernet
from sqlalchemy import Engine

from bot.privacy.crypto import TranscriptCipher
from bot.store.blocks import PERIODS, BlockStore, UnknownFlag
from bot.store.counsellors import CounsellorStore
from bot.store.database import create_database_engine, upgrade_database
from bot.store.handoffs import HandoffStore

pytestmark = pytest.mark.integration
MARIA = "b" * 64
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade_database(database_url)
    engine = create_database_engine(database_url)
    yield engine
    engine.dispose()


def flagged_chat(engine: Engine, clock: Clock) -> tuple[BlockStore, HandoffStore, int, int]:
    """A handoff of MARIA's, flagged by a counsellor; the store, the handoffs, the flag and the counsellor."""
    staff = CounsellorStore(engine, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    ana = staff.add("ana", "correct horse battery staple", "counsellor", "en")
    handoffs = HandoffStore(engine, TranscriptCipher(Fernet.generate_key().decode()), clock)
    handoffs.record_queued("t1", MARIA, "webchat", "uk", "UA", "normal", None, "Visitor 1001", at=NOW)
    blocks = BlockStore(engine, clock)
    return blocks, handoffs, blocks.flag("t1", MARIA, ana.id, "threats_to_staff"), ana.id


def test_a_block_is_in_force_for_its_period_then_ends_by_itself(engine: Engine) -> None:
    clock = Clock()
    blocks, _handoffs, flag, ana = flagged_chat(engine, clock)
    assert blocks.blocked_until(MARIA) is None
    until = blocks.block(flag, ana, PERIODS["24h"])
    assert until == NOW + timedelta(hours=24)
    assert blocks.blocked_until(MARIA) == until
    clock.now = NOW + timedelta(hours=23, minutes=59)
    assert blocks.blocked_until(MARIA) == until
    clock.now = NOW + timedelta(hours=24)
    assert blocks.blocked_until(MARIA) is None
    assert blocks.active() == []
    assert blocks.forget_old() == (0, 1)


def test_blocking_again_replaces_the_period_and_unblock_ends_it_now(engine: Engine) -> None:
    clock = Clock()
    blocks, _handoffs, flag, ana = flagged_chat(engine, clock)
    blocks.block(flag, ana, PERIODS["30d"])
    blocks.block(flag, ana, PERIODS["7d"])
    [active] = blocks.active()
    assert active.until == NOW + timedelta(days=7) and active.nickname == "Visitor 1001"
    assert blocks.unblock(active.block_id, ana)
    assert blocks.blocked_until(MARIA) is None
    assert not blocks.unblock(active.block_id, ana)


def test_flags_and_blocks_are_audited_without_the_pseudonym(engine: Engine) -> None:
    clock = Clock()
    blocks, handoffs, flag, ana = flagged_chat(engine, clock)
    [active_until] = [blocks.block(flag, ana, PERIODS["7d"])]
    blocks.unblock(blocks.active()[0].block_id, ana)
    trail = handoffs.audit_trail(handoff_id="t1")
    assert [(line.action, line.detail) for line in reversed(trail)] == [
        ("flagged", "threats_to_staff"),
        ("blocked", "7 days, threats_to_staff"),
        ("unblocked", "block 1"),
    ]
    assert all(MARIA not in line.detail for line in trail) and active_until > NOW


def test_the_persons_erase_does_not_undo_a_block(engine: Engine) -> None:
    clock = Clock()
    blocks, handoffs, flag, ana = flagged_chat(engine, clock)
    blocks.block(flag, ana, PERIODS["7d"])
    assert handoffs.erase_person(MARIA, "webchat") == (1, 0)
    assert blocks.blocked_until(MARIA) == NOW + timedelta(days=7)
    [chat] = blocks.flagged()
    assert chat.nickname is None and chat.blocked_until == NOW + timedelta(days=7)


def test_supervisors_see_flagged_chats_with_counts_and_blocks(engine: Engine) -> None:
    clock = Clock()
    blocks, _handoffs, _flag, ana = flagged_chat(engine, clock)
    clock.now = NOW + timedelta(minutes=5)
    blocks.flag("t1", MARIA, ana, "abusive_language")
    flagged = blocks.flagged()
    assert [(chat.reason, chat.flags, chat.blocked_until) for chat in flagged] == [
        ("abusive_language", 2, None),
        ("threats_to_staff", 2, None),
    ]
    with pytest.raises(ValueError):
        blocks.flag("t1", MARIA, ana, "free text of the counsellor's")
    with pytest.raises(UnknownFlag):
        blocks.block(999, ana, PERIODS["24h"])
    clock.now = NOW + timedelta(days=31)
    assert blocks.flagged() == []
    assert blocks.forget_old() == (2, 0)
