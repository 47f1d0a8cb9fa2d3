"""TOTP codes as the console checks them (RFC 6238: 30-second steps, 6 digits, one step of drift), the codes
people type, and the keyed hashes that stand for client addresses in the login throttle."""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.requests import Request

from bot.console.throttle import LoginPolicy, LoginThrottle
from bot.store.second_factor import code_from, matching_step, new_secret, provisioning_uri

# RFC 6238, appendix B: the SHA-1 seed and the 8-digit codes at these times. A 6-digit code is the last six
# digits of the 8-digit one (both are the same number modulo a power of ten).
RFC_SEED = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


def at(unix_time: int) -> datetime:
    return datetime.fromtimestamp(unix_time, timezone.utc)


@pytest.mark.parametrize(("unix_time", "code"), RFC_VECTORS)
def test_the_codes_are_those_of_rfc_6238(unix_time: int, code: str) -> None:
    assert matching_step(RFC_SEED, code[-6:], at(unix_time)) == unix_time // 30


def test_a_code_one_step_early_or_late_is_accepted_and_no_further() -> None:
    moment, code = 1111111109, "081804"
    step = moment // 30
    assert matching_step(RFC_SEED, code, at(moment + 30)) == step  # the phone is 30 s slow
    assert matching_step(RFC_SEED, code, at(moment - 30)) == step  # the phone is 30 s fast
    assert matching_step(RFC_SEED, code, at(moment + 60)) is None
    assert matching_step(RFC_SEED, code, at(moment - 60)) is None
    assert matching_step(RFC_SEED, "081805", at(moment)) is None


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("123456", "123456"),
        (" 123 456 ", "123456"),
        ("12345", None),
        ("1234567", None),
        ("12345a", None),
        ("١٢٣٤٥٦", None),  # Arabic-Indic digits: isdigit() says yes, the codes are ASCII
        ("²23456", None),
        ("", None),
    ],
)
def test_a_typed_code_is_six_ascii_digits(typed: str, code: str | None) -> None:
    assert code_from(typed) == code


def test_a_new_secret_has_160_random_bits_in_base32() -> None:
    secrets = {new_secret() for _ in range(20)}
    assert len(secrets) == 20
    assert all(len(base64.b32decode(secret)) == 20 for secret in secrets)


def test_the_setup_link_is_what_authenticator_apps_read() -> None:
    uri = provisioning_uri(RFC_SEED, "Amira Haddad")
    parts = urlsplit(uri)
    query = parse_qs(parts.query)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert parts.path == "/Helpline%20console:Amira%20Haddad"
    assert query["secret"] == [RFC_SEED] and query["issuer"] == ["Helpline console"]
    assert query.get("digits", ["6"]) == ["6"] and query.get("period", ["30"]) == ["30"]


def _request_from(address: str) -> Request:
    return Request(
        {"type": "http", "method": "POST", "path": "/login", "headers": [], "client": (address, 1)}
    )


def test_a_source_is_a_keyed_hash_of_its_address_never_the_address() -> None:
    throttle = LoginThrottle(None, "p:", b"k" * 32, LoginPolicy())  # type: ignore[arg-type]  # no Redis needed
    other_key = LoginThrottle(None, "p:", b"j" * 32, LoginPolicy())  # type: ignore[arg-type]
    source = throttle.source_of(_request_from("203.0.113.7"))
    assert source == throttle.source_of(_request_from("203.0.113.7"))
    assert source != throttle.source_of(_request_from("203.0.113.8"))
    assert source != other_key.source_of(_request_from("203.0.113.7"))
    assert "203" not in source and len(source) == 32
