"""Secrets made on first use: one per installation, never empty or half-written, private to the helpline."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.privacy.crypto import TranscriptCipher, transcript_cipher, transcript_keys
from bot.privacy.secrets import (
    PSEUDONYM_KEY,
    RASA_TOKEN,
    TRANSCRIPT_KEY,
    SecretsConflict,
    pseudonym_secret,
    secret_from,
    secret_path,
)
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


def test_every_secret_file_lives_in_the_secrets_dir_apart_from_the_data(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", secrets_dir=tmp_path / "keys")
    assert secret_path(settings, PSEUDONYM_KEY) == tmp_path / "keys" / "pseudonym.key"
    assert secret_path(settings, RASA_TOKEN).parent == tmp_path / "keys"
    transcript_cipher(settings)
    assert (tmp_path / "keys" / TRANSCRIPT_KEY).exists() and not (tmp_path / "data").exists()


def test_by_default_secrets_live_in_the_users_config_folder_not_in_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HELPLINE_SECRETS_DIR")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert Settings(data_dir=tmp_path / "data").effective_secrets_dir == tmp_path / "config/helpline/secrets"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/config")  # not absolute: ignored, as XDG says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert Settings().effective_secrets_dir == tmp_path / "home/.config/helpline/secrets"


class Log:
    """Records log events (the module's structlog logger may be cached by an earlier configuration)."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, dict[str, object]]] = []

    def warning(self, event: str, **values: object) -> None:
        self.lines.append((event, values))


def test_secrets_an_older_version_kept_in_the_data_dir_move_once_and_stay_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = Log()
    monkeypatch.setattr("bot.privacy.secrets.log", log)
    old = Settings(data_dir=tmp_path / "data", secrets_dir=tmp_path / "data" / "secrets")
    pseudonym_key, transcript_key = pseudonym_secret(old), transcript_cipher(old).encrypt("hello")
    settings = Settings(data_dir=tmp_path / "data", secrets_dir=tmp_path / "keys")

    assert pseudonym_secret(settings) == pseudonym_key  # nobody looks new
    assert transcript_cipher(settings).decrypt(transcript_key) == "hello"  # transcripts stay readable
    assert not (tmp_path / "data" / "secrets").exists()
    assert sorted(path.name for path in (tmp_path / "keys").iterdir()) == [PSEUDONYM_KEY, TRANSCRIPT_KEY]
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in (tmp_path / "keys").iterdir())
    [(event, values)] = log.lines  # one line for the operator, naming where they went, never a secret
    assert event == "secrets_moved" and values["to"] == str(tmp_path / "keys") and values["moved"] == 2
    assert pseudonym_key.decode() not in repr(values)


def test_processes_starting_together_move_the_old_secrets_once_and_agree(tmp_path: Path) -> None:
    old = Settings(data_dir=tmp_path / "data", secrets_dir=tmp_path / "data" / "secrets")
    key = pseudonym_secret(old)
    settings = Settings(data_dir=tmp_path / "data", secrets_dir=tmp_path / "keys")
    with ThreadPoolExecutor(max_workers=8) as pool:
        seen = list(pool.map(lambda _: pseudonym_secret(settings), range(32)))
    assert set(seen) == {key}
    assert [path.name for path in (tmp_path / "keys").iterdir()] == [PSEUDONYM_KEY]


def test_an_old_secret_that_differs_from_the_one_in_the_secrets_dir_stops_everything_and_deletes_nothing(
    tmp_path: Path,
) -> None:
    theirs = Settings(data_dir=tmp_path / "other-data", secrets_dir=tmp_path / "keys")
    pseudonym_secret(theirs)  # another installation already uses this secrets dir
    old = Settings(data_dir=tmp_path / "data", secrets_dir=tmp_path / "data" / "secrets")
    ours = pseudonym_secret(old)
    with pytest.raises(SecretsConflict) as refused:
        pseudonym_secret(Settings(data_dir=tmp_path / "data", secrets_dir=tmp_path / "keys"))
    assert "HELPLINE_SECRETS_DIR" in str(refused.value) and ours.decode() not in str(refused.value)
    assert (tmp_path / "data" / "secrets" / PSEUDONYM_KEY).read_bytes().strip() == ours
