"""Secret settings from files, Docker's way (compose secrets in /run/secrets), for bot/settings.py.

Set `<NAME>_FILE` to a file's path instead of `<NAME>`
(`HELPLINE_TRANSCRIPT_KEY_FILE=/run/secrets/transcript_key`): the file's content is the value, without its
trailing newline. Setting both `<NAME>` and `<NAME>_FILE` is allowed only when they agree (`helpline run`
hands its children the values it resolved); otherwise, and for a file that is missing, unreadable or empty,
the settings fail to load, naming the variable and the path, never the value. An empty file is an error, not
"unset": an empty pseudonym secret would silently make a new one, and everyone would look new.
helpline_rasa/secret_files.py follows the same rules in Rasa's process.
"""

from __future__ import annotations

import os
from typing import Any, get_args
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from pydantic import AliasChoices, SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

SECRET_FILE_SUFFIX = "_FILE"
SECRET_FILE_MAX_BYTES = 64 * 1024  # a key, a token or a URL; anything bigger is the wrong file
URL_SETTINGS = ("redis_url", "database_url")  # not SecretStr, but they may carry a password


class SecretFileError(RuntimeError):
    """A secret file that cannot be used, or two values of one secret that disagree.

    Not a ValueError: pydantic would wrap it in a ValidationError that prints every setting given, secrets
    too.
    """


def read_secret_file(variable: str, path: str) -> str:
    """The secret in `path` (named by `variable`), without its trailing newline; never echoes the value."""
    try:
        with open(path, "rb") as file:
            content = file.read(SECRET_FILE_MAX_BYTES + 1)
    except OSError as error:
        raise SecretFileError(f"{variable}: cannot read {path} ({error.strerror})") from None
    if len(content) > SECRET_FILE_MAX_BYTES:
        raise SecretFileError(f"{variable}: {path} is bigger than {SECRET_FILE_MAX_BYTES} bytes")
    try:
        value = content.decode().rstrip("\r\n")
    except UnicodeDecodeError:
        raise SecretFileError(f"{variable}: {path} is not UTF-8 text") from None
    if not value.strip():
        raise SecretFileError(f"{variable}: {path} is empty")
    return value


def with_password(url: str, password: str, variable: str) -> str:
    """`url` with `password` as its password (URL-quoted); a different password already in it is an error."""
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


def file_settings(settings_cls: type[BaseSettings]) -> list[str]:
    """The settings that may be given as files: every secret (SecretStr, so a new one too) and the URLs."""
    return [
        name
        for name, field in settings_cls.model_fields.items()
        if name in URL_SETTINGS or SecretStr in get_args(field.annotation) or field.annotation is SecretStr
    ]


class SecretFiles(PydanticBaseSettingsSource):
    """The secret settings given as `<NAME>_FILE` (Docker's convention), read once at startup."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Unused: __call__ reads every field at once."""
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for field_name in file_settings(self.settings_cls):
            names = self.variable_names(field_name)
            for name in names:
                path = os.environ.get(name + SECRET_FILE_SUFFIX)
                if not path:
                    continue
                value = read_secret_file(name + SECRET_FILE_SUFFIX, path)
                given = os.environ.get(name)
                if given is not None and given != value:
                    raise SecretFileError(f"{name} and {name}{SECRET_FILE_SUFFIX} are both set, and differ")
                values.setdefault(names[0] if len(names) > 1 else field_name, value)
        return values

    def variable_names(self, field_name: str) -> list[str]:
        """The environment variables a setting is read from, in order of preference."""
        alias = self.settings_cls.model_fields[field_name].validation_alias
        if isinstance(alias, AliasChoices):
            return [str(choice) for choice in alias.choices]
        if isinstance(alias, str):
            return [alias]
        prefix = str(self.settings_cls.model_config.get("env_prefix", ""))
        return [f"{prefix}{field_name}".upper()]
