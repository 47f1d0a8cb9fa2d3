"""Every reading of a chat, live or as a page, by its counsellor or a supervisor, leaves a "read" line in the
audit trail: who and which chat, never the text. On a real Redis and SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.console_world import World, console_world

pytestmark = pytest.mark.integration


@pytest.fixture
def world(tmp_path: Path, redis_url: str) -> Iterator[World]:
    """The console over the shared Redis and a fresh SQLite database."""
    with console_world(tmp_path, redis_url) as found:
        yield found


def test_a_supervisor_following_a_chat_live_is_audited_without_its_text(world: World) -> None:
    ana, sam = world.counsellor("ana"), world.counsellor("sam", role="supervisor")
    ticket = world.ticket()
    ana.claim(ticket)
    world.run(lambda: world.relay.from_survivor(ticket.id, "They took my passport", "t-1"))
    with world.client.websocket_connect(f"/console/chats/{ticket.id}/live", headers=sam.headers) as socket:
        socket.send_json({"type": "hello", "csrf": sam.csrf, "after": "0-0"})
        shown = [socket.receive_json() for _ in range(2)]
    assert shown[-1]["text"] == "They took my passport"
    reads = [
        entry
        for entry in world.handoffs.audit_trail(ticket.id, counsellor_id=sam.account.id)
        if entry.action == "read"
    ]
    assert [entry.detail for entry in reads] == ["live"]
    assert all(entry.handoff_id == ticket.id for entry in reads)


def test_every_reading_of_a_chat_page_is_audited(world: World) -> None:
    ana = world.counsellor("ana")
    ticket = world.ticket()
    ana.claim(ticket)
    ana.get(f"/console/chats/{ticket.id}")
    ana.get(f"/console/chats/{ticket.id}")
    reads = world.handoffs.audit_trail(ticket.id, counsellor_id=ana.account.id)
    assert [entry.action for entry in reads].count("read") == 2
