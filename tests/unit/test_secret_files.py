"""Secrets from files, Docker's way (`<NAME>_FILE`, compose secrets in /run/secrets): the app's settings and
Rasa's launcher follow the same rules. The value is the file's content without its trailing newline; the
variable and its file may both be set only when they agree; a file that cannot be used stops the start,
naming the variable, never the secret (an empty pseudonym secret would make everyone look new)."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.secret_files import SecretFileError, file_settings
from bot.settings import Settings
from helpline_rasa import secret_files as rasa_secrets

SECRET = "s3cret+/=value"  # characters a URL must quote


def secret_file(tmp_path: Path, content: str, name: str = "secret") -> str:
    path = tmp_path / name
    path.write_text(content)
    return str(path)


@pytest.fixture(autouse=True)
def no_secret_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's shell may set some of these; the tests set their own."""
    for name in (
        "REDIS_URL",
        "HELPLINE_REDIS_URL",
        "DATABASE_URL",
        "HELPLINE_DATABASE_URL",
        "REDIS_PASSWORD",
    ):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_FILE", raising=False)


@pytest.mark.parametrize(
    ("variable", "field"),
    [
        ("HELPLINE_PSEUDONYM_SECRET", "pseudonym_secret"),
        ("HELPLINE_TRANSCRIPT_KEY", "transcript_key"),
        ("HELPLINE_RASA_TOKEN", "rasa_token"),
        ("TELEGRAM_BOT_TOKEN", "telegram_bot_token"),
        ("TELEGRAM_WEBHOOK_SECRET", "telegram_webhook_secret"),
        ("HELPLINE_TELEGRAM_BOT_TOKEN", "telegram_bot_token"),
        ("TWILIO_AUTH_TOKEN", "twilio_auth_token"),
    ],
)
def test_a_secret_setting_is_read_from_the_file_its_file_variable_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, field: str
) -> None:
    monkeypatch.setenv(f"{variable}_FILE", secret_file(tmp_path, SECRET + "\n"))
    assert getattr(Settings(), field).get_secret_value() == SECRET  # the trailing newline is not part of it


def test_every_secret_setting_can_come_from_a_file_new_ones_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert {"pseudonym_secret", "transcript_key", "rasa_token", "telegram_bot_token"} <= set(
        file_settings(Settings)
    )
    assert {"redis_url", "redis_password", "database_url", "database_password"} <= set(
        file_settings(Settings)
    )

    class Later(Settings):  # a secret added later (WhatsApp, Twilio…) needs nothing more
        whatsapp_token: SecretStr | None = None

    monkeypatch.setenv("HELPLINE_WHATSAPP_TOKEN_FILE", secret_file(tmp_path, SECRET + "\n"))
    token = Later().whatsapp_token
    assert token is not None and token.get_secret_value() == SECRET


def test_the_variable_and_its_file_may_both_be_set_only_when_they_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELPLINE_TRANSCRIPT_KEY_FILE", secret_file(tmp_path, SECRET + "\n"))
    monkeypatch.setenv("HELPLINE_TRANSCRIPT_KEY", SECRET)
    assert Settings().transcript_key is not None  # `helpline run` hands its children the resolved value
    monkeypatch.setenv("HELPLINE_TRANSCRIPT_KEY", "another-key")
    with pytest.raises(
        SecretFileError, match="HELPLINE_TRANSCRIPT_KEY and HELPLINE_TRANSCRIPT_KEY_FILE"
    ) as error:
        Settings()
    assert SECRET not in str(error.value) and "another-key" not in str(error.value)


@pytest.mark.parametrize("content", ["", "\n", "  \n"])
def test_an_empty_secret_file_stops_the_start_instead_of_making_a_new_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str
) -> None:
    monkeypatch.setenv("HELPLINE_PSEUDONYM_SECRET_FILE", secret_file(tmp_path, content))
    with pytest.raises(SecretFileError, match=r"HELPLINE_PSEUDONYM_SECRET_FILE: .* is empty"):
        Settings()


def test_a_missing_secret_file_names_the_variable_and_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELPLINE_RASA_TOKEN_FILE", str(tmp_path / "absent"))
    with pytest.raises(SecretFileError, match=r"HELPLINE_RASA_TOKEN_FILE: cannot read .*absent"):
        Settings()


def test_the_redis_password_file_completes_the_redis_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://redis:6379/0")
    monkeypatch.setenv("REDIS_PASSWORD_FILE", secret_file(tmp_path, SECRET + "\n"))
    url = Settings().effective_redis_url
    assert redis.connection.parse_url(url)["password"] == SECRET
    assert url.endswith("@redis:6379/0")


def test_the_database_password_file_completes_the_database_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://helpline@postgres:5432/helpline")
    monkeypatch.setenv("DATABASE_PASSWORD_FILE", secret_file(tmp_path, SECRET + "\n"))
    url = make_url(Settings().effective_database_url)
    assert (url.username, url.password, url.host, url.database) == (
        "helpline",
        SECRET,
        "postgres",
        "helpline",
    )


def test_a_password_that_contradicts_the_one_in_the_url_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://:other@redis:6379/0")
    monkeypatch.setenv("REDIS_PASSWORD", SECRET)
    with pytest.raises(SecretFileError, match="REDIS_PASSWORD differs") as error:
        Settings()
    assert SECRET not in str(error.value) and "other" not in str(error.value)


def test_a_whole_url_may_come_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL_FILE", secret_file(tmp_path, "postgresql://u:p@db/helpline\n"))
    assert Settings().effective_database_url == "postgresql://u:p@db/helpline"


def test_the_embedded_redis_takes_no_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_PASSWORD", SECRET)
    assert Settings().effective_redis_url.startswith("unix://")


# Rasa's side: helpline_rasa/secret_files.py, standard library only (Rasa's Python 3.10).


def test_rasa_reads_a_secret_from_its_file_without_the_trailing_newline(tmp_path: Path) -> None:
    environ = {"HELPLINE_RASA_TOKEN_FILE": secret_file(tmp_path, SECRET + "\r\n")}
    assert rasa_secrets.secret("HELPLINE_RASA_TOKEN", environ) == SECRET
    assert rasa_secrets.secret("HELPLINE_RASA_TOKEN", {"HELPLINE_RASA_TOKEN": "plain"}) == "plain"
    assert rasa_secrets.secret("HELPLINE_RASA_TOKEN", {}) is None


def test_rasa_refuses_a_file_and_a_variable_that_disagree_and_an_empty_file(tmp_path: Path) -> None:
    path = secret_file(tmp_path, SECRET)
    assert rasa_secrets.secret("X", {"X": SECRET, "X_FILE": path}) == SECRET
    with pytest.raises(rasa_secrets.SecretFileError, match="X and X_FILE are both set, and differ"):
        rasa_secrets.secret("X", {"X": "other", "X_FILE": path})
    with pytest.raises(rasa_secrets.SecretFileError, match="is empty"):
        rasa_secrets.secret("X", {"X_FILE": secret_file(tmp_path, "\n", "empty")})


def test_rasas_launcher_puts_the_secrets_into_the_environment_its_yml_files_read(tmp_path: Path) -> None:
    environ = {
        "HELPLINE_RASA_TOKEN_FILE": secret_file(tmp_path, "token\n", "token"),
        "HELPLINE_TRANSCRIPT_KEY_FILE": secret_file(tmp_path, "key\n", "key"),
        "HELPLINE_REDIS_URL": "redis://redis:6379/0",
        "HELPLINE_REDIS_PASSWORD_FILE": secret_file(tmp_path, SECRET + "\n", "redis"),
        "HELPLINE_TRACKER_RETENTION_H": "24",
    }
    rasa_secrets.resolve_into_environment(environ=environ)
    assert environ["HELPLINE_RASA_TOKEN"] == "token"  # credentials.yml: ${HELPLINE_RASA_TOKEN}
    assert environ["HELPLINE_TRANSCRIPT_KEY"] == "key"
    assert redis.connection.parse_url(environ["HELPLINE_REDIS_URL"])["password"] == SECRET
    assert not any(name.endswith("_FILE") for name in environ)
    # The tracker store, reading the same environment again, agrees with it.
    assert rasa_secrets.redis_url(environ["HELPLINE_REDIS_URL"], environ) == environ["HELPLINE_REDIS_URL"]


def test_rasa_and_the_app_put_a_password_into_a_url_alike() -> None:
    from bot.secret_files import with_password

    for url in ("redis://redis:6379/0", "redis://user@redis:6379/1", "postgresql+psycopg://helpline@pg/db"):
        assert rasa_secrets.with_password(url, SECRET) == with_password(url, SECRET, "REDIS_PASSWORD")
