"""What a counsellor's password may not be: short, a repeated or sequential pattern, built on the account's
name, or a common password (`common_passwords.txt`), also with digits, symbols or look-alikes around it.

Pure checks, no I/O but reading the list once: the store calls `check_password` whenever it sets one.
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

from bot.i18n import _

MIN_PASSWORD_LENGTH = 12
COMMON_PASSWORDS = Path(__file__).resolve().parent / "common_passwords.txt"
# Runs of keys or letters people type as a "password": a password inside one of them, read either way, is
# a sequence (abcdefghijkl, 987654321098, qwertyuiopas).
SEQUENCES = (
    string.ascii_lowercase,
    string.digits * 3,
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertzuiopasdfghjklyxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "qazwsxedcrfvtgbyhnujmikolp",
)
_LOOK_ALIKES = str.maketrans("0134579@$", "oieastgas")
_AROUND = string.digits + string.punctuation


class WeakPassword(ValueError):
    """A password the store refuses; the message says why, and never contains the password."""


@cache
def common_passwords() -> frozenset[str]:
    """The list of common passwords, read once."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def check_password(password: str, name: str) -> str:
    """`password` if it may protect the account called `name`; raises WeakPassword otherwise."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    forms = _forms(password)
    if any(_is_pattern(form) for form in forms):
        raise WeakPassword(_("that password is a repeated or sequential pattern, easy to guess"))
    if any(form in common_passwords() for form in forms):
        raise WeakPassword(_("that password is on the list of common passwords, easy to guess"))
    if _built_on_name(password, name):
        raise WeakPassword(_("a password may not be built on the account's name"))
    return password


def _forms(password: str) -> set[str]:
    """The password as a guesser would try it: lower case without spaces, without the digits and symbols
    around it, and with look-alikes read as letters (p@ssw0rd)."""
    lowered = "".join(password.lower().split())
    core = lowered.strip(_AROUND)
    # Digits after the word are decoration, digits inside it are letters: strip, then read look-alikes.
    read = (form.translate(_LOOK_ALIKES).strip(_AROUND) for form in (lowered.rstrip(_AROUND), core))
    return {form for form in (lowered, core, *read) if form}


def _is_pattern(text: str) -> bool:
    """One character or one chunk repeated (aaaa, abab, passwordpassword), or a run of a sequence."""
    if len(text) < 4:  # a short run inside random characters is chance, not a pattern
        return False
    repeated = text in (text + text)[1:-1]
    in_sequence = any(text in sequence or text[::-1] in sequence for sequence in SEQUENCES)
    return repeated or in_sequence


def _built_on_name(password: str, name: str) -> bool:
    """The name, with too little around it to be a password of its own (ana.2024!, Ana123456789)."""
    lowered, name = "".join(password.lower().split()), "".join(name.lower().split())
    if len(name) < 3 or name not in lowered:
        return False
    rest = lowered.replace(name, "")
    return len(rest) < 8 or any(_is_pattern(form) or form in common_passwords() for form in _forms(rest))
