"""The console against hostile input and plain transport: ids no account can have, trivial passwords, and
cookies that stay on HTTPS (with HSTS) unless the console is used over plain HTTP on this machine."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.integration.console_world import CSRF_IN_FORM, PASSWORD, World, console_world

pytestmark = pytest.mark.integration

IDS_NO_ACCOUNT_CAN_HAVE = ["9" * 20, str(2**63), str(2**63 - 1), str(2**31), "9" * 5000, "0", "²", "-1"]


@pytest.fixture
def world(tmp_path: Path, redis_url: str) -> Iterator[World]:
    """The console over the shared Redis and a fresh SQLite database."""
    with console_world(tmp_path, redis_url) as found:
        yield found


@pytest.mark.parametrize("action", ["deactivate", "activate", "reset-second-factor", "acknowledge-alert"])
def test_an_id_no_account_can_have_is_no_such_account(world: World, action: str) -> None:
    root = world.counsellor("root", role="admin")
    for counsellor_id in IDS_NO_ACCOUNT_CAN_HAVE:
        response = root.post(f"/console/admin/counsellors/{counsellor_id}/{action}")
        assert response.status_code == 404, counsellor_id[:30]
        assert "No such account." in response.text
    assert root.get("/console/admin").status_code == 200


def test_a_transfer_to_an_id_no_colleague_can_have_is_refused_and_the_chat_stays(world: World) -> None:
    ana = world.counsellor("ana")
    ticket = world.ticket()
    ana.claim(ticket)
    for colleague in [*IDS_NO_ACCOUNT_CAN_HAVE, "", "bea"]:
        moved = ana.post(f"/console/chats/{ticket.id}/transfer", {"to": colleague})
        assert moved.headers["location"] == f"/console/chats/{ticket.id}?notice=invalid", colleague[:30]
    assert world.ticket_now(ticket).counsellor == str(ana.account.id)


@pytest.mark.parametrize("capacity", ["9" * 30, "9" * 5000, "21", "0", "²", ""])
def test_an_account_with_an_impossible_capacity_is_refused_kindly(world: World, capacity: str) -> None:
    root = world.counsellor("root", role="admin")
    form = {"name": "dan", "languages": "en", "role": "counsellor", "capacity": capacity}
    refused = root.post(
        "/console/admin/counsellors", {**form, "password": PASSWORD, "password_again": PASSWORD}
    )
    assert refused.status_code == 400 and "capacity is a number from 1 to 20" in refused.text
    assert world.counsellors.by_name("dan") is None


@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", "Password2024!", "dan123456789"])
def test_an_admin_cannot_give_a_counsellor_a_trivial_password(world: World, password: str) -> None:
    root = world.counsellor("root", role="admin")
    form = {"name": "dan", "languages": "en", "role": "counsellor", "capacity": "2"}
    refused = root.post(
        "/console/admin/counsellors", {**form, "password": password, "password_again": password}
    )
    assert refused.status_code == 400 and "Not added:" in refused.text
    assert f'value="{password}"' not in refused.text
    assert world.counsellors.by_name("dan") is None


# Secure cookies and HSTS


def log_in_by_hand(world: World, headers: dict[str, str]) -> tuple[httpx.Response, httpx.Response]:
    """The login form and its POST, cookies sent by hand: a client drops Secure cookies over plain HTTP."""
    world.counsellors.add("ana", PASSWORD, "counsellor", "en")
    form = world.client.get("/console/login", headers=headers)
    token = CSRF_IN_FORM.search(form.text)
    cookie = re.search(r"helpline_console_login=([^;]+)", form.headers["set-cookie"])
    assert token and cookie
    world.client.cookies.clear()
    posted = world.client.post(
        "/console/login",
        data={"csrf": token.group(1), "name": "ana", "password": PASSWORD},
        headers={**headers, "cookie": f"helpline_console_login={cookie.group(1)}"},
        follow_redirects=False,
    )
    assert posted.status_code == 303, posted.text
    return form, posted


def session_cookie_is_secure(response: httpx.Response) -> bool:
    cookie = next(
        value for value in response.headers.get_list("set-cookie") if value.startswith("helpline_console=")
    )
    return "secure" in {part.strip().lower() for part in cookie.split(";")[1:]}


@contextmanager
def local_console(tmp_path: Path, redis_url: str, secure_cookies: bool | None) -> Iterator[World]:
    """The console of a web app on loopback, reached over plain HTTP at http://127.0.0.1:8000."""
    with console_world(tmp_path, redis_url, secure_cookies, base_url="http://127.0.0.1:8000") as found:
        yield found


@pytest.mark.parametrize(
    "proxy",
    [
        {"x-forwarded-proto": "https"},
        {"forwarded": "for=203.0.113.7;proto=https"},
        {"host": "helpline.example.org"},  # a proxy that names the site but not the scheme
    ],
    ids=["x-forwarded-proto", "forwarded", "public host"],
)
def test_behind_an_https_proxy_on_loopback_the_cookie_is_secure_and_hsts_is_sent(
    tmp_path: Path, redis_url: str, proxy: dict[str, str]
) -> None:
    with local_console(tmp_path, redis_url, None) as world:
        form, posted = log_in_by_hand(world, proxy)
    assert "secure" in form.headers["set-cookie"].lower()
    assert session_cookie_is_secure(posted)
    assert form.headers["strict-transport-security"] == "max-age=31536000"
    assert posted.headers["strict-transport-security"] == "max-age=31536000"


def test_plain_http_straight_to_loopback_keeps_a_cookie_the_browser_sends_back(
    tmp_path: Path, redis_url: str
) -> None:
    with local_console(tmp_path, redis_url, None) as world:
        _form, posted = log_in_by_hand(world, {})
    assert not session_cookie_is_secure(posted)
    assert "strict-transport-security" not in posted.headers


def test_secure_cookies_turned_off_are_off_even_behind_a_proxy(tmp_path: Path, redis_url: str) -> None:
    with local_console(tmp_path, redis_url, False) as world:
        _form, posted = log_in_by_hand(world, {"x-forwarded-proto": "https"})
    assert not session_cookie_is_secure(posted)
    assert "strict-transport-security" not in posted.headers


def test_every_console_response_carries_hsts_when_cookies_are_secure(world: World) -> None:
    ana = world.counsellor("ana")
    responses = [
        world.client.get("/console/login"),
        ana.get("/console/"),
        ana.get("/console/chats/" + "0" * 32),
        ana.get("/console/admin"),
        ana.post("/console/logout"),
        world.client.get("/console/static/console.css"),
    ]
    assert [response.headers.get("strict-transport-security") for response in responses] == [
        "max-age=31536000"
    ] * len(responses)
