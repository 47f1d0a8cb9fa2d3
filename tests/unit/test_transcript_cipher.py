"""Transcript encryption: Fernet tokens, keys that rotate, and a key made once per installation."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from bot.privacy.crypto import TranscriptCipher, UnreadableTranscript, transcript_cipher, transcript_keys
from bot.settings import Settings

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_a_message_comes_back_as_it_was_written() -> None:
    cipher = TranscriptCipher(NEW)
    text = "Я в Польщі, мені потрібна допомога"
    assert cipher.decrypt(cipher.encrypt(text)) == text


def test_the_token_does_not_hold_the_text() -> None:
    token = TranscriptCipher(NEW).encrypt("room 14 at the Blue Harbour hostel")
    assert b"Blue Harbour" not in token
    assert b"room 14" not in token


def test_the_first_key_encrypts_and_every_key_decrypts() -> None:
    written_before = TranscriptCipher(OLD).encrypt("before the rotation")
    rotated = TranscriptCipher(f"{NEW}, {OLD}")
    written_after = rotated.encrypt("after the rotation")
    assert rotated.decrypt(written_before) == "before the rotation"
    assert TranscriptCipher(NEW).decrypt(written_after) == "after the rotation"
    with pytest.raises(UnreadableTranscript):
        TranscriptCipher(OLD).decrypt(written_after)


def test_an_old_token_can_be_moved_to_the_new_key() -> None:
    moved = TranscriptCipher(f"{NEW},{OLD}").rotate(TranscriptCipher(OLD).encrypt("kept"))
    assert TranscriptCipher(NEW).decrypt(moved) == "kept"


def test_an_altered_token_is_unreadable() -> None:
    cipher = TranscriptCipher(NEW)
    token = bytearray(cipher.encrypt("hello"))
    token[-5] = ord("A") if token[-5] != ord("A") else ord("B")
    with pytest.raises(UnreadableTranscript):
        cipher.decrypt(bytes(token))


def test_a_bad_key_is_refused_without_being_repeated() -> None:
    with pytest.raises(ValueError) as refused:
        TranscriptCipher(f"{NEW},not-a-real-key-but-a-secret")
    assert "key 2" in str(refused.value)
    assert "not-a-real-key" not in str(refused.value)
    with pytest.raises(ValueError):
        TranscriptCipher(" , ")


def test_a_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "transcript.key"
    first = transcript_keys(None, path)
    again = transcript_keys(None, path)
    assert first == again
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [file.name for file in path.parent.iterdir()] == ["transcript.key"]
    TranscriptCipher(first)  # a valid Fernet key


def test_the_configured_keys_win_over_the_kept_one(tmp_path: Path) -> None:
    path = tmp_path / "transcript.key"
    assert transcript_keys(SecretStr(f"{NEW},{OLD}"), path) == f"{NEW},{OLD}"
    assert not path.exists()


def test_the_installation_cipher_reads_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELPLINE_TRANSCRIPT_KEY", NEW)
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path))
    token = transcript_cipher(Settings()).encrypt("hello")
    assert TranscriptCipher(NEW).decrypt(token) == "hello"
    assert not (tmp_path / "secrets").exists()
