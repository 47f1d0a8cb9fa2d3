"""Secrets made on first use: one per installation, never empty or half-written, private to the helpline."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pydantic import SecretStr

from bot.privacy.crypto import TranscriptCipher, transcript_keys
from bot.privacy.secrets import PSEUDONYM_KEY, RASA_TOKEN, secret_from, secret_path
from bot.settings import Settings


def test_processes_starting_together_all_get_the_same_complete_secret(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "rasa.token"
    with ThreadPoolExecutor(max_workers=16) as pool:
        made = list(pool.map(lambda _: secret_from(None, path), range(64)))
    assert len(set(made)) == 1 and len(made[0]) == 43
    assert [file.name for file in path.parent.iterdir()] == ["rasa.token"]  # no draft left behind


def test_a_made_secret_is_readable_by_the_helpline_only(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "pseudonym.key"
    secret_from(None, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_configured_secret_wins_and_nothing_is_written(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "webhook.secret"
    assert secret_from(SecretStr("from-the-environment"), path) == "from-the-environment"
    assert not path.parent.exists()


def test_transcript_keys_made_together_open_each_others_tokens(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "transcript.key"
    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = list(pool.map(lambda _: transcript_keys(None, path), range(16)))
    assert len(set(keys)) == 1
    assert TranscriptCipher(keys[0]).decrypt(TranscriptCipher(keys[-1]).encrypt("hello")) == "hello"


def test_every_secret_file_lives_in_the_data_dirs_secrets_folder(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert secret_path(settings, PSEUDONYM_KEY) == tmp_path / "secrets" / "pseudonym.key"
    assert secret_path(settings, RASA_TOKEN).parent == tmp_path / "secrets"
