"""Recording that a conversation happened: pseudonym, channel, locale (and how it was chosen), a count."""

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

    def record_message(
        self, pseudonym: str, channel: str, locale: str, locale_source: str, at: datetime | None = None
    ) -> None:
        """Count one incoming message and keep the locale it was answered in (atomic upsert)."""
        now = at or datetime.now(timezone.utc)
        statement = self._insert(Conversation).values(
            pseudonym=pseudonym,
            channel=channel,
            locale=locale,
            locale_source=locale_source,
            started_at=now,
            last_message_at=now,
            message_count=1,
        )
        statement = statement.on_conflict_do_update(
            index_elements=["pseudonym", "channel"],
            set_={
                "locale": statement.excluded.locale,
                "locale_source": statement.excluded.locale_source,
                "last_message_at": statement.excluded.last_message_at,
                "message_count": Conversation.message_count + 1,
            },
        )
        with self._engine.begin() as connection:
            connection.execute(statement)

    def locale_of(self, pseudonym: str, channel: str) -> tuple[str, str] | None:
        """The locale a person was last answered in and how it was chosen, if they wrote before."""
        query = select(Conversation.locale, Conversation.locale_source).where(
            Conversation.pseudonym == pseudonym, Conversation.channel == channel
        )
        with self._engine.connect() as connection:
            row = connection.execute(query).one_or_none()
        return (row.locale, row.locale_source) if row else None

    def find(self, pseudonym: str, channel: str) -> Conversation | None:
        """The conversation of a pseudonym on a channel, if any."""
        with Session(self._engine, expire_on_commit=False) as session:
            query = select(Conversation).where(
                Conversation.pseudonym == pseudonym, Conversation.channel == channel
            )
            return session.scalars(query).one_or_none()
