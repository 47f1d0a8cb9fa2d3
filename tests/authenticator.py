"""A staff member's authenticator app, for the tests that log supervisors and admins in: it keeps the secret
each one enrolled (read from the enrollment page, as a person types it) and gives the code to type next.

The console accepts a time step once, so two logins of one account within 30 s need the code of the next
step (accepted: one step of drift); a third waits for the clock.
"""

from __future__ import annotations

import html
import re
import time

import pyotp

STEP_S = 30
SECRET_IN_PAGE = re.compile(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)<')
URI_IN_PAGE = re.compile(r'id="totp-uri"[^>]*>([^<]+)<')


def secret_in(page: str) -> str:
    """The key the enrollment page shows (in groups of four, as a person reads it)."""
    match = SECRET_IN_PAGE.search(page)
    assert match, "no key on the enrollment page"
    return match.group(1).replace(" ", "")


def uri_in(page: str) -> str:
    """The otpauth:// link the enrollment page shows."""
    match = URI_IN_PAGE.search(page)
    assert match, "no otpauth:// link on the enrollment page"
    return html.unescape(match.group(1))


class Authenticator:
    """The secrets of everyone who enrolled in this test, and the last step each one used."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}
        self._last_step: dict[str, int] = {}

    def enroll(self, name: str, secret: str) -> None:
        """Add an account to the app, as scanned or typed from the enrollment page."""
        self.secrets[name] = secret
        self._last_step.pop(name, None)

    def code(self, name: str) -> str:
        """The code to type now: of the current step, or the next one if the current one was used."""
        step = self._next_step(name)
        self._last_step[name] = step
        return pyotp.TOTP(self.secrets[name]).at(step * STEP_S)

    def used_code(self, name: str) -> str:
        """The code typed last (to replay it)."""
        return pyotp.TOTP(self.secrets[name]).at(self._last_step[name] * STEP_S)

    def _next_step(self, name: str) -> int:
        last = self._last_step.get(name, -1)
        while True:
            now = int(time.time() // STEP_S)
            # The server takes now - 1, now and now + 1: a step after the last one used, within that.
            for step in (now, now + 1):
                if step > last:
                    return step
            time.sleep(max(0.05, last * STEP_S - time.time()))
