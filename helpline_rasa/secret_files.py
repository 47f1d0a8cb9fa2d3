"""Rasa's secrets from files, Docker's way, by the app's rules (bot/secret_files.py), with the stdlib only.

`<NAME>_FILE` names a file whose content, without its trailing newline, is `<NAME>`'s value. Both set is
allowed only when they agree; a missing, unreadable or empty file, or a disagreement, is an error that names
the variable and the path, never the value. Rasa expands `${NAME}` in endpoints.yml and credentials.yml from
its environment, so the launcher (serve.py) puts the files' values there before Rasa reads anything:
`resolve_into_environment`. The Redis password joins the trackers' Redis URL the same way as in the app.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, MutableMapping
from urllib.parse import quote, unquote, urlsplit, urlunsplit

SUFFIX = "_FILE"
MAX_BYTES = 64 * 1024
TOKEN = "HELPLINE_RASA_TOKEN"
TRANSCRIPT_KEY = "HELPLINE_TRANSCRIPT_KEY"
REDIS_URL = "HELPLINE_REDIS_URL"
REDIS_PASSWORD = "HELPLINE_REDIS_PASSWORD"
SECRETS = (TOKEN, TRANSCRIPT_KEY, REDIS_URL, REDIS_PASSWORD)


class SecretFileError(RuntimeError):
    """A secret file that cannot be used, or two values of one secret that disagree."""


def read_secret_file(variable: str, path: str) -> str:
    """The secret in `path` (named by `variable`), without its trailing newline; never echoes the value."""
    try:
        with open(path, "rb") as file:
            content = file.read(MAX_BYTES + 1)
    except OSError as error:
        raise SecretFileError(f"{variable}: cannot read {path} ({error.strerror})") from None
    if len(content) > MAX_BYTES:
        raise SecretFileError(f"{variable}: {path} is bigger than {MAX_BYTES} bytes")
    try:
        value = content.decode().rstrip("\r\n")
    except UnicodeDecodeError:
        raise SecretFileError(f"{variable}: {path} is not UTF-8 text") from None
    if not value.strip():
        raise SecretFileError(f"{variable}: {path} is empty")
    return value


def secret(name: str, environ: MutableMapping[str, str] | None = None) -> str | None:
    """`name`'s value: from the file `<name>_FILE` names, else the variable itself; None when neither."""
    environ = os.environ if environ is None else environ
    given = environ.get(name)
    path = environ.get(name + SUFFIX)
    if not path:
        return given
    value = read_secret_file(name + SUFFIX, path)
    if given is not None and given != value:
        raise SecretFileError(f"{name} and {name}{SUFFIX} are both set, and differ")
    return value


def with_password(url: str, password: str | None, variable: str = REDIS_PASSWORD) -> str:
    """`url` with `password` as its password (URL-quoted); a different password already in it is an error."""
    if not password:
        return url
    parts = urlsplit(url)
    if not parts.hostname:
        raise SecretFileError(f"{variable} is set, but the URL it goes with has no host to log in to")
    if parts.password is not None:
        if unquote(parts.password) == password:
            return url
        raise SecretFileError(f"{variable} differs from the password in the URL it goes with")
    user = quote(unquote(parts.username or ""), safe="")
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:{quote(password, safe='')}@{host}"))


def redis_url(url: str | None = None, environ: MutableMapping[str, str] | None = None) -> str | None:
    """The trackers' Redis URL (`url`, else HELPLINE_REDIS_URL), with HELPLINE_REDIS_PASSWORD in it."""
    base = url or secret(REDIS_URL, environ)
    return with_password(base, secret(REDIS_PASSWORD, environ)) if base else None


def resolve_into_environment(
    names: Iterable[str] = SECRETS, environ: MutableMapping[str, str] | None = None
) -> None:
    """Put each secret given as a file into the environment as `<NAME>`; the password into the Redis URL."""
    environ = os.environ if environ is None else environ
    for name in names:
        value = secret(name, environ)
        if value is not None:
            environ[name] = value
            environ.pop(name + SUFFIX, None)
    url = redis_url(environ=environ)
    if url is not None:
        environ[REDIS_URL] = url
