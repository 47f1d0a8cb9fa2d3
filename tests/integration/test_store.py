"""The store on real databases: SQLite always, PostgreSQL where one is reachable."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect

from bot.store.conversations import ConversationStore, StoredConversation
from bot.store.database import alembic_config, create_database_engine, upgrade_database

pytestmark = pytest.mark.integration


def test_migrations_create_the_conversations_table(database_url: str) -> None:
    upgrade_database(database_url)
    engine = create_database_engine(database_url)
    columns = {column["name"] for column in inspect(engine).get_columns("conversations")}
    engine.dispose()
    assert columns == {
        "id",
        "pseudonym",
        "channel",
        "locale",
        "started_at",
        "last_message_at",
        "message_count",
        "locale_source",
        "country",
        "pending_intent",
    }


def test_migrations_can_be_applied_twice_and_undone(database_url: str) -> None:
    upgrade_database(database_url)
    upgrade_database(database_url)
    command.downgrade(alembic_config(database_url), "base")
    engine = create_database_engine(database_url)
    assert "conversations" not in inspect(engine).get_table_names()
    engine.dispose()


def test_each_message_is_counted_in_one_conversation(database_url: str) -> None:
    upgrade_database(database_url)
    engine = create_database_engine(database_url)
    store = ConversationStore(engine)
    pseudonym = "f" * 64
    for locale in ("en", "en", "es"):
        store.record_message(pseudonym, "telegram", locale, "client")
    store.record_message(pseudonym, "webchat", "en", "client")
    conversation = store.find(pseudonym, "telegram")
    engine.dispose()
    assert conversation is not None
    assert conversation.message_count == 3
    assert conversation.locale == "es"
    assert conversation.last_message_at >= conversation.started_at


def test_the_language_a_person_chose_is_kept_with_how_it_was_chosen(database_url: str) -> None:
    upgrade_database(database_url)
    engine = create_database_engine(database_url)
    store = ConversationStore(engine)
    pseudonym = "e" * 64
    before = store.state_of(pseudonym, "telegram")
    store.record_message(pseudonym, "telegram", "uk", "explicit")
    after = store.state_of(pseudonym, "telegram"), store.state_of(pseudonym, "webchat")
    engine.dispose()
    assert before is None
    assert after == (StoredConversation("uk", "explicit"), None)


def test_only_the_country_code_and_the_question_waiting_for_it_are_kept(database_url: str) -> None:
    upgrade_database(database_url)
    engine = create_database_engine(database_url)
    store = ConversationStore(engine)
    pseudonym = "d" * 64
    store.record_message(pseudonym, "telegram", "ro", "client", None, "ask_shelter")
    asked = store.state_of(pseudonym, "telegram")
    store.record_message(pseudonym, "telegram", "ro", "client", "IT", None)
    answered = store.state_of(pseudonym, "telegram")
    engine.dispose()
    assert asked == StoredConversation("ro", "client", None, "ask_shelter")
    assert answered == StoredConversation("ro", "client", "IT", None)
