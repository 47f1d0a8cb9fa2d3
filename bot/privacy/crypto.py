"""Encryption at rest for handoff transcripts: Fernet tokens, with keys that can be rotated."""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr

from bot.cipher import UnreadableText
from bot.privacy.secrets import TRANSCRIPT_KEY, secret_from, secret_path
from bot.settings import Settings


class UnreadableTranscript(UnreadableText):
    """A transcript token that no configured key opens (its key was dropped, or it was altered)."""


class TranscriptCipher:
    """Encrypts transcript text with the first key; decrypts with any of them.

    Keys are rotated by putting a new key first and keeping the old ones after it; `helpline rekey` then
    re-encrypts every token kept with the first key, and the old key can go.
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
        self._first = fernets[0]
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

    def rekeyed(self, token: bytes) -> bytes | None:
        """The token re-encrypted with the first key, or None if the first key made it (`helpline rekey`)."""
        try:
            self._first.decrypt(token)
        except InvalidToken:
            return self.rotate(token)
        return None


def transcript_keys(value: SecretStr | None, path: Path) -> str:
    """The configured key(s), or a Fernet key kept in `path` (created with mode 0600 on first use)."""
    return secret_from(value, path, make=lambda: Fernet.generate_key().decode())


def transcript_cipher(settings: Settings) -> TranscriptCipher:
    """The cipher for this installation: `HELPLINE_TRANSCRIPT_KEY`, or a key made once in the secrets dir."""
    return TranscriptCipher(transcript_keys(settings.transcript_key, secret_path(settings, TRANSCRIPT_KEY)))
