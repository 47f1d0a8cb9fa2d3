"""Connecting to the database and keeping its schema current with Alembic."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import structlog
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.pool import NullPool

from bot.private_files import private_dir

log = structlog.get_logger(__name__)

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
    # A deleted row is overwritten with zeros, not only unlinked: an erase leaves nothing in the file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def settle_deletions(engine: Engine, tables: Sequence[str] = (), vacuum: bool = False) -> bool:
    """Leave what was just deleted nowhere in the database's own files; False if it must wait.

    SQLite: the write-ahead log still holds the pages as they were before the delete; a TRUNCATE
    checkpoint copies them (zeroed, with `secure_delete`) into the database and empties the log. It waits
    up to the busy timeout for readers; a reader that stays longer leaves it to the next checkpoint.
    PostgreSQL: deleted rows stay as dead tuples until VACUUM (`vacuum`, for `tables`, in the scheduled
    purge): it frees their space for reuse; the bytes go when new rows overwrite it (see the threat model).
    """
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            busy, _log_frames, _checkpointed = connection.exec_driver_sql(
                "PRAGMA wal_checkpoint(TRUNCATE)"
            ).one()
        if busy:
            log.warning("wal_checkpoint_busy")
        return not busy
    if vacuum and tables and engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in tables:  # names of our own tables, never input
                connection.execute(text(f'VACUUM "{table}"'))
    return True


def alembic_config(url: str) -> Config:
    """Alembic's configuration for this project, without an alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade_database(url: str) -> None:
    """Apply every migration not yet applied."""
    command.upgrade(alembic_config(url), "head")
