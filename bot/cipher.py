"""Encryption at rest, as the store and the handoff need it (bot.privacy.crypto implements it)."""

from __future__ import annotations

from typing import Protocol


class UnreadableText(Exception):
    """A token that no configured key opens (its key was dropped, or it was altered)."""


class Cipher(Protocol):
    """Encrypts texts at rest with the helpline's key."""

    def encrypt(self, text: str) -> bytes:
        """A token only the helpline's key opens."""
        ...

    def decrypt(self, token: bytes) -> str:
        """The text of a token; raises `UnreadableText` (or a subclass) if no key opens it."""
        ...
