"""A first run: the data dir does not exist yet; the helpline makes it, private, and its database in it."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect

from bot.cli import main
from bot.settings import Settings
from bot.store.database import create_database_engine, upgrade_database

pytestmark = pytest.mark.integration


@pytest.fixture
def shell_umask() -> Iterator[None]:
    """The umask of a usual shell (022), put back as it was afterwards (`main` sets its own)."""
    before = os.umask(0o022)
    yield
    os.umask(before)


@pytest.mark.usefixtures("shell_umask")
def test_the_database_is_made_in_a_data_dir_that_does_not_exist_yet(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "first-run" / "data")
    upgrade_database(settings.effective_database_url)
    engine = create_database_engine(settings.effective_database_url)
    assert "counsellors" in inspect(engine).get_table_names()
    engine.dispose()
    assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700


@pytest.mark.usefixtures("shell_umask")
def test_helpline_db_upgrade_on_a_first_run_leaves_nothing_others_can_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(data_dir))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("HELPLINE_DATABASE_URL", raising=False)
    assert main(["db", "upgrade"]) == 0
    made = [data_dir, *data_dir.rglob("*")]
    assert data_dir / "helpline.db" in made
    readable = [path.name for path in made if path.stat().st_mode & 0o077]
    assert readable == []
