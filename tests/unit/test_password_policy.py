"""A counsellor's password is never a trivial one: repeated, sequential, common, or built on the name."""

from __future__ import annotations

import pytest

from bot.store.passwords import MIN_PASSWORD_LENGTH, WeakPassword, check_password, common_passwords

REFUSED = {
    "aaaaaaaaaaaa": "pattern",  # the attack: twelve times the same letter was accepted
    "zzzzzzzzzzzz1": "pattern",
    "abababababab": "pattern",
    "abcabcabcabc": "pattern",
    "passwordpassword": "pattern",
    "abcdefghijkl": "pattern",
    "lkjihgfedcba": "pattern",
    "123456789012": "pattern",
    "987654321098": "pattern",
    "qwertyuiopas": "pattern",
    "1qaz2wsx3edc": "pattern",
    "password1234": "common",
    "Password2024!": "common",
    "P@ssw0rd2024!": "common",
    "@dmin1234567": "common",
    "iloveyou1234": "common",
    "Welcome123456": "common",
    "sunflower!!!": "common",
    "helpline2024": "common",
    "counsellor2024": "common",
    "contraseña2024": "common",
    "Ana123456789": "name",
    "ana.2024.ana!": "name",
    "anaanaanaana": "pattern",
}
REASONS = {
    "pattern": "a repeated or sequential pattern",
    "common": "the list of common passwords",
    "name": "built on the account's name",
}


@pytest.mark.parametrize(("password", "reason"), REFUSED.items())
def test_a_trivial_password_is_refused_and_the_reason_never_repeats_it(password: str, reason: str) -> None:
    with pytest.raises(WeakPassword) as refused:
        check_password(password, "Ana")
    assert REASONS[reason] in str(refused.value)
    assert password.lower() not in str(refused.value).lower()


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "a brand new passphrase",
        "bananas are yellow today",  # holds the name "ana", with a password of its own around it
        "kT9#mP2$vL5q",
        "Tr0ub4dor&3xyz",
        "(9)abc%2&4!#x",  # a short run inside random characters is chance
    ],
)
def test_a_real_password_or_passphrase_is_accepted(password: str) -> None:
    assert check_password(password, "Ana") == password


def test_a_short_password_is_refused_first() -> None:
    with pytest.raises(WeakPassword, match=f"at least {MIN_PASSWORD_LENGTH} characters"):
        check_password("x7#Kq2", "Ana")


def test_the_common_list_holds_hundreds_of_lower_case_passwords() -> None:
    listed = common_passwords()
    assert len(listed) >= 300
    assert all(entry == entry.strip().lower() for entry in listed)
    assert {"password", "123456", "qwerty", "iloveyou", "helpline"} <= listed
