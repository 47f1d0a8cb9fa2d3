"""Recording that a conversation happened: pseudonym, channel, locale (and how it was chosen), a count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.store.counts import count_contact
from bot.store.database import insert_for
from bot.store.models import Conversation


@dataclass(frozen=True)
class StoredConversation:
    """What the bot keeps between a person's messages: their locale (and its source) and country."""

    locale: str
    locale_source: str
    country: str | None = None
    pending_intent: str | None = None


class ConversationStore:
    """Writes and reads conversation rows; every call is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._insert = insert_for(engine)

    def record_message(
        self,
        pseudonym: str,
        channel: str,
        locale: str,
        locale_source: str,
        country: str | None = None,
        pending_intent: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Count one incoming message; keep its locale, the country and any pending question (upsert).

        The day's contact counter (bot.store.counts) is kept in the same transaction.
        """
        now = at or datetime.now(timezone.utc)
        statement = self._insert(Conversation).values(
            pseudonym=pseudonym,
            channel=channel,
            locale=locale,
            locale_source=locale_source,
            country=country,
            pending_intent=pending_intent,
            started_at=now,
            last_message_at=now,
            message_count=1,
        )
        statement = statement.on_conflict_do_update(
            index_elements=["pseudonym", "channel"],
            set_={
                "locale": statement.excluded.locale,
                "locale_source": statement.excluded.locale_source,
                "country": statement.excluded.country,
                "pending_intent": statement.excluded.pending_intent,
                "last_message_at": statement.excluded.last_message_at,
                "message_count": Conversation.message_count + 1,
            },
        )
        before = select(Conversation.locale, Conversation.country, Conversation.last_message_at).where(
            Conversation.pseudonym == pseudonym, Conversation.channel == channel
        )
        with self._engine.begin() as connection:
            row = connection.execute(before).one_or_none()
            connection.execute(statement)
            count_contact(connection, row, now, channel, locale, country)  # for reports: never who

    def state_of(self, pseudonym: str, channel: str) -> StoredConversation | None:
        """The locale a person was last answered in, how it was chosen, and their country, if known."""
        query = select(
            Conversation.locale, Conversation.locale_source, Conversation.country, Conversation.pending_intent
        ).where(Conversation.pseudonym == pseudonym, Conversation.channel == channel)
        with self._engine.connect() as connection:
            row = connection.execute(query).one_or_none()
        return (
            StoredConversation(row.locale, row.locale_source, row.country, row.pending_intent)
            if row
            else None
        )

    def find(self, pseudonym: str, channel: str) -> Conversation | None:
        """The conversation of a pseudonym on a channel, if any."""
        with Session(self._engine, expire_on_commit=False) as session:
            query = select(Conversation).where(
                Conversation.pseudonym == pseudonym, Conversation.channel == channel
            )
            return session.scalars(query).one_or_none()
