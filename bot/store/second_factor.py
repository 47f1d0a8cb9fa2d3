"""The second factor of a console login: TOTP codes (RFC 6238: 30-second steps, 6 digits, one step of clock
drift either way), their secrets kept only encrypted, and every code accepted once.

pyotp computes the codes (RFC 4226 and 6238, checked against the RFC's test vectors in the tests) and the
otpauth:// URI that authenticator apps read; this module adds what it leaves to its caller: where the
secret lives, and that a time step once accepted is never accepted again (RFC 6238, section 5.2).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

import pyotp
from pyotp.exceptions import OTPVerificationError
from sqlalchemy import Engine, or_, select, update

from bot.cipher import Cipher, UnreadableText
from bot.store.counsellors import audit
from bot.store.models import MAX_ROW_ID, Counsellor

STEP_S = 30
DIGITS = 6
DRIFT_STEPS = 1  # a code of the step before or after now is accepted too (a phone's clock is off a little)
ISSUER = "Helpline console"

# What a code was: the right one (now used up), wrong, right but used before, or not to be checked at all.
CodeCheck = Literal["accepted", "wrong", "reused", "not_enrolled", "already_enrolled", "inactive"]


def new_secret() -> str:
    """A new TOTP secret: 160 random bits (RFC 4226's recommended length) in base32, as apps take it."""
    return pyotp.random_base32()


def code_from(text: str) -> str | None:
    """A code as a person types it ("123 456", "123456") as six ASCII digits, or None if it cannot be one."""
    digits = "".join(text.split())
    if len(digits) != DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def matching_step(secret: str, code: str, at: datetime) -> int | None:
    """The time step (of 30 s since 1970) whose code `code` is, within one step of `at`; else None."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S)
    try:
        return totp.verify_and_get_timecode(code, for_time=at, valid_window=DRIFT_STEPS)
    except OTPVerificationError:
        return None


def provisioning_uri(secret: str, account_name: str, issuer: str = ISSUER) -> str:
    """The otpauth:// URI an authenticator app reads (from a QR code, or pasted) to make the codes."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S)
    return totp.provisioning_uri(name=account_name, issuer_name=issuer)


@dataclass(frozen=True)
class Enrollment:
    """A secret offered to someone enrolling: in clear to show them, sealed to keep until they confirm it."""

    secret: str
    sealed: bytes


class SecondFactorStore:
    """Each account's TOTP secret (a Fernet token in `counsellors.totp_secret`) and the last step it used."""

    def __init__(
        self,
        engine: Engine,
        cipher: Cipher,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self._engine = engine
        self._cipher = cipher
        self._clock = clock

    def offer(self) -> Enrollment:
        """A new secret for someone about to enroll; nothing is stored until they confirm it with a code."""
        secret = new_secret()
        return Enrollment(secret, self._cipher.encrypt(secret))

    def opened(self, sealed: bytes) -> str:
        """The secret inside an offer's sealed form (to show it again); UnreadableText if it was altered."""
        return self._cipher.decrypt(sealed)

    def enroll(self, counsellor_id: int, sealed: bytes, code: str) -> CodeCheck:
        """Keep the offered secret as the account's second factor if `code` is one of its codes; audited.

        Only an account without one enrolls: a second offer confirmed later never replaces the first.
        """
        now = self._clock()
        step = matching_step(self._cipher.decrypt(sealed), code, now)
        with self._engine.begin() as connection:
            active = connection.execute(
                select(Counsellor.active).where(Counsellor.id == counsellor_id)
            ).scalar_one_or_none()
            if not active:
                return "inactive"
            if step is None:
                audit(connection, now, counsellor_id, "login_failed", "wrong code while enrolling")
                return "wrong"
            kept = connection.execute(
                update(Counsellor)
                .where(Counsellor.id == counsellor_id, Counsellor.totp_secret.is_(None))
                .values(totp_secret=sealed, totp_last_step=step)
            )
            if kept.rowcount == 0:
                audit(connection, now, counsellor_id, "login_failed", "enrolled already")
                return "already_enrolled"
            audit(connection, now, counsellor_id, "second_factor_enrolled", "")
            audit(connection, now, counsellor_id, "login", "second factor enrolled")
        return "accepted"

    def check(self, counsellor_id: int, code: str) -> CodeCheck:
        """Whether `code` is the account's code now; a step accepted once (or an earlier one) never again."""
        now = self._clock()
        with self._engine.begin() as connection:
            row = connection.execute(
                select(Counsellor.totp_secret, Counsellor.active).where(Counsellor.id == counsellor_id)
            ).one_or_none()
            if row is None or row.totp_secret is None:
                return "not_enrolled"
            if not row.active:
                return "inactive"
            try:
                step = matching_step(self._cipher.decrypt(row.totp_secret), code, now)
            except UnreadableText:  # its key was dropped: only an admin's reset helps
                audit(connection, now, counsellor_id, "login_failed", "second factor unreadable: reset it")
                return "wrong"
            if step is None:
                audit(connection, now, counsellor_id, "login_failed", "wrong code")
                return "wrong"
            # One statement decides, so two requests with the same code cannot both pass.
            used = connection.execute(
                update(Counsellor)
                .where(Counsellor.id == counsellor_id)
                .where(or_(Counsellor.totp_last_step.is_(None), Counsellor.totp_last_step < step))
                .values(totp_last_step=step)
            )
            if used.rowcount == 0:
                audit(connection, now, counsellor_id, "login_failed", "code used before")
                return "reused"
            audit(connection, now, counsellor_id, "login", "with second factor")
        return "accepted"

    def reset(self, counsellor_id: int, by: int | None) -> None:
        """Forget an account's second factor (a lost phone): it enrolls again at its next login. Audited, with
        the admin who did it (None: the `helpline` command); KeyError if there is no such account."""
        if not 1 <= counsellor_id <= MAX_ROW_ID:
            raise KeyError(counsellor_id)
        with self._engine.begin() as connection:
            result = connection.execute(
                update(Counsellor)
                .where(Counsellor.id == counsellor_id)
                .values(totp_secret=None, totp_last_step=None)
            )
            if result.rowcount == 0:
                raise KeyError(counsellor_id)
            audit(connection, self._clock(), by, "second_factor_reset", f"id {counsellor_id}")
