"""Database tables. Only pseudonyms identify people; message text is kept only as Fernet tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# The largest id an Integer column holds on every database supported (PostgreSQL's integer; SQLite's is
# 2**63 - 1): a bigger number from a form or a URL names no row, and must not reach the database.
MAX_ROW_ID = 2**31 - 1


class Base(DeclarativeBase):
    """Base of every table."""


class Conversation(Base):
    """One person on one channel: when they came, in which language and country, how many messages."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("pseudonym", "channel", name="uq_conversations_pseudonym_channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pseudonym: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(16))
    locale_source: Mapped[str] = mapped_column(String(16), server_default="client")
    # Only the two-letter code of the country the person said they are in; never a place within it.
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    # The intent to answer once the person names their country (after the bot asked for it).
    pending_intent: Mapped[str | None] = mapped_column(String(64), nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_message_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    message_count: Mapped[int] = mapped_column(Integer, default=0)


class Counsellor(Base):
    """A member of staff who may log in to the console; the name is chosen by an admin."""

    __tablename__ = "counsellors"
    __table_args__ = (UniqueConstraint("name", name="uq_counsellors_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # counsellor | supervisor | admin
    languages: Mapped[str] = mapped_column(String(255))  # comma list of locales: "en,es"
    capacity: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The second factor (TOTP, RFC 6238): its secret only as a Fernet token, and the last time step whose
    # code was accepted, so that no code is accepted twice.
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Set when many failed logins for this account raised an alert; cleared when an admin acknowledges it.
    login_alert_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The locale the console is shown in, chosen by the counsellor (or an admin); NULL: the browser's.
    console_language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Handoff(Base):
    """A ticket's life, kept after Redis forgets it: when it was queued, claimed, resolved, and how."""

    __tablename__ = "handoffs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # the ticket id
    pseudonym: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(16))
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    priority: Mapped[str] = mapped_column(String(8))  # urgent | normal
    topic: Mapped[str | None] = mapped_column(String(64), nullable=True)
    nickname: Mapped[str] = mapped_column(String(32))
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    counsellor_id: Mapped[int | None] = mapped_column(
        ForeignKey("counsellors.id", name="fk_handoffs_counsellor_id"), nullable=True
    )
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)
    mismatch: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class TranscriptMessage(Base):
    """One message of a handoff's chat; `body` is a Fernet token, never clear text."""

    __tablename__ = "transcript_messages"
    # The relay may deliver a message twice; its key makes the second write a no-op.
    __table_args__ = (
        UniqueConstraint("handoff_id", "message_key", name="uq_transcript_messages_handoff_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    handoff_id: Mapped[str] = mapped_column(
        ForeignKey("handoffs.id", name="fk_transcript_messages_handoff_id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sender: Mapped[str] = mapped_column(String(16))  # survivor | counsellor | bot | note
    body: Mapped[bytes] = mapped_column(LargeBinary)
    message_key: Mapped[str] = mapped_column(String(64))


class AuditEvent(Base):
    """Who did what to which handoff, and when; `detail` is short and never holds message text."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    counsellor_id: Mapped[int | None] = mapped_column(
        ForeignKey("counsellors.id", name="fk_audit_events_counsellor_id"), nullable=True
    )
    action: Mapped[str] = mapped_column(String(32))
    # No foreign key: the audit trail outlives the handoffs it names (kept a year, handoffs a month).
    handoff_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    detail: Mapped[str] = mapped_column(String(200), default="", server_default="")


class AbuseFlag(Base):
    """A counsellor's flag on a chat they found abusive: the pseudonym and a reason from a fixed list."""

    __tablename__ = "abuse_flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # No foreign key: the flag outlives the handoff (the person may erase it; a supervisor may still block).
    handoff_id: Mapped[str] = mapped_column(String(32), index=True)
    pseudonym: Mapped[str] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(String(32))  # a key of bot.store.blocks.REASONS, never free text
    flagged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    counsellor_id: Mapped[int | None] = mapped_column(
        ForeignKey("counsellors.id", name="fk_abuse_flags_counsellor_id"), nullable=True
    )


class Block(Base):
    """A pseudonym that may not reach counsellors until `until`: no identity, no message text."""

    __tablename__ = "blocks"
    __table_args__ = (UniqueConstraint("pseudonym", name="uq_blocks_pseudonym"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pseudonym: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(32))
    handoff_id: Mapped[str | None] = mapped_column(String(32), nullable=True)  # the flagged chat
    blocked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    until: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    counsellor_id: Mapped[int | None] = mapped_column(
        ForeignKey("counsellors.id", name="fk_blocks_counsellor_id"), nullable=True
    )


class CannedReply(Base):
    """A reply written by staff that a counsellor can send with one click."""

    __tablename__ = "canned_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    locale: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("counsellors.id", name="fk_canned_replies_created_by"), nullable=True
    )
