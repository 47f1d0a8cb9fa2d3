"""`helpline counsellor add|password|reset-second-factor`, `canned` and `purge`, on a SQLite file."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pyotp
import pytest
from cryptography.fernet import Fernet

from bot.commands.staff import add_staff_commands, read_password
from bot.privacy.crypto import TranscriptCipher
from bot.store.counsellors import CounsellorStore
from bot.store.database import create_database_engine, upgrade_database
from bot.store.handoffs import HandoffStore
from bot.store.second_factor import SecondFactorStore

PASSWORD = "correct horse battery staple"


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'helpline.db'}"
    monkeypatch.setenv("HELPLINE_DATABASE_URL", url)
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HELPLINE_TRANSCRIPT_KEY", Fernet.generate_key().decode())
    return url


def _helpline(argv: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch) -> int:
    parser = argparse.ArgumentParser(prog="helpline")
    add_staff_commands(parser.add_subparsers(dest="command", required=True))
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


def test_a_counsellor_is_added_with_the_password_from_stdin(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status = _helpline(
        ["counsellor", "add", "Oksana", "--languages", "uk,ru", "--role", "supervisor"],
        PASSWORD + "\n",
        monkeypatch,
    )
    engine = create_database_engine(database_url)
    account = CounsellorStore(engine).verify_password("Oksana", PASSWORD)
    engine.dispose()
    output = capsys.readouterr().out
    assert status == 0
    assert (account.role, account.languages, account.capacity) == ("supervisor", frozenset({"uk", "ru"}), 2)
    assert PASSWORD not in output
    assert "'Oksana' added" in output


def test_an_admin_sets_the_console_language_when_adding_a_counsellor(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    add = ["counsellor", "add", "Lucia", "--languages", "es", "--console-language", "es"]
    unsupported = ["counsellor", "add", "Zeno", "--languages", "en", "--console-language", "xx"]
    statuses = [
        _helpline(add, PASSWORD + "\n", monkeypatch),
        _helpline(unsupported, PASSWORD + "\n", monkeypatch),
    ]
    engine = create_database_engine(database_url)
    store = CounsellorStore(engine)
    lucia, zeno = store.by_name("Lucia"), store.by_name("Zeno")
    engine.dispose()
    assert statuses == [0, 1]
    assert lucia is not None and lucia.console_language == "es"
    assert zeno is None
    assert "console in es" in capsys.readouterr().out


def test_a_taken_name_or_a_short_password_is_refused(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    add = ["counsellor", "add", "Oksana", "--languages", "uk"]
    statuses = [
        _helpline(add, PASSWORD + "\n", monkeypatch),
        _helpline(add, "another long password\n", monkeypatch),
        _helpline(["counsellor", "add", "Amira", "--languages", "en"], "short\n", monkeypatch),
        _helpline(["counsellor", "add", "Amira", "--languages", "en"], "", monkeypatch),
    ]
    errors = capsys.readouterr().err
    assert statuses == [0, 1, 1, 1]
    assert "already exists" in errors
    assert "at least 12 characters" in errors
    assert "no password" in errors


def test_purge_dry_run_counts_and_says_so(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dry = _helpline(["purge", "--dry-run"], "", monkeypatch)
    real = _helpline(["purge", "--audit-retention-days", "90"], "", monkeypatch)
    lines = capsys.readouterr().out.splitlines()
    assert (dry, real) == (0, 0)
    assert lines[0].startswith("would delete: 0 handoff(s)")
    assert lines[2].startswith("deleted: 0 handoff(s)")
    assert lines[2].endswith("older than 90 days")
    # What expires by itself in Redis is named, with its period, on every run.
    assert "tracker (encrypted) expires 24 h after its last message" in lines[1]


def test_a_piped_password_loses_only_its_line_ending() -> None:
    assert read_password(io.StringIO(" spaced  password \r\nnext line")) == " spaced  password "


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_password_is_asked_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([PASSWORD, PASSWORD, PASSWORD, "a typo in it"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    assert read_password(_Terminal()) == PASSWORD
    with pytest.raises(ValueError, match="differ"):
        read_password(_Terminal())


def test_a_canned_reply_is_added_from_stdin_and_listed(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    body = "Hola. Soy consejera de la línea de ayuda. ¿Estás en un lugar seguro para escribir?\n"
    assert _helpline(["canned", "add", "--lang", "es", "--title", "Saludo"], body, monkeypatch) == 0
    assert _helpline(["canned", "list", "--lang", "es"], "", monkeypatch) == 0
    output = capsys.readouterr().out
    assert "Saludo" in output and "¿Estás en un lugar seguro para escribir?" in output


def test_a_canned_reply_in_an_unsupported_language_is_refused(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _helpline(["canned", "add", "--lang", "xx", "--title", "Hi"], "Hello", monkeypatch) == 1


@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", "password2024!", "123456789012", "oksana123456"])
def test_a_trivial_password_is_refused_before_anything_is_written(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], password: str
) -> None:
    status = _helpline(["counsellor", "add", "Oksana", "--languages", "uk"], password + "\n", monkeypatch)
    errors = capsys.readouterr().err
    assert status == 1
    assert "easy to guess" in errors or "built on the account's name" in errors
    assert password not in errors
    assert not Path(database_url.removeprefix("sqlite:///")).exists()


def test_purge_tells_operators_when_handoff_chats_leave_redis(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _helpline(["purge", "--dry-run"], "", monkeypatch) == 0
    redis_line = capsys.readouterr().out.splitlines()[1]
    assert "a handoff's chat 24 h after it ends" in redis_line
    assert "need no purge" not in redis_line


def test_a_second_factor_is_reset_from_the_command_line_and_audited(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = create_database_engine(database_url)
    upgrade_database(database_url)
    store = CounsellorStore(engine)
    oksana = store.add("Oksana", PASSWORD, "supervisor", "uk")
    second_factor = SecondFactorStore(engine, TranscriptCipher(Fernet.generate_key().decode()))
    offer = second_factor.offer()
    assert second_factor.enroll(oksana.id, offer.sealed, pyotp.TOTP(offer.secret).now()) == "accepted"
    status = _helpline(["counsellor", "reset-second-factor", "Oksana"], "", monkeypatch)
    unknown = _helpline(["counsellor", "reset-second-factor", "Nobody"], "", monkeypatch)
    account = store.get(oksana.id)
    latest = HandoffStore(engine, TranscriptCipher(Fernet.generate_key().decode())).audit_trail()[0]
    engine.dispose()
    output = capsys.readouterr()
    assert (status, unknown) == (0, 1)
    assert account is not None and not account.second_factor
    assert (latest.counsellor_id, latest.action, latest.detail) == (
        None,
        "second_factor_reset",
        f"id {oksana.id}",
    )
    assert "second factor of 'Oksana' reset" in output.out and "no counsellor called 'Nobody'" in output.err


def test_a_new_password_is_set_from_the_command_line_never_a_trivial_one(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _helpline(["counsellor", "add", "Oksana", "--languages", "uk"], PASSWORD + "\n", monkeypatch) == 0
    trivial = _helpline(["counsellor", "password", "Oksana"], "password2024!\n", monkeypatch)
    changed = _helpline(["counsellor", "password", "Oksana"], "a brand new passphrase\n", monkeypatch)
    engine = create_database_engine(database_url)
    account = CounsellorStore(engine).verify_password("Oksana", "a brand new passphrase")
    engine.dispose()
    output = capsys.readouterr()
    assert (trivial, changed) == (1, 0)
    assert account.name == "Oksana"
    assert "easy to guess" in output.err and "password2024!" not in output.err + output.out
    assert "new password set for 'Oksana'" in output.out


def test_a_new_supervisor_is_told_about_the_second_factor(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    add = ["counsellor", "add", "Oksana", "--languages", "uk", "--role", "admin"]
    assert _helpline(add, PASSWORD + "\n", monkeypatch) == 0
    assert "second factor" in capsys.readouterr().out
