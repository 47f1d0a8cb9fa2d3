"""What stays of a handoff once Redis forgets it: times, outcome, encrypted transcript, audit trail, purge."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, get_args

from sqlalchemy import ColumnElement, Connection, Engine, and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from bot.cipher import Cipher
from bot.store.counsellors import utc
from bot.store.counts import Cell, count_in
from bot.store.database import insert_for, settle_deletions
from bot.store.handoff_counts import count_end, count_first_claim, handle_times_since
from bot.store.models import AuditEvent, Conversation, Handoff, TranscriptMessage
from bot.store.outcomes import OUTCOMES, Outcome
from bot.store.purged import PurgeCounts

Sender = Literal["survivor", "counsellor", "bot", "note"]
SENDERS: tuple[Sender, ...] = get_args(Sender)
AuditAction = Literal[
    "login",
    "login_failed",
    "locked",  # lines from before logins were throttled per source (issue 14); no longer written
    "password_accepted",
    "second_factor_enrolled",
    "second_factor_reset",
    "login_alert",
    "login_alert_acknowledged",
    "source_throttled",
    "claim",
    "read",
    "transfer",
    "requeue",
    "resolve",
    "note",
    "purge",
    "counsellor_added",
    "erased",
]
AUDIT_ACTIONS: tuple[AuditAction, ...] = get_args(AuditAction)
AUDIT_RETENTION = timedelta(days=365)
_DETAIL_LENGTH = 200


class UnknownHandoff(KeyError):
    """No handoff with this id is stored (never recorded, or already purged)."""


@dataclass(frozen=True)
class HandoffRecord:
    """One handoff as stored: who it was for (a pseudonym), when it moved, who took it, how it ended."""

    id: str
    pseudonym: str
    channel: str
    locale: str
    country: str | None
    priority: str
    topic: str | None
    nickname: str
    queued_at: datetime
    claimed_at: datetime | None
    resolved_at: datetime | None
    counsellor_id: int | None
    outcome: str | None
    mismatch: bool


@dataclass(frozen=True)
class TranscriptLine:
    """One decrypted message of a transcript."""

    at: datetime
    sender: Sender
    text: str


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit trail."""

    at: datetime
    counsellor_id: int | None
    action: str
    handoff_id: str | None
    detail: str


class HandoffStore:
    """Records handoffs, their transcripts and the audit trail; every call is one short transaction."""

    def __init__(
        self,
        engine: Engine,
        cipher: Cipher,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self._engine = engine
        self._cipher = cipher
        self._clock = clock
        self._insert = insert_for(engine)

    def record_queued(
        self,
        handoff_id: str,
        pseudonym: str,
        channel: str,
        locale: str,
        country: str | None,
        priority: Literal["urgent", "normal"],
        topic: str | None,
        nickname: str,
        at: datetime | None = None,
    ) -> bool:
        """Keep a new ticket; False if it was already kept (enqueueing is idempotent, so is this)."""
        statement = self._insert(Handoff).values(
            id=handoff_id,
            pseudonym=pseudonym,
            channel=channel,
            locale=locale,
            country=country or None,
            priority=priority,
            topic=topic or None,
            nickname=nickname,
            queued_at=self._at(at),
            mismatch=False,
        )
        with self._engine.begin() as connection:
            # RETURNING, not rowcount: psycopg reports no row count for INSERT ... ON CONFLICT.
            inserted = connection.execute(
                statement.on_conflict_do_nothing(index_elements=["id"]).returning(Handoff.id)
            ).first()
            if inserted is not None:
                count_in(connection, Cell("handoff", "queued", channel), self._at(at))
        return inserted is not None

    def record_claimed(
        self, handoff_id: str, counsellor_id: int, mismatch: bool = False, at: datetime | None = None
    ) -> None:
        """A counsellor took the ticket (`mismatch`: they do not speak the person's language)."""
        now = self._at(at)
        with self._engine.begin() as connection:
            count_first_claim(connection, handoff_id, now)
            self._change(
                connection, handoff_id, claimed_at=now, counsellor_id=counsellor_id, mismatch=mismatch
            )
            _audit(
                connection, now, counsellor_id, "claim", handoff_id, "language mismatch" if mismatch else ""
            )

    def record_transferred(
        self, handoff_id: str, from_id: int, to_id: int, at: datetime | None = None
    ) -> None:
        """The ticket went from one counsellor to another."""
        now = self._at(at)
        with self._engine.begin() as connection:
            self._change(connection, handoff_id, counsellor_id=to_id)
            _audit(connection, now, from_id, "transfer", handoff_id, f"to counsellor {to_id}")

    def record_requeued(self, handoff_id: str, counsellor_id: int, at: datetime | None = None) -> None:
        """The counsellor put the ticket back in the queue."""
        now = self._at(at)
        with self._engine.begin() as connection:
            self._change(connection, handoff_id, counsellor_id=None, claimed_at=None, mismatch=False)
            _audit(connection, now, counsellor_id, "requeue", handoff_id, "")

    def record_resolved(
        self, handoff_id: str, counsellor_id: int, outcome: Outcome, at: datetime | None = None
    ) -> None:
        """The counsellor ended the handoff with an outcome."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        now = self._at(at)
        with self._engine.begin() as connection:
            count_end(connection, handoff_id, outcome, now)
            self._change(connection, handoff_id, resolved_at=now, outcome=outcome)
            _audit(connection, now, counsellor_id, "resolve", handoff_id, outcome)

    def record_cancelled(self, handoff_id: str, at: datetime | None = None) -> None:
        """The survivor left before the handoff ended; a handoff already ended keeps its outcome."""
        now = self._at(at)
        with self._engine.begin() as connection:
            count_end(connection, handoff_id, "survivor_left", now)
            ended = connection.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id, Handoff.resolved_at.is_(None))
                .values(resolved_at=now, outcome="survivor_left")
            )
            known = (
                ended.rowcount
                or connection.execute(select(Handoff.id).where(Handoff.id == handoff_id)).first()
            )
        if not known:
            raise UnknownHandoff(handoff_id)

    def record_moved(self, handoff_id: str, pseudonym: str, channel: str) -> None:
        """The person continues the handoff on another channel (a resume code): it is theirs there now."""
        with self._engine.begin() as connection:
            self._change(connection, handoff_id, pseudonym=pseudonym, channel=channel)

    def get(self, handoff_id: str) -> HandoffRecord | None:
        """The stored handoff, if any."""
        with Session(self._engine) as session:
            row = session.get(Handoff, handoff_id)
            return _record(row) if row else None

    def handle_times_since(self, since: datetime) -> list[float]:
        """Seconds from claim to end of the chats ended since `since` (for wait estimates)."""
        return handle_times_since(self._engine, since)

    def add_message(
        self, handoff_id: str, sender: Sender, text: str, key: str, at: datetime | None = None
    ) -> bool:
        """Keep one message, encrypted; False if a message with this key was already kept."""
        if sender not in SENDERS:
            raise ValueError(f"sender must be one of {', '.join(SENDERS)}")
        if not key or len(key) > 64:
            raise ValueError("a message key has 1 to 64 characters")
        statement = self._insert(TranscriptMessage).values(
            handoff_id=handoff_id,
            at=self._at(at),
            sender=sender,
            body=self._cipher.encrypt(text),
            message_key=key,
        )
        with self._engine.begin() as connection:
            inserted = connection.execute(
                statement.on_conflict_do_nothing(index_elements=["handoff_id", "message_key"]).returning(
                    TranscriptMessage.id
                )
            ).first()
        return inserted is not None

    def transcript(self, handoff_id: str, read_by: int | None = None) -> list[TranscriptLine]:
        """The handoff's messages in order, decrypted; the reading is audited (`read_by` None: the system)."""
        query = (
            select(TranscriptMessage.at, TranscriptMessage.sender, TranscriptMessage.body)
            .where(TranscriptMessage.handoff_id == handoff_id)
            .order_by(TranscriptMessage.at, TranscriptMessage.id)
        )
        with self._engine.begin() as connection:
            rows = connection.execute(query).all()
            _audit(connection, self._clock(), read_by, "read", handoff_id, f"{len(rows)} messages")
        return [TranscriptLine(utc(row.at), row.sender, self._cipher.decrypt(row.body)) for row in rows]

    def audit(
        self,
        action: AuditAction,
        counsellor_id: int | None = None,
        handoff_id: str | None = None,
        detail: str = "",
        at: datetime | None = None,
    ) -> None:
        """Add a line to the audit trail (`detail` is short and must never hold message text)."""
        if action not in AUDIT_ACTIONS:
            raise ValueError(f"unknown audit action: {action}")
        with self._engine.begin() as connection:
            _audit(connection, self._at(at), counsellor_id, action, handoff_id, detail)

    def audit_trail(
        self, handoff_id: str | None = None, counsellor_id: int | None = None, limit: int = 200
    ) -> list[AuditEntry]:
        """The latest audit lines, newest first, for one handoff or counsellor or for everyone."""
        query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
        if handoff_id is not None:
            query = query.where(AuditEvent.handoff_id == handoff_id)
        if counsellor_id is not None:
            query = query.where(AuditEvent.counsellor_id == counsellor_id)
        with Session(self._engine) as session:
            return [
                AuditEntry(utc(row.at), row.counsellor_id, row.action, row.handoff_id, row.detail)
                for row in session.scalars(query)
            ]

    def purge(
        self, older_than: datetime, dry_run: bool, audit_older_than: datetime | None = None
    ) -> PurgeCounts:
        """Delete handoffs (with their transcripts) and conversations older than `older_than`, and audit
        lines older than `audit_older_than` (default: a year ago); a dry run only counts them."""
        cutoff = utc(older_than)
        audit_cutoff = utc(audit_older_than) if audit_older_than else self._clock() - AUDIT_RETENTION
        # A handoff that never ended (a crash lost its ticket) would otherwise keep its transcript forever.
        old_handoffs = or_(
            Handoff.resolved_at < cutoff, and_(Handoff.resolved_at.is_(None), Handoff.queued_at < cutoff)
        )
        old_ids = select(Handoff.id).where(old_handoffs)
        targets: list[tuple[Any, ColumnElement[bool]]] = [
            (TranscriptMessage, TranscriptMessage.handoff_id.in_(old_ids)),
            (Handoff, old_handoffs),
            (AuditEvent, AuditEvent.at < audit_cutoff),
            (Conversation, Conversation.last_message_at < cutoff),
        ]
        with self._engine.begin() as connection:
            if dry_run:
                counts = [
                    connection.execute(select(func.count()).select_from(table).where(condition)).scalar_one()
                    for table, condition in targets
                ]
            else:
                counts = [
                    connection.execute(delete(table).where(condition)).rowcount
                    for table, condition in targets
                ]
            messages, handoffs, audit_events, conversations = counts
            purged = PurgeCounts(handoffs, messages, audit_events, conversations, dry_run)
            if not dry_run:
                _audit(connection, self._clock(), None, "purge", None, purged.summary())
        return purged

    def erase_person(self, pseudonym: str, channel: str) -> tuple[int, int]:
        """Delete a person's conversation row, handoffs and transcripts (they asked to be erased).

        The audit trail keeps one "erased" line per handoff id, with no pseudonym, so staff can see why a
        chat vanished. Returns (handoffs, conversations) deleted.
        """
        theirs = and_(Handoff.pseudonym == pseudonym, Handoff.channel == channel)
        with self._engine.begin() as connection:
            ids = list(connection.execute(select(Handoff.id).where(theirs)).scalars())
            connection.execute(delete(TranscriptMessage).where(TranscriptMessage.handoff_id.in_(ids)))
            connection.execute(delete(Handoff).where(theirs))
            conversations = connection.execute(
                delete(Conversation).where(
                    Conversation.pseudonym == pseudonym, Conversation.channel == channel
                )
            ).rowcount
            for handoff_id in ids:
                _audit(
                    connection, self._clock(), None, "erased", handoff_id, "erased at the person's request"
                )
            count_in(connection, Cell("erasure", channel=channel), self._clock())  # how many, not who
        return len(ids), conversations

    def settle_deletions(self, vacuum: bool = False) -> bool:
        """After an erase or a purge: nothing deleted stays in the database's files (SQLite), or its space
        is freed for reuse (PostgreSQL, `vacuum`); False if a reader made it wait for the next time."""
        tables = [table.__tablename__ for table in (TranscriptMessage, Handoff, Conversation, AuditEvent)]
        return settle_deletions(self._engine, tables, vacuum)

    def _at(self, at: datetime | None) -> datetime:
        return utc(at) if at else self._clock()

    def _change(self, connection: Connection, handoff_id: str, **values: Any) -> None:
        result = connection.execute(update(Handoff).where(Handoff.id == handoff_id).values(**values))
        if result.rowcount == 0:
            raise UnknownHandoff(handoff_id)


def _audit(
    connection: Connection,
    at: datetime,
    counsellor_id: int | None,
    action: str,
    handoff_id: str | None,
    detail: str,
) -> None:
    connection.execute(
        insert(AuditEvent).values(
            at=at,
            counsellor_id=counsellor_id,
            action=action,
            handoff_id=handoff_id,
            detail=detail[:_DETAIL_LENGTH],
        )
    )


def _record(row: Handoff) -> HandoffRecord:
    return HandoffRecord(
        id=row.id,
        pseudonym=row.pseudonym,
        channel=row.channel,
        locale=row.locale,
        country=row.country,
        priority=row.priority,
        topic=row.topic,
        nickname=row.nickname,
        queued_at=utc(row.queued_at),
        claimed_at=utc(row.claimed_at) if row.claimed_at else None,
        resolved_at=utc(row.resolved_at) if row.resolved_at else None,
        counsellor_id=row.counsellor_id,
        outcome=row.outcome,
        mismatch=row.mismatch,
    )
