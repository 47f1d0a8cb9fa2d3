"""The console against hostile input and plain transport: ids no account can have, trivial passwords, and
cookies that stay on HTTPS (with HSTS) unless the console is used over plain HTTP on this machine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.console_world import PASSWORD, World, console_world

pytestmark = pytest.mark.integration

IDS_NO_ACCOUNT_CAN_HAVE = ["9" * 20, str(2**63), str(2**63 - 1), str(2**31), "9" * 5000, "0", "²", "-1"]


@pytest.fixture
def world(tmp_path: Path, redis_url: str) -> Iterator[World]:
    """The console over the shared Redis and a fresh SQLite database."""
    with console_world(tmp_path, redis_url) as found:
        yield found


@pytest.mark.parametrize("action", ["unlock", "deactivate", "activate"])
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
