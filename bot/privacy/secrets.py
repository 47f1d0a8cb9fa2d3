"""Secrets made once per installation when the environment gives none (local runs), in one place.

Every secret file lives in `<data dir>/secrets/` under a name from this module, and is created the same
race-free way: written whole to a private temporary file, then linked into place. When several processes
start together exactly one link succeeds, and nobody ever reads an empty or half-written secret.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from pydantic import SecretStr

from bot.private_files import private_dir
from bot.settings import Settings

PSEUDONYM_KEY = "pseudonym.key"
RASA_TOKEN = "rasa.token"
WEBHOOK_SECRET = "webhook.secret"
TRANSCRIPT_KEY = "transcript.key"


def secret_path(settings: Settings, name: str) -> Path:
    """Where a secret made on first use is kept (`<data dir>/secrets/<name>`)."""
    return settings.data_dir / "secrets" / name


def new_token() -> str:
    """A random secret of 256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


def secret_from(value: SecretStr | None, path: Path, make: Callable[[], str] = new_token) -> str:
    """The configured secret, or one kept in `path` (made by `make`, 0600 in a 0700 folder, on first use)."""
    if value is not None and value.get_secret_value().strip():
        return value.get_secret_value()
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    private_dir(path.parent)  # 0700: secrets are the owner's alone
    made = make()
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(made)
    try:
        os.link(draft, path)
    except FileExistsError:
        return path.read_text().strip()
    finally:
        draft.unlink()
    return made


def pseudonym_secret(settings: Settings) -> bytes:
    """The HMAC key for pseudonyms (`HELPLINE_PSEUDONYM_SECRET`, or made once in the data dir)."""
    return secret_from(settings.pseudonym_secret, secret_path(settings, PSEUDONYM_KEY)).encode()


def rasa_token(settings: Settings) -> str:
    """The token of Rasa's HTTP API (`HELPLINE_RASA_TOKEN`, or made once in the data dir)."""
    return secret_from(settings.rasa_token, secret_path(settings, RASA_TOKEN))


def webhook_secret(settings: Settings) -> str:
    """The secret Telegram sends with every webhook call (`TELEGRAM_WEBHOOK_SECRET`, or made once)."""
    return secret_from(settings.telegram_webhook_secret, secret_path(settings, WEBHOOK_SECRET))
