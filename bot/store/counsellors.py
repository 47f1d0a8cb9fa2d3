"""Counsellor accounts: argon2 passwords (never trivial ones: `passwords.py`), roles, languages, and the alert
an admin sees when an account gets many failed logins.

No number of wrong passwords locks an account: anyone could send them, and lock a counsellor out (issue 14).
The console throttles the source of failed logins instead (`bot/console/throttle.py`); supervisors and admins
also need a second factor (`second_factor.py`); an admin deactivates an account that may be lost.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.i18n import SUPPORTED_LOCALES, _
from bot.store.models import MAX_ROW_ID, AuditEvent, Counsellor
from bot.store.passwords import check_password

Role = Literal["counsellor", "supervisor", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
# Who must give a second factor (a TOTP code) after the password: those who see every chat and the team.
SECOND_FACTOR_ROLES: tuple[Role, ...] = ("supervisor", "admin")
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
    second_factor: bool = False  # enrolled: a TOTP code is asked after the password
    login_alert_at: datetime | None = None  # many failed logins, not yet acknowledged by an admin
    console_language: str | None = None  # the console's language; None: the browser's (Accept-Language)

    @property
    def needs_second_factor(self) -> bool:
        """True when a password alone does not log this account in (its role, or it enrolled anyway)."""
        return self.second_factor or self.role in SECOND_FACTOR_ROLES


class CounsellorExists(Exception):
    """Another account already has this name."""


class LoginRefused(Exception):
    """A login that did not succeed, and why (for the audit trail; show people one message for all)."""

    def __init__(self, reason: Literal["wrong", "inactive"], counsellor_id: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.counsellor_id = counsellor_id  # the account tried, if the name is one (never shown to anyone)


def utc(moment: datetime) -> datetime:
    """`moment` in UTC; SQLite gives back naive datetimes, which this store always writes in UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def parse_languages(languages: str | Iterable[str]) -> tuple[str, ...]:
    """Locale codes from "en, es" or ["en", "es"]: lower-case, without repeats, in the order given."""
    items = languages.split(",") if isinstance(languages, str) else languages
    codes = tuple(dict.fromkeys(item.strip().lower() for item in items if item.strip()))
    if not codes:
        raise ValueError(_("a counsellor speaks at least one language"))
    for code in codes:
        if not _LANGUAGE.match(code):
            raise ValueError(f"not a language code: {code!r} (two or three letters, like en or es)")
    return codes


def console_language(code: str | None) -> str | None:
    """A console language setting: a supported locale ("es"), or None for "the browser's language" (empty);
    ValueError for anything else."""
    code = (code or "").strip().lower()
    if not code:
        return None
    if code not in SUPPORTED_LOCALES:
        raise ValueError(f"the console speaks {', '.join(SUPPORTED_LOCALES)}, not {code!r}")
    return code


class CounsellorStore:
    """Adds counsellors and checks their passwords; every call is one short transaction."""

    def __init__(
        self,
        engine: Engine,
        *,
        hasher: PasswordHasher | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self._engine = engine
        self._hasher = hasher or PasswordHasher()
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
        console_locale: str | None = None,
    ) -> CounsellorAccount:
        """Create an account; raises CounsellorExists if the name is taken, ValueError if a field is bad."""
        name = name.strip()
        if not name or len(name) > 64:
            raise ValueError(_("a counsellor's name has 1 to 64 characters"))
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if not 1 <= capacity <= MAX_CAPACITY:
            raise ValueError(f"capacity is a number from 1 to {MAX_CAPACITY}")
        codes = parse_languages(languages)
        chosen = console_language(console_locale)
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
                        console_language=chosen,
                        created_at=now,
                    )
                    .returning(Counsellor.id)
                ).scalar_one()
                audit(connection, now, added_by, "counsellor_added", f"id {counsellor_id} role {role}")
        except IntegrityError:
            raise CounsellorExists(name) from None
        return CounsellorAccount(
            counsellor_id, name, role, frozenset(codes), capacity, True, console_language=chosen
        )

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

        Every attempt is audited: "login" when the password alone logs the account in, "password_accepted"
        when a second factor comes next (the console audits that step), "login_failed" with the reason.
        """
        row = self._find(Counsellor.name == name.strip())
        right = self._check(row.password_hash if row else self._dummy_hash, password)
        now = self._clock()
        if row is None:
            with self._engine.begin() as connection:
                audit(connection, now, None, "login_failed", "unknown name")
            raise LoginRefused("wrong")
        account = _account(row)
        refusal: LoginRefused | None = None
        with self._engine.begin() as connection:  # the refusal is raised after the audit line is kept
            if not right:
                audit(connection, now, row.id, "login_failed", "wrong password")
                refusal = LoginRefused("wrong", row.id)
            elif not row.active:
                audit(connection, now, row.id, "login_failed", "inactive")
                refusal = LoginRefused("inactive", row.id)
            elif account.needs_second_factor:
                step = "code next" if account.second_factor else "enrollment next"
                audit(connection, now, row.id, "password_accepted", f"second factor: {step}")
            else:
                audit(connection, now, row.id, "login", "")
            if refusal is None and self._hasher.check_needs_rehash(row.password_hash):
                new_hash = self._hasher.hash(password)
                connection.execute(
                    update(Counsellor).where(Counsellor.id == row.id).values(password_hash=new_hash)
                )
        if refusal is not None:
            raise refusal
        return account

    def set_password(self, counsellor_id: int, password: str) -> None:
        """Give an account a new password; KeyError if there is no such account."""
        account = self.get(counsellor_id)
        if account is None:
            raise KeyError(counsellor_id)
        password_hash = self._hasher.hash(check_password(password, account.name))
        self._update(counsellor_id, password_hash=password_hash)

    def set_console_language(self, counsellor_id: int, code: str | None) -> str | None:
        """Set the language the console is shown in (None or "": the browser's); the setting kept.
        ValueError for an unsupported code, KeyError if there is no such account."""
        chosen = console_language(code)
        self._update(counsellor_id, console_language=chosen)
        return chosen

    def set_active(self, counsellor_id: int, active: bool) -> None:
        """Let an account log in again, or stop it (accounts are never deleted: the audit names them)."""
        self._update(counsellor_id, active=active)

    def raise_login_alert(self, counsellor_id: int, failures: int, window_s: int) -> None:
        """Many failed logins for one account (from any sources): audited, and shown to admins until one of
        them acknowledges it. Says how many and within how long; never from where, never a password."""
        now = self._clock()
        with self._engine.begin() as connection:
            connection.execute(
                update(Counsellor).where(Counsellor.id == counsellor_id).values(login_alert_at=now)
            )
            detail = f"{failures} failed logins within {max(1, window_s // 60)} min"
            audit(connection, now, counsellor_id, "login_alert", detail)

    def acknowledge_login_alert(self, counsellor_id: int, by: int | None) -> None:
        """An admin has seen the alert (and acted on it); audited. KeyError if there is no such account."""
        with self._engine.begin() as connection:
            self._update(counsellor_id, connection, login_alert_at=None)
            audit(connection, self._clock(), by, "login_alert_acknowledged", f"id {counsellor_id}")

    def _find(self, condition: ColumnElement[bool]) -> Counsellor | None:
        with Session(self._engine, expire_on_commit=False) as session:
            return session.scalars(select(Counsellor).where(condition)).one_or_none()

    def _check(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _update(self, counsellor_id: int, connection: Connection | None = None, **values: object) -> None:
        """Change one account, in the caller's transaction if given; KeyError if there is no such account."""
        if not 1 <= counsellor_id <= MAX_ROW_ID:
            raise KeyError(counsellor_id)
        if connection is None:
            with self._engine.begin() as own:
                self._update(counsellor_id, own, **values)
            return
        result = connection.execute(update(Counsellor).where(Counsellor.id == counsellor_id).values(**values))
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
        second_factor=row.totp_secret is not None,
        login_alert_at=utc(row.login_alert_at) if row.login_alert_at else None,
        console_language=row.console_language if row.console_language in SUPPORTED_LOCALES else None,
    )


def audit(connection: Connection, at: datetime, counsellor_id: int | None, action: str, detail: str) -> None:
    """Add a line to the audit trail inside the caller's transaction (`detail` short, never a secret)."""
    connection.execute(
        insert(AuditEvent).values(at=at, counsellor_id=counsellor_id, action=action, detail=detail)
    )
