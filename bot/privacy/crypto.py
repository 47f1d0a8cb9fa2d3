"""Encryption at rest for handoff transcripts: Fernet tokens, with keys that can be rotated."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr

from bot.settings import Settings


class UnreadableTranscript(Exception):
    """A transcript token that no configured key opens (its key was dropped, or it was altered)."""


class TranscriptCipher:
    """Encrypts transcript text with the first key; decrypts with any of them.

    Keys are rotated by putting a new key first and keeping the old ones after it; once the retention
    period has passed every token made with an old key has been purged, and the old key can go.
    """

    def __init__(self, keys: str) -> None:
        parts = [part.strip() for part in keys.split(",") if part.strip()]
        if not parts:
            raise ValueError("no transcript key given")
        fernets = []
        for number, part in enumerate(parts, start=1):
            try:
                fernets.append(Fernet(part.encode()))
            except ValueError:
                # Never echo the key itself: it would end up in logs.
                raise ValueError(
                    f"transcript key {number} is not a Fernet key (32 url-safe base64-encoded bytes)"
                ) from None
        self._fernet = MultiFernet(fernets)

    def encrypt(self, text: str) -> bytes:
        """A Fernet token of `text`, made with the first key."""
        return self._fernet.encrypt(text.encode())

    def decrypt(self, token: bytes) -> str:
        """The text inside a token made with any configured key."""
        try:
            return self._fernet.decrypt(token).decode()
        except InvalidToken:
            raise UnreadableTranscript("no configured transcript key opens this message") from None

    def rotate(self, token: bytes) -> bytes:
        """The same text as a token of the first key (to re-encrypt before dropping an old key)."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken:
            raise UnreadableTranscript("no configured transcript key opens this message") from None


def transcript_keys(value: SecretStr | None, path: Path) -> str:
    """The configured key(s), or a Fernet key kept in `path` (created with mode 0600 on first use)."""
    if value is not None and value.get_secret_value().strip():
        return value.get_secret_value()
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    # Written whole to a private file, then linked into place: when several processes start together,
    # exactly one link succeeds and nobody ever reads a half-written key.
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key)
    try:
        os.link(draft, path)
    except FileExistsError:
        return path.read_text().strip()
    finally:
        draft.unlink()
    return key


def transcript_cipher(settings: Settings) -> TranscriptCipher:
    """The cipher for this installation: `HELPLINE_TRANSCRIPT_KEY`, or a key made once in the data dir."""
    path = settings.data_dir / "secrets" / "transcript.key"
    return TranscriptCipher(transcript_keys(settings.transcript_key, path))
