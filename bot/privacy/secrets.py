"""Secrets made once per installation when the environment gives none (local runs), in one place.

Every secret file lives in the secrets dir (`HELPLINE_SECRETS_DIR`, by default the user's config folder,
not the data dir: a copy of the data alone, or a backup of it, opens nothing) under a name from this module,
and is created the same race-free way: written whole to a private temporary file, then linked into place.
When several processes start together exactly one link succeeds, and nobody ever reads an empty or
half-written secret. Secrets that older versions kept in `<data dir>/secrets/` are moved there once, the same
way: a key must never change (transcripts would become unreadable, and everyone would look new).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path

import structlog
from pydantic import SecretStr

from bot.private_files import private_dir
from bot.settings import Settings

log = structlog.get_logger(__name__)

PSEUDONYM_KEY = "pseudonym.key"
RASA_TOKEN = "rasa.token"
WEBHOOK_SECRET = "webhook.secret"
TRANSCRIPT_KEY = "transcript.key"
LEGACY_FOLDER = "secrets"  # inside the data dir, where versions before the secrets dir kept them


class SecretsConflict(RuntimeError):
    """A secret in the data dir differs from the one of the same name in the secrets dir."""


def secrets_dir(settings: Settings) -> Path:
    """The secrets dir, with any secret an older version left in the data dir moved into it first."""
    move_legacy_secrets(settings)
    return settings.effective_secrets_dir


def secret_path(settings: Settings, name: str) -> Path:
    """Where a secret made on first use is kept (`<secrets dir>/<name>`)."""
    return secrets_dir(settings) / name


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
    made = make()
    try:
        _link_new(path, made.encode())
    except FileExistsError:
        return path.read_text().strip()
    return made


def move_legacy_secrets(settings: Settings) -> int:
    """Move the secrets in `<data dir>/secrets/` to the secrets dir (once); how many were moved.

    Each is linked into place whole before its old file goes, so a crash at any point leaves a complete
    secret somewhere, and processes starting together agree. A secret already in the secrets dir with other
    content is a conflict (two installations, one secrets dir): nothing is moved or deleted then.
    """
    legacy = settings.data_dir / LEGACY_FOLDER
    target = settings.effective_secrets_dir
    if not legacy.is_dir() or legacy.resolve() == target.resolve():
        return 0
    try:
        found = sorted(legacy.iterdir())
    except FileNotFoundError:  # another process moved them all just now
        return 0
    moved = 0
    for old in found:
        if old.name.startswith(".") or not old.is_file():
            continue  # a draft left by a process that died while making a secret
        try:
            content = old.read_bytes()
        except FileNotFoundError:
            continue  # another process moved it just now
        new = target / old.name
        try:
            _link_new(new, content)
            moved += 1
        except FileExistsError:
            if new.read_bytes().strip() != content.strip():
                raise SecretsConflict(
                    f"{old} differs from {new}: another installation uses that secrets dir. Set "
                    "HELPLINE_SECRETS_DIR to a folder of this installation's own (it moves them there)."
                ) from None
        old.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # a stale draft is left; it opens nothing the secrets dir does not
        legacy.rmdir()
    if moved:
        log.warning("secrets_moved", moved=moved, source=str(legacy), to=str(target))
    return moved


def _link_new(path: Path, content: bytes) -> None:
    """Write `content` to `path` (0600, folder 0700), whole and on disk, or raise FileExistsError."""
    private_dir(path.parent)  # 0700: secrets are the owner's alone
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())  # on disk before anything relies on it (a moved key's old copy goes)
    try:
        os.link(draft, path)
    finally:
        draft.unlink()
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def pseudonym_secret(settings: Settings) -> bytes:
    """The HMAC key for pseudonyms (`HELPLINE_PSEUDONYM_SECRET`, or made once in the secrets dir)."""
    return secret_from(settings.pseudonym_secret, secret_path(settings, PSEUDONYM_KEY)).encode()


def rasa_token(settings: Settings) -> str:
    """The token of Rasa's HTTP API (`HELPLINE_RASA_TOKEN`, or made once in the secrets dir)."""
    return secret_from(settings.rasa_token, secret_path(settings, RASA_TOKEN))


def webhook_secret(settings: Settings) -> str:
    """The secret Telegram sends with every webhook call (`TELEGRAM_WEBHOOK_SECRET`, or made once)."""
    return secret_from(settings.telegram_webhook_secret, secret_path(settings, WEBHOOK_SECRET))
