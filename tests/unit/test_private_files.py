"""What the helpline makes in its data dir is its own: folders 0700, files 0600, whatever the umask."""

from __future__ import annotations

import io
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.privacy.secrets import secret_from
from bot.private_files import PRIVATE_UMASK, keep_files_private, private_dir
from bot.supervisor import Part, Supervisor


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The umask of a usual shell (022), put back as it was afterwards."""
    before = os.umask(0o022)
    yield
    os.umask(before)


@pytest.mark.usefixtures("open_umask")
def test_a_missing_folder_and_its_missing_parents_are_made_for_the_owner_only(tmp_path: Path) -> None:
    data_dir = private_dir(tmp_path / "new" / "data")
    assert mode(data_dir) == 0o700
    assert mode(tmp_path / "new") == 0o700


@pytest.mark.usefixtures("open_umask")
def test_a_data_dir_left_readable_by_an_older_version_is_narrowed(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    private_dir(data_dir)
    assert mode(data_dir) == 0o700


@pytest.mark.usefixtures("open_umask")
def test_a_shared_folder_of_a_database_file_is_left_as_it_is(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    private_dir(shared, tighten=False)
    assert mode(shared) == 0o755


@pytest.mark.usefixtures("open_umask")
def test_the_secrets_folder_is_not_readable_by_group_or_others(tmp_path: Path) -> None:
    path = tmp_path / "data" / "secrets" / "pseudonym.key"
    secret_from(None, path)
    assert mode(path.parent) == 0o700
    assert mode(tmp_path / "data") == 0o700
    assert mode(path) == 0o600


@pytest.mark.usefixtures("open_umask")
def test_the_logs_folder_is_not_readable_by_group_or_others(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path / "data" / "logs", io.StringIO())
    supervisor.spawn(Part(name="short", argv=[sys.executable, "-c", "pass"], ready=lambda: True))
    supervisor.stop_all(grace_s=5)
    assert mode(tmp_path / "data" / "logs") == 0o700


@pytest.mark.usefixtures("open_umask")
def test_files_made_after_the_helpline_starts_are_the_owners_alone(tmp_path: Path) -> None:
    before = keep_files_private()
    try:
        (tmp_path / "helpline.log").write_text("started")
        (tmp_path / "redis").mkdir()
    finally:
        os.umask(before)
    assert PRIVATE_UMASK == 0o077
    assert mode(tmp_path / "helpline.log") == 0o600
    assert mode(tmp_path / "redis") == 0o700
