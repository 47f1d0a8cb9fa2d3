"""Secrets made once per installation when the environment gives none (local runs)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import SecretStr


def secret_from(value: SecretStr | None, path: Path) -> str:
    """The configured secret, or one kept in `path` (created with mode 0600 on first use)."""
    if value is not None and value.get_secret_value():
        return value.get_secret_value()
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    # O_EXCL: when several processes start together, exactly one creates the file.
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as handle:
        handle.write(token)
    return token
