"""Canned replies: texts written by staff, per locale, that counsellors send with one click."""

from __future__ import annotations

from sqlalchemy import Engine, delete, insert, select

from bot.store.models import CannedReply


class CannedReplyStore:
    """Replies written by staff, per locale, that counsellors send with one click."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, locale: str, title: str, body: str, created_by: int | None) -> int:
        """Keep a new canned reply; its id."""
        if not title.strip() or not body.strip():
            raise ValueError("a canned reply has a title and a body")
        with self._engine.begin() as connection:
            statement = insert(CannedReply).values(
                locale=locale, title=title.strip()[:120], body=body.strip(), created_by=created_by
            )
            reply_id: int = connection.execute(statement.returning(CannedReply.id)).scalar_one()
        return reply_id

    def for_locale(self, locale: str) -> list[tuple[int, str, str]]:
        """(id, title, body) of every canned reply in `locale`, by title."""
        query = (
            select(CannedReply.id, CannedReply.title, CannedReply.body)
            .where(CannedReply.locale == locale)
            .order_by(CannedReply.title)
        )
        with self._engine.connect() as connection:
            return [(row.id, row.title, row.body) for row in connection.execute(query)]

    def remove(self, reply_id: int) -> None:
        """Delete a canned reply."""
        with self._engine.begin() as connection:
            connection.execute(delete(CannedReply).where(CannedReply.id == reply_id))
