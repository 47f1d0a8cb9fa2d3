"""The second factor on real databases (SQLite always, PostgreSQL where one is reachable): secrets stored only
encrypted, each code accepted once, enrolling once, resets audited; and the migration that brought it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pyotp
import pytest
from alembic import command
from argon2 import PasswordHasher
from cryptography.fernet import Fernet
from sqlalchemy import Engine, inspect, text

from bot.privacy.crypto import TranscriptCipher
from bot.store.counsellors import CounsellorStore
from bot.store.database import alembic_config, create_database_engine, upgrade_database
from bot.store.handoffs import HandoffStore
from bot.store.second_factor import SecondFactorStore

pytestmark = pytest.mark.integration
PASSWORD = "correct horse battery staple"
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
NOW = datetime(2026, 12, 2, 12, 0, 10, tzinfo=timezone.utc)  # 10 s into a 30-second step


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade_database(database_url)
    engine = create_database_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cipher() -> TranscriptCipher:
    return TranscriptCipher(Fernet.generate_key().decode())


@pytest.fixture
def store(engine: Engine, cipher: TranscriptCipher, clock: Clock) -> SecondFactorStore:
    return SecondFactorStore(engine, cipher, clock=clock)


@pytest.fixture
def counsellors(engine: Engine, clock: Clock) -> CounsellorStore:
    return CounsellorStore(engine, hasher=FAST, clock=clock)


def code_at(secret: str, moment: datetime) -> str:
    """What the person's authenticator app shows at `moment`."""
    return pyotp.TOTP(secret).at(moment)


def enrolled(store: SecondFactorStore, counsellor_id: int, clock: Clock) -> str:
    """Enroll with a new secret; the secret, as the person's app keeps it."""
    offer = store.offer()
    assert store.enroll(counsellor_id, offer.sealed, code_at(offer.secret, clock.now)) == "accepted"
    return offer.secret


def test_the_secret_is_stored_only_encrypted(
    engine: Engine, store: SecondFactorStore, counsellors: CounsellorStore, clock: Clock
) -> None:
    sam = counsellors.add("Sam", PASSWORD, "supervisor", "en")
    secret = enrolled(store, sam.id, clock)
    with engine.connect() as connection:
        raw = connection.execute(text("select totp_secret from counsellors")).scalar_one()
    account = counsellors.get(sam.id)
    assert secret.encode() not in bytes(raw)
    assert account is not None and account.second_factor


def test_a_code_is_accepted_once_and_never_an_older_one(
    store: SecondFactorStore,
    counsellors: CounsellorStore,
    clock: Clock,
    engine: Engine,
    cipher: TranscriptCipher,
) -> None:
    sam = counsellors.add("Sam", PASSWORD, "supervisor", "en")
    secret = enrolled(store, sam.id, clock)
    clock.now = NOW + timedelta(seconds=30)
    code = code_at(secret, clock.now)
    first, replayed = store.check(sam.id, code), store.check(sam.id, code)
    # The code of the step before is still within the drift allowed, but a later step was used already.
    older = store.check(sam.id, code_at(secret, NOW))
    trail = [(entry.action, entry.detail) for entry in HandoffStore(engine, cipher).audit_trail()][:3]
    assert (first, replayed, older) == ("accepted", "reused", "reused")
    assert trail == [("login_failed", "code used before")] * 2 + [("login", "with second factor")]


def test_a_code_one_step_away_is_accepted_two_steps_away_is_not(
    store: SecondFactorStore, counsellors: CounsellorStore, clock: Clock
) -> None:
    sam = counsellors.add("Sam", PASSWORD, "supervisor", "en")
    secret = enrolled(store, sam.id, clock)
    clock.now = NOW + timedelta(minutes=5)
    too_late = store.check(sam.id, code_at(secret, clock.now - timedelta(seconds=60)))
    slow_phone = store.check(sam.id, code_at(secret, clock.now - timedelta(seconds=30)))
    clock.now += timedelta(minutes=5)
    fast_phone = store.check(sam.id, code_at(secret, clock.now + timedelta(seconds=30)))
    assert (too_late, slow_phone, fast_phone) == ("wrong", "accepted", "accepted")


def test_enrolling_needs_a_code_of_the_new_secret_and_happens_once(
    store: SecondFactorStore, counsellors: CounsellorStore, clock: Clock
) -> None:
    sam = counsellors.add("Sam", PASSWORD, "supervisor", "en")
    first, second = store.offer(), store.offer()
    wrong = store.enroll(sam.id, first.sealed, code_at(second.secret, clock.now))
    right = store.enroll(sam.id, first.sealed, code_at(first.secret, clock.now))
    clock.now += timedelta(seconds=30)
    # A second offer confirmed later (an attacker's, with the password) never replaces the first.
    again = store.enroll(sam.id, second.sealed, code_at(second.secret, clock.now))
    assert (wrong, right, again) == ("wrong", "accepted", "already_enrolled")
    assert store.check(sam.id, code_at(first.secret, clock.now)) == "accepted"


def test_a_reset_forgets_the_secret_and_is_audited(
    store: SecondFactorStore,
    counsellors: CounsellorStore,
    clock: Clock,
    engine: Engine,
    cipher: TranscriptCipher,
) -> None:
    sam = counsellors.add("Sam", PASSWORD, "supervisor", "en")
    root = counsellors.add("Root", PASSWORD, "admin", "en")
    secret = enrolled(store, sam.id, clock)
    store.reset(sam.id, by=root.id)
    account = counsellors.get(sam.id)
    latest = HandoffStore(engine, cipher).audit_trail()[0]
    clock.now += timedelta(seconds=30)
    assert account is not None and not account.second_factor
    assert store.check(sam.id, code_at(secret, clock.now)) == "not_enrolled"
    assert (latest.counsellor_id, latest.action, latest.detail) == (
        root.id,
        "second_factor_reset",
        f"id {sam.id}",
    )
    for impossible in (0, 2**31, 10**30):
        with pytest.raises(KeyError):
            store.reset(impossible, by=root.id)


def test_a_deactivated_account_gets_no_second_step(
    store: SecondFactorStore, counsellors: CounsellorStore, clock: Clock
) -> None:
    sam = counsellors.add("Sam", PASSWORD, "supervisor", "en")
    secret = enrolled(store, sam.id, clock)
    counsellors.set_active(sam.id, False)
    clock.now += timedelta(seconds=30)
    offer = store.offer()
    assert store.check(sam.id, code_at(secret, clock.now)) == "inactive"
    assert store.enroll(sam.id, offer.sealed, code_at(offer.secret, clock.now)) == "inactive"


def test_the_second_factor_migration_keeps_the_team_and_their_handoffs(database_url: str) -> None:
    # Dropping the lockout columns must not touch the rows that handoffs and audit lines point to.
    command.upgrade(alembic_config(database_url), "0004")
    engine = create_database_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into counsellors (name, password_hash, role, languages, capacity, active, "
                "failed_logins, created_at) values ('Amira', 'x', 'admin', 'en', 2, true, 3, :at)"
            ),
            {"at": NOW},
        )
        connection.execute(
            text(
                "insert into handoffs (id, pseudonym, channel, locale, priority, nickname, queued_at, "
                "counsellor_id, mismatch) values (:id, :pseudonym, 'webchat', 'en', 'normal', 'Visitor 1', "
                ":at, 1, false)"
            ),
            {"id": "a" * 32, "pseudonym": "f" * 64, "at": NOW},
        )
    engine.dispose()
    upgrade_database(database_url)
    engine = create_database_engine(database_url)
    columns = {column["name"] for column in inspect(engine).get_columns("counsellors")}
    with engine.connect() as connection:
        kept = connection.execute(
            text("select c.name from handoffs h join counsellors c on c.id = h.counsellor_id")
        )
        names = [row.name for row in kept]
    engine.dispose()
    command.downgrade(alembic_config(database_url), "0004")
    upgrade_database(database_url)
    assert names == ["Amira"]
    assert {"totp_secret", "totp_last_step", "login_alert_at"} <= columns
    assert not {"failed_logins", "locked_until"} & columns
