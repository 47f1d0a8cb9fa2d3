"""The console keeps to HTTPS: Secure cookies and HSTS by default, off only for plain HTTP on this machine."""

from __future__ import annotations

import pytest
from starlette.types import Scope

from bot.settings import Settings
from bot.web.headers import https_only, plain_local_http


def request(scheme: str = "http", host: str = "127.0.0.1:8000", **headers: str) -> Scope:
    pairs = [(b"host", host.encode())] + [
        (name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()
    ]
    return {"type": "http", "scheme": scheme, "headers": pairs}


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "[::1]:8000", "127.0.0.1"])
def test_plain_http_straight_to_this_machine_is_the_one_plain_case(host: str) -> None:
    assert plain_local_http(request(host=host))
    assert plain_local_http(request("ws", host))
    assert not https_only(request(host=host), None)


@pytest.mark.parametrize(
    "scope",
    [
        request("https"),
        request("wss"),
        request(x_forwarded_proto="https"),
        request(x_forwarded_proto="HTTPS, http"),
        request(forwarded="for=203.0.113.7; proto=https"),
        request(x_forwarded_ssl="on"),
        request(host="helpline.example.org"),
        request(host="192.0.2.10:8000"),
        request(host=""),
    ],
    ids=[
        "https",
        "wss",
        "x-forwarded-proto",
        "first of several",
        "forwarded",
        "x-forwarded-ssl",
        "name",
        "ip",
        "none",
    ],
)
def test_anything_else_gets_secure_cookies_and_hsts(scope: Scope) -> None:
    assert not plain_local_http(scope)
    assert https_only(scope, None)


def test_a_setting_overrides_what_the_request_says() -> None:
    assert https_only(request(), True)
    assert not https_only(request(x_forwarded_proto="https"), False)


@pytest.mark.parametrize(
    ("host", "setting", "effective"),
    [
        ("0.0.0.0", None, True),
        ("203.0.113.7", None, True),
        ("127.0.0.1", None, None),  # decided per request
        ("localhost", None, None),
        ("127.0.0.1", False, False),
        ("0.0.0.0", False, False),
        ("127.0.0.1", True, True),
    ],
)
def test_secure_cookies_are_on_by_default_and_per_request_on_loopback(
    host: str, setting: bool | None, effective: bool | None
) -> None:
    settings = Settings(host=host, console_secure_cookies=setting)
    assert settings.effective_console_secure_cookies is effective
