"""Connecting to the database and keeping its schema current with Alembic."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.pool import NullPool

from bot.private_files import private_dir

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs that name no driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_database_engine(url: str, pooled: bool = True) -> Engine:
    """An engine for `url`; SQLite gets WAL and a busy timeout so threads can share it, and its folder.

    `pooled=False` opens a connection per use (migrations: nothing stays open afterwards).
    """
    url = normalise_url(url)
    unpooled: dict[str, Any] = {} if pooled else {"poolclass": NullPool}
    if url.startswith("sqlite"):
        _make_sqlite_folder(url)
        engine = create_engine(url, connect_args={"timeout": 30}, **unpooled)
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    if not pooled:
        return create_engine(url, **unpooled)
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def insert_for(engine: Engine) -> Callable[..., Any]:
    """The dialect's INSERT with ON CONFLICT (upserts): SQLite and PostgreSQL, the two databases supported."""
    dialect = engine.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise ValueError(f"unsupported database: {dialect}")
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _make_sqlite_folder(url: str) -> None:
    # SQLite makes the file but not its folder ("unable to open database file" on a first run).
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        private_dir(Path(database).parent, tighten=False)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL cannot corrupt the database; a power cut may lose the last counter updates.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def alembic_config(url: str) -> Config:
    """Alembic's configuration for this project, without an alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade_database(url: str) -> None:
    """Apply every migration not yet applied."""
    command.upgrade(alembic_config(url), "head")
