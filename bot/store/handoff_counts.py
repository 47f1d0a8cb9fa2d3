"""What the reports and the wait estimates measure of handoffs: counters added in a handoff's own
transactions (bot.store.counts: never which handoff), and the handling times of recent chats."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine, select

from bot.store.counsellors import utc
from bot.store.counts import Cell, count_in, minutes_between
from bot.store.models import AuditEvent, Handoff


def handle_times_since(engine: Engine, since: datetime) -> list[float]:
    """Seconds from claim to end of the chats a counsellor ended since `since` (for wait estimates).

    Chats the person left are included (a counsellor's time went to them too); tickets nobody claimed
    are not.
    """
    query = select(Handoff.claimed_at, Handoff.resolved_at).where(
        Handoff.resolved_at >= utc(since), Handoff.claimed_at.is_not(None)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [max(0.0, (utc(row.resolved_at) - utc(row.claimed_at)).total_seconds()) for row in rows]


def count_first_claim(connection: Connection, handoff_id: str, now: datetime) -> None:
    """For reports: a handoff answered for the first time (not again after a requeue), and its wait."""
    row = connection.execute(
        select(Handoff.channel, Handoff.queued_at).where(Handoff.id == handoff_id)
    ).one_or_none()
    claimed_before = connection.execute(
        select(AuditEvent.id)
        .where(AuditEvent.handoff_id == handoff_id, AuditEvent.action == "claim")
        .limit(1)
    ).first()
    if row is None or claimed_before is not None:
        return
    count_in(connection, Cell("handoff", "answered", row.channel), now)
    count_in(connection, Cell("wait_minutes", minutes_between(row.queued_at, now), row.channel), now)


def count_end(connection: Connection, handoff_id: str, outcome: str, now: datetime) -> None:
    """For reports: a handoff that ends (once), its outcome, and its chat's length or its abandonment."""
    row = connection.execute(
        select(Handoff.channel, Handoff.claimed_at).where(
            Handoff.id == handoff_id, Handoff.resolved_at.is_(None)
        )
    ).one_or_none()
    if row is None:
        return
    count_in(connection, Cell("outcome", outcome, row.channel), now)
    if row.claimed_at is None:
        count_in(connection, Cell("handoff", "abandoned", row.channel), now)
    else:
        count_in(connection, Cell("handle_minutes", minutes_between(row.claimed_at, now), row.channel), now)
