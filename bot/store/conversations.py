"""Recording that a conversation happened: pseudonym, channel, locale, timestamps, a count."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.store.models import Conversation


class ConversationStore:
    """Writes and reads conversation rows; every call is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        dialect = engine.dialect.name
        if dialect not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database: {dialect}")
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert

    def record_message(self, pseudonym: str, channel: str, locale: str, at: datetime | None = None) -> None:
        """Count one incoming message, creating the conversation on first contact (atomic upsert)."""
        now = at or datetime.now(timezone.utc)
        statement = self._insert(Conversation).values(
            pseudonym=pseudonym,
            channel=channel,
            locale=locale,
            started_at=now,
            last_message_at=now,
            message_count=1,
        )
        statement = statement.on_conflict_do_update(
            index_elements=["pseudonym", "channel"],
            set_={
                "locale": statement.excluded.locale,
                "last_message_at": statement.excluded.last_message_at,
                "message_count": Conversation.message_count + 1,
            },
        )
        with self._engine.begin() as connection:
            connection.execute(statement)

    def find(self, pseudonym: str, channel: str) -> Conversation | None:
        """The conversation of a pseudonym on a channel, if any."""
        with Session(self._engine, expire_on_commit=False) as session:
            query = select(Conversation).where(
                Conversation.pseudonym == pseudonym, Conversation.channel == channel
            )
            return session.scalars(query).one_or_none()
