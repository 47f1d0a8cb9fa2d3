"""Database tables. Only pseudonyms identify people; no message text is kept here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


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
