"""Abuse handling in the database: counsellors' flags on abusive chats, and supervisors' blocks of a
pseudonym for a period. Both hold the keyed pseudonym only (never an identity, never message text), a reason
from a fixed list, and every change is audited. A block ends by itself at its `until`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Literal, get_args

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.orm import Session

from bot.store.counsellors import utc
from bot.store.database import insert_for
from bot.store.models import AbuseFlag, AuditEvent, Block, Handoff

# The audit trail's lines for abuse handling (the handoffs' own actions are bot.store.handoffs.AuditAction).
BlockAction = Literal["flagged", "blocked", "unblocked"]
Reason = Literal["abusive_language", "sexual_content", "threats_to_staff", "prank", "spam"]
REASONS: tuple[Reason, ...] = get_args(Reason)
# The periods a supervisor chooses from (a form sends the key).
PERIODS: dict[str, timedelta] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
# Flags are shown to supervisors for as long as handoffs are kept (bot.privacy.retention), then forgotten.
FLAG_RETENTION = timedelta(days=30)


class UnknownFlag(KeyError):
    """No flag with this id (never made, or forgotten)."""


@dataclass(frozen=True)
class FlaggedChat:
    """A flagged chat as a supervisor sees it: never the pseudonym, only what the flag and handoff say."""

    flag_id: int
    handoff_id: str
    nickname: str | None  # None once the handoff is erased or purged
    reason: str
    flagged_at: datetime
    counsellor_id: int | None
    flags: int  # how many flags this person has (all their chats, within the retention)
    blocked_until: datetime | None


@dataclass(frozen=True)
class ActiveBlock:
    """A block in force."""

    block_id: int
    handoff_id: str | None
    nickname: str | None
    reason: str
    blocked_at: datetime
    until: datetime
    counsellor_id: int | None


class BlockStore:
    """Flags, blocks and their audit lines; every call is one short transaction."""

    def __init__(
        self, engine: Engine, clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._insert = insert_for(engine)

    def flag(self, handoff_id: str, pseudonym: str, counsellor_id: int, reason: str) -> int:
        """A counsellor flags a chat as abusive (a reason of REASONS); audited. The flag's id."""
        if reason not in REASONS:
            raise ValueError(f"reason must be one of {', '.join(REASONS)}")
        now = self._clock()
        with self._engine.begin() as connection:
            flag_id = connection.execute(
                insert(AbuseFlag)
                .values(
                    handoff_id=handoff_id,
                    pseudonym=pseudonym,
                    reason=reason,
                    flagged_at=now,
                    counsellor_id=counsellor_id,
                )
                .returning(AbuseFlag.id)
            ).scalar_one()
            _audit(connection, now, counsellor_id, "flagged", handoff_id, reason)
        return int(flag_id)

    def flagged(self) -> list[FlaggedChat]:
        """The flagged chats of the retention period, newest first, one line per flag."""
        now = self._clock()
        since = now - FLAG_RETENTION
        counts = (
            select(AbuseFlag.pseudonym, func.count().label("flags"))
            .where(AbuseFlag.flagged_at >= since)
            .group_by(AbuseFlag.pseudonym)
            .subquery()
        )
        query = (
            select(AbuseFlag, Handoff.nickname, counts.c.flags, Block.until)
            .join(counts, counts.c.pseudonym == AbuseFlag.pseudonym)
            .outerjoin(Handoff, Handoff.id == AbuseFlag.handoff_id)
            .outerjoin(Block, (Block.pseudonym == AbuseFlag.pseudonym) & (Block.until > now))
            .where(AbuseFlag.flagged_at >= since)
            .order_by(AbuseFlag.flagged_at.desc(), AbuseFlag.id.desc())
        )
        with Session(self._engine) as session:
            return [
                FlaggedChat(
                    flag.id,
                    flag.handoff_id,
                    nickname,
                    flag.reason,
                    utc(flag.flagged_at),
                    flag.counsellor_id,
                    int(flags),
                    utc(until) if until else None,
                )
                for flag, nickname, flags, until in session.execute(query)
            ]

    def block(self, flag_id: int, counsellor_id: int, period: timedelta) -> datetime:
        """Block the person of a flagged chat for `period` from now (a block in force is replaced); audited.
        When it ends."""
        now = self._clock()
        until = now + period
        with self._engine.begin() as connection:
            flag = connection.execute(select(AbuseFlag).where(AbuseFlag.id == flag_id)).first()
            if flag is None:
                raise UnknownFlag(flag_id)
            values = {
                "reason": flag.reason,
                "handoff_id": flag.handoff_id,
                "blocked_at": now,
                "until": until,
                "counsellor_id": counsellor_id,
            }
            connection.execute(
                self._insert(Block)
                .values(pseudonym=flag.pseudonym, **values)
                .on_conflict_do_update(index_elements=["pseudonym"], set_=values)
            )
            detail = f"{_period_words(period)}, {flag.reason}"
            _audit(connection, now, counsellor_id, "blocked", flag.handoff_id, detail)
        return until

    def unblock(self, block_id: int, counsellor_id: int) -> bool:
        """End a block now; audited. False if there was no such block in force."""
        now = self._clock()
        with self._engine.begin() as connection:
            row = connection.execute(
                select(Block.handoff_id).where(Block.id == block_id, Block.until > now)
            ).first()
            if row is None:
                return False
            connection.execute(update(Block).where(Block.id == block_id).values(until=now))
            _audit(connection, now, counsellor_id, "unblocked", row.handoff_id, f"block {block_id}")
        return True

    def blocked_until(self, pseudonym: str) -> datetime | None:
        """When this person's block ends, if one is in force now."""
        query = select(Block.until).where(Block.pseudonym == pseudonym, Block.until > self._clock())
        with self._engine.connect() as connection:
            until = connection.execute(query).scalar_one_or_none()
        return utc(until) if until else None

    def active(self) -> list[ActiveBlock]:
        """The blocks in force, the soonest to end first."""
        query = (
            select(Block, Handoff.nickname)
            .outerjoin(Handoff, Handoff.id == Block.handoff_id)
            .where(Block.until > self._clock())
            .order_by(Block.until, Block.id)
        )
        with Session(self._engine) as session:
            return [
                ActiveBlock(
                    block.id,
                    block.handoff_id,
                    nickname,
                    block.reason,
                    utc(block.blocked_at),
                    utc(block.until),
                    block.counsellor_id,
                )
                for block, nickname in session.execute(query)
            ]

    def forget_old(self) -> tuple[int, int]:
        """Delete flags past the retention and blocks that have ended; (flags, blocks) deleted."""
        now = self._clock()
        with self._engine.begin() as connection:
            flags = connection.execute(
                delete(AbuseFlag).where(AbuseFlag.flagged_at < now - FLAG_RETENTION)
            ).rowcount
            blocks = connection.execute(delete(Block).where(Block.until <= now)).rowcount
        return flags, blocks


def _period_words(period: timedelta) -> str:
    """ "24 h", "7 days": how the audit trail names a period."""
    if period < timedelta(days=2):
        return f"{round(period.total_seconds() / 3600)} h"
    return f"{period.days} days"


def _audit(
    connection: Connection,
    at: datetime,
    counsellor_id: int | None,
    action: BlockAction,
    handoff_id: str | None,
    detail: str,
) -> None:
    """One audit line (the action, the chat, a reason key or period: never the pseudonym or any text)."""
    connection.execute(
        insert(AuditEvent).values(
            at=at, counsellor_id=counsellor_id, action=action, handoff_id=handoff_id, detail=detail
        )
    )
