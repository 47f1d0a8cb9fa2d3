"""Counsellor accounts: argon2 passwords (never trivial ones: `passwords.py`), roles, languages, and a lockout
after repeated wrong passwords."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Literal, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.models import MAX_ROW_ID, AuditEvent, Counsellor
from bot.store.passwords import check_password

Role = Literal["counsellor", "supervisor", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
MAX_CAPACITY = 20  # chats at once; the admin form says the same
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True)
class CounsellorAccount:
    """A counsellor as the console sees one; the password hash never leaves the store."""

    id: int
    name: str
    role: Role
    languages: frozenset[str]
    capacity: int
    active: bool
    locked_until: datetime | None


class CounsellorExists(Exception):
    """Another account already has this name."""


class LoginRefused(Exception):
    """A login that did not succeed, and why (for the audit trail; show people one message for all)."""

    def __init__(self, reason: Literal["wrong", "locked", "inactive"]) -> None:
        super().__init__(reason)
        self.reason = reason


def utc(moment: datetime) -> datetime:
    """`moment` in UTC; SQLite gives back naive datetimes, which this store always writes in UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def parse_languages(languages: str | Iterable[str]) -> tuple[str, ...]:
    """Locale codes from "en, es" or ["en", "es"]: lower-case, without repeats, in the order given."""
    items = languages.split(",") if isinstance(languages, str) else languages
    codes = tuple(dict.fromkeys(item.strip().lower() for item in items if item.strip()))
    if not codes:
        raise ValueError("a counsellor speaks at least one language")
    for code in codes:
        if not _LANGUAGE.match(code):
            raise ValueError(f"not a language code: {code!r} (two or three letters, like en or es)")
    return codes


class CounsellorStore:
    """Adds counsellors and checks their passwords; every call is one short transaction."""

    def __init__(
        self,
        engine: Engine,
        *,
        hasher: PasswordHasher | None = None,
        max_failures: int = 5,
        lockout: timedelta = timedelta(minutes=15),
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self._engine = engine
        self._hasher = hasher or PasswordHasher()
        self._max_failures = max_failures
        self._lockout = lockout
        self._clock = clock
        # Checked when a name is unknown, so that a wrong name costs as long as a wrong password.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    def add(
        self,
        name: str,
        password: str,
        role: Role,
        languages: str | Iterable[str],
        capacity: int = 2,
        added_by: int | None = None,
    ) -> CounsellorAccount:
        """Create an account; raises CounsellorExists if the name is taken, ValueError if a field is bad."""
        name = name.strip()
        if not name or len(name) > 64:
            raise ValueError("a counsellor's name has 1 to 64 characters")
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if not 1 <= capacity <= MAX_CAPACITY:
            raise ValueError(f"capacity is a number from 1 to {MAX_CAPACITY}")
        codes = parse_languages(languages)
        password_hash = self._hasher.hash(check_password(password, name))
        now = self._clock()
        try:
            with self._engine.begin() as connection:
                counsellor_id = connection.execute(
                    insert(Counsellor)
                    .values(
                        name=name,
                        password_hash=password_hash,
                        role=role,
                        languages=",".join(codes),
                        capacity=capacity,
                        active=True,
                        failed_logins=0,
                        created_at=now,
                    )
                    .returning(Counsellor.id)
                ).scalar_one()
                _audit(connection, now, added_by, "counsellor_added", f"id {counsellor_id} role {role}")
        except IntegrityError:
            raise CounsellorExists(name) from None
        return CounsellorAccount(counsellor_id, name, role, frozenset(codes), capacity, True, None)

    def by_name(self, name: str) -> CounsellorAccount | None:
        """The account called `name`, if any."""
        row = self._find(Counsellor.name == name.strip())
        return _account(row) if row else None

    def get(self, counsellor_id: int) -> CounsellorAccount | None:
        """The account with this id, if any."""
        if not 1 <= counsellor_id <= MAX_ROW_ID:
            return None
        row = self._find(Counsellor.id == counsellor_id)
        return _account(row) if row else None

    def list(self) -> list[CounsellorAccount]:
        """Every account, by name."""
        with Session(self._engine) as session:
            return [_account(row) for row in session.scalars(select(Counsellor).order_by(Counsellor.name))]

    def verify_password(self, name: str, password: str) -> CounsellorAccount:
        """The account if `password` is right and it may log in; raises LoginRefused otherwise.

        Every attempt is audited. After `max_failures` wrong passwords in a row the account is locked for
        `lockout`, during which even the right password is refused; a successful login resets the count.
        """
        row = self._find(Counsellor.name == name.strip())
        right = self._check(row.password_hash if row else self._dummy_hash, password)
        now = self._clock()
        if row is None:
            with self._engine.begin() as connection:
                _audit(connection, now, None, "login_failed", "unknown name")
            raise LoginRefused("wrong")
        with self._engine.begin() as connection:
            if row.locked_until is not None and utc(row.locked_until) > now:
                _audit(connection, now, row.id, "locked", "refused while locked")
                refusal: LoginRefused | None = LoginRefused("locked")
            elif not right:
                refusal = self._count_failure(connection, row.id, now)
            elif not row.active:
                _audit(connection, now, row.id, "login_failed", "inactive")
                refusal = LoginRefused("inactive")
            else:
                changes: dict[str, object] = {"failed_logins": 0, "locked_until": None}
                if self._hasher.check_needs_rehash(row.password_hash):
                    changes["password_hash"] = self._hasher.hash(password)
                connection.execute(update(Counsellor).where(Counsellor.id == row.id).values(**changes))
                _audit(connection, now, row.id, "login", "")
                refusal = None
        if refusal is not None:
            raise refusal
        return replace(_account(row), locked_until=None)

    def set_password(self, counsellor_id: int, password: str) -> None:
        """Give an account a new password (and clear any lockout); KeyError if there is no such account."""
        account = self.get(counsellor_id)
        if account is None:
            raise KeyError(counsellor_id)
        password_hash = self._hasher.hash(check_password(password, account.name))
        self._update(counsellor_id, password_hash=password_hash, failed_logins=0, locked_until=None)

    def set_active(self, counsellor_id: int, active: bool) -> None:
        """Let an account log in again, or stop it (accounts are never deleted: the audit names them)."""
        self._update(counsellor_id, active=active)

    def unlock(self, counsellor_id: int) -> None:
        """End a lockout early (an admin has checked it was the counsellor)."""
        self._update(counsellor_id, failed_logins=0, locked_until=None)

    def _find(self, condition: ColumnElement[bool]) -> Counsellor | None:
        with Session(self._engine, expire_on_commit=False) as session:
            return session.scalars(select(Counsellor).where(condition)).one_or_none()

    def _check(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _count_failure(self, connection: Connection, counsellor_id: int, now: datetime) -> LoginRefused:
        # Counted in the database, so attempts from several console processes add up.
        failures = connection.execute(
            update(Counsellor)
            .where(Counsellor.id == counsellor_id)
            .values(failed_logins=Counsellor.failed_logins + 1)
            .returning(Counsellor.failed_logins)
        ).scalar_one()
        _audit(connection, now, counsellor_id, "login_failed", "wrong password")
        if failures < self._max_failures:
            return LoginRefused("wrong")
        # The count starts again, so after the lockout there are `max_failures` more tries before the next.
        connection.execute(
            update(Counsellor)
            .where(Counsellor.id == counsellor_id)
            .values(failed_logins=0, locked_until=now + self._lockout)
        )
        _audit(connection, now, counsellor_id, "locked", f"after {failures} wrong passwords")
        return LoginRefused("locked")

    def _update(self, counsellor_id: int, **values: object) -> None:
        if not 1 <= counsellor_id <= MAX_ROW_ID:
            raise KeyError(counsellor_id)
        with self._engine.begin() as connection:
            result = connection.execute(
                update(Counsellor).where(Counsellor.id == counsellor_id).values(**values)
            )
        if result.rowcount == 0:
            raise KeyError(counsellor_id)


def _account(row: Counsellor) -> CounsellorAccount:
    # An unknown role in the table (edited by hand) gets the least rights, never more.
    role: Role = row.role if row.role in ROLES else "counsellor"
    return CounsellorAccount(
        id=row.id,
        name=row.name,
        role=role,
        languages=frozenset(row.languages.split(",")),
        capacity=row.capacity,
        active=row.active,
        locked_until=utc(row.locked_until) if row.locked_until else None,
    )


def _audit(connection: Connection, at: datetime, counsellor_id: int | None, action: str, detail: str) -> None:
    connection.execute(
        insert(AuditEvent).values(at=at, counsellor_id=counsellor_id, action=action, detail=detail)
    )
