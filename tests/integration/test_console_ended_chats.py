"""After a chat ends, on a real Redis and SQLite: its stream leaves Redis (resolve, cancel, the retention
purge), and the chat is read only and shows only what the bot heard before the handoff."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.handoff.availability import CounsellorAvailability
from bot.handoff.desk import CANCEL_PAYLOAD, HandoffDesk
from bot.handoff.offers import OfferBook
from bot.handoff.queue import CounsellorSeat
from bot.handoff.routes import RouteStore
from bot.handoff.schedule import WEEKDAYS, Staffing
from bot.messages import Channel, IncomingMessage
from bot.privacy.retention import RetentionSchedule
from tests.integration.console_world import CATALOG_DIR, World, console_world

pytestmark = pytest.mark.integration
ALWAYS_OPEN = {"time_zone": "UTC", "hours": {day: ["00:00-24:00"] for day in WEEKDAYS}}


@pytest.fixture
def world(tmp_path: Path, redis_url: str) -> Iterator[World]:
    """The console over the shared Redis (conftest's `redis_url`) and a fresh SQLite database."""
    with console_world(tmp_path, redis_url) as found:
        yield found


def chat_ttl(world: World, ticket_id: str) -> int:
    """Seconds until the chat stream leaves Redis: -1 without expiry, -2 when gone."""
    return int(world.run(lambda: world.redis.ttl(world.relay.chat_key(ticket_id))))


def test_resolve_gives_the_chat_stream_the_expiry_of_its_ended_ticket(world: World) -> None:
    ana = world.counsellor("ana")
    ticket = world.ticket()
    ana.claim(ticket)
    world.run(lambda: world.relay.from_survivor(ticket.id, "They took my passport", "t-1"))
    assert chat_ttl(world, ticket.id) == -1  # kept while the chat is open
    ana.post(f"/console/chats/{ticket.id}/resolve", {"outcome": "referred_to_service"})
    assert 0 < chat_ttl(world, ticket.id) <= world.queue.ended_ttl_s
    kept = world.handoffs.transcript(ticket.id)  # the database keeps the transcript
    assert [line.sender for line in kept][-1] == "bot"


def test_a_survivor_who_leaves_gives_the_chat_stream_an_expiry(world: World) -> None:
    ana = world.counsellor("ana")
    ticket = world.ticket()
    ana.claim(ticket)
    relay_prefix = world.relay.chat_key("")[: -len("ticket:")]
    routes = RouteStore(world.redis, world.cipher, prefix=relay_prefix)
    offers = OfferBook(world.redis, prefix=relay_prefix + "offer:")
    availability = CounsellorAvailability(world.presence, Staffing.from_mapping(ALWAYS_OPEN))
    desk = HandoffDesk(
        world.queue, world.relay, routes, world.handoffs, world.engine, offers, availability, CATALOG_DIR
    )
    leaving = IncomingMessage(world.pseudonyms[0], Channel.WEBCHAT, CANCEL_PAYLOAD, locale="es")
    world.run(lambda: desk.forward(ticket, leaving, "t-1"))
    world.run(lambda: desk.leave(leaving, "es"))
    assert world.ticket_now(ticket).status == "cancelled"
    assert 0 < chat_ttl(world, ticket.id) <= world.queue.ended_ttl_s


def test_the_retention_purge_expires_chat_streams_whose_handoff_ended(world: World) -> None:
    seat = CounsellorSeat("7", frozenset({"es"}), capacity=3)
    still_open, ended = world.ticket(), world.ticket()
    for ticket in (still_open, ended):
        world.run(lambda ticket=ticket: world.queue.claim(seat, ticket.id))
        world.run(lambda ticket=ticket: world.relay.from_survivor(ticket.id, "hola", "t-1"))
    world.run(lambda: world.queue.resolve(ended.id, seat.id))  # as a crash right after would leave it
    world.run(lambda: world.relay.note("f" * 32, "a chat whose ticket is long gone", "t-2"))
    schedule = RetentionSchedule(world.handoffs, 30, 3600, chats=(world.queue, world.relay))
    assert world.run(schedule.expire_ended_chats) == 2
    assert chat_ttl(world, still_open.id) == -1
    assert 0 < chat_ttl(world, ended.id) <= world.queue.ended_ttl_s
    assert 0 < chat_ttl(world, "f" * 32) <= world.queue.ended_ttl_s


def test_a_resolved_chat_never_shows_what_the_survivor_later_told_the_bot(world: World) -> None:
    ana = world.counsellor("ana")
    ticket = world.ticket()
    ana.claim(ticket)
    ana.post(f"/console/chats/{ticket.id}/resolve", {"outcome": "referred_to_service"})
    world.engine.survivor_writes_to_the_bot("I moved to my cousin's flat on Calle Mayor")
    page = ana.get(f"/console/chats/{ticket.id}")
    assert page.status_code == 200
    assert "I need a safe place" in page.text  # what the bot heard before the handoff
    assert "Calle Mayor" not in page.text


def test_an_ended_chat_takes_no_notes_from_its_counsellor_or_a_supervisor(world: World) -> None:
    ana, sam = world.counsellor("ana"), world.counsellor("sam", role="supervisor")
    ticket = world.ticket()
    ana.claim(ticket)
    ana.post(f"/console/chats/{ticket.id}/resolve", {"outcome": "referred_to_service"})
    for staff in (ana, sam):
        refused = staff.post(f"/console/chats/{ticket.id}/notes", {"text": "Added after the end"})
        assert refused.status_code == 303 and refused.headers["location"].endswith("notice=not_holding")
        page = staff.get(f"/console/chats/{ticket.id}").text
        assert 'id="note-form"' not in page and 'id="composer"' not in page
        assert "read only" in page
    assert all(line.sender != "note" for line in world.handoffs.transcript(ticket.id))
