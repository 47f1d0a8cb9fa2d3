"""The handoff queue on a real Redis: no ticket claimed twice or lost, priority, language routing, capacity,
transfer, requeue, resolve, cancel, and erasure of a person."""

from __future__ import annotations

import asyncio
import os
import random
import re
import secrets
from typing import cast

import pytest
from redis.asyncio import Redis

from bot.handoff.queue import ClaimRefused, CounsellorSeat, HandoffQueue, NotHolding, Priority, Ticket

pytestmark = pytest.mark.integration
REDIS_URL = os.environ.get("HELPLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379")
START_S = 1_795_000_000.0  # an arbitrary fixed moment; the fake clock moves only when a test says so
ENGLISH = CounsellorSeat("ana", frozenset({"en"}), capacity=3)
SPANISH = CounsellorSeat("bea", frozenset({"es", "en"}), capacity=3)


class FakeClock:
    """Seconds since the epoch, moved by hand."""

    def __init__(self) -> None:
        self.now = START_S

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def queue(client: Redis, prefix: str, clock: FakeClock) -> HandoffQueue:
    return HandoffQueue(client, prefix=prefix, mismatch_after_s=120, clock=clock)


def person() -> str:
    return secrets.token_hex(32)


async def enqueue(
    queue: HandoffQueue, locale: str = "en", priority: Priority = "normal", channel: str = "telegram"
) -> Ticket:
    return await queue.enqueue(person(), channel, locale, "GB", priority, "ask_shelter")


async def stream(client: Redis, prefix: str) -> list[dict[bytes, bytes]]:
    """The fields of every entry on the events stream, oldest first."""
    entries = cast(list[tuple[bytes, dict[bytes, bytes]]], await client.xrange(prefix + "events"))
    return [fields for _id, fields in entries]


async def events(client: Redis, prefix: str) -> list[tuple[str, str]]:
    return [(fields[b"type"].decode(), fields[b"ticket"].decode()) for fields in await stream(client, prefix)]


async def test_no_ticket_is_ever_claimed_twice_and_none_is_lost(redis_url: str, prefix: str) -> None:
    setup = Redis.from_url(redis_url)
    queue = HandoffQueue(setup, prefix=prefix)
    tickets = [await enqueue(queue) for _ in range(500)]
    ids = [ticket.id for ticket in tickets]
    claimed: dict[str, list[str]] = {}

    async def claimer(number: int) -> None:
        # Each counsellor on a connection of their own, racing the others with both ways of claiming.
        connection = Redis.from_url(redis_url)
        own = HandoffQueue(connection, prefix=prefix)
        seat = CounsellorSeat(f"c{number}", frozenset({"en"}), capacity=10_000)
        mine = claimed.setdefault(seat.id, [])
        rng = random.Random(number)
        try:
            while True:
                if rng.random() < 0.5:
                    try:
                        mine.append((await own.claim(seat, rng.choice(ids))).id)
                    except ClaimRefused as refused:
                        assert refused.reason == "taken"
                    continue
                ticket = await own.claim_next(seat)
                if ticket is None:
                    return
                mine.append(ticket.id)
        finally:
            await connection.aclose()

    await asyncio.gather(*(claimer(number) for number in range(16)))
    everything = [ticket_id for held in claimed.values() for ticket_id in held]
    assert len(everything) == len(set(everything)) == 500
    assert set(everything) == set(ids)
    assert await queue.waiting() == []
    for counsellor, held in claimed.items():
        assert {ticket.id for ticket in await queue.active_of(counsellor)} == set(held)
    assert sum((await queue.stats()).active.values()) == 500
    await setup.aclose()


async def test_tickets_are_served_urgent_first_then_first_come(queue: HandoffQueue, clock: FakeClock) -> None:
    first = await enqueue(queue)
    clock.advance(1)
    second = await enqueue(queue)
    clock.advance(1)
    urgent = await enqueue(queue, priority="urgent")
    clock.advance(1)
    later_urgent = await enqueue(queue, priority="urgent")
    order = [urgent.id, later_urgent.id, first.id, second.id]
    assert [ticket.id for ticket in await queue.waiting()] == order
    assert [ticket.id for ticket in await queue.offered_to(ENGLISH)] == order
    seat = CounsellorSeat("ana", frozenset({"en"}), capacity=10)
    served = [await queue.claim_next(seat) for _ in order]
    assert [ticket.id for ticket in served if ticket] == order
    assert await queue.claim_next(seat) is None


async def test_position_is_the_place_in_the_waiting_order(queue: HandoffQueue, clock: FakeClock) -> None:
    first = await enqueue(queue)
    clock.advance(1)
    second = await enqueue(queue)
    assert await queue.position(first.id) == 1
    assert await queue.position(second.id) == 2
    clock.advance(1)
    urgent = await enqueue(queue, priority="urgent")
    assert [await queue.position(t.id) for t in (urgent, first, second)] == [1, 2, 3]
    await queue.claim(ENGLISH, urgent.id)
    assert await queue.position(urgent.id) is None
    assert await queue.position(second.id) == 2
    assert await queue.position("no-such-ticket") is None


async def test_a_spanish_ticket_is_offered_to_a_spanish_speaker_first(
    queue: HandoffQueue, clock: FakeClock
) -> None:
    spanish = await enqueue(queue, locale="es", priority="urgent")
    clock.advance(1)
    english = await enqueue(queue, locale="en")
    assert [ticket.id for ticket in await queue.offered_to(ENGLISH)] == [english.id]
    assert [ticket.id for ticket in await queue.offered_to(SPANISH)] == [spanish.id, english.id]
    with pytest.raises(ClaimRefused) as refused:
        await queue.claim(ENGLISH, spanish.id)
    assert refused.value.reason == "language"
    # The English speaker's next ticket skips the Spanish one even though it is first in line.
    taken = await queue.claim_next(ENGLISH)
    assert taken is not None and taken.id == english.id and not taken.mismatch
    assert await queue.claim_next(ENGLISH) is None
    by_speaker = await queue.claim_next(SPANISH)
    assert by_speaker is not None and by_speaker.id == spanish.id and not by_speaker.mismatch


async def test_after_waiting_long_enough_anyone_may_take_it_flagged_as_a_mismatch(
    queue: HandoffQueue, clock: FakeClock
) -> None:
    spanish = await enqueue(queue, locale="es")
    clock.advance(119.9)
    assert await queue.offered_to(ENGLISH) == []
    assert await queue.claim_next(ENGLISH) is None
    clock.advance(0.1)
    offered = await queue.offered_to(ENGLISH)
    assert [(ticket.id, ticket.mismatch) for ticket in offered] == [(spanish.id, True)]
    taken = await queue.claim_next(ENGLISH)
    assert taken is not None and taken.id == spanish.id
    assert taken.mismatch and taken.counsellor == "ana" and taken.status == "claimed"
    assert taken.claimed_ms == round(clock.now * 1000)
    stored = await queue.get(spanish.id)
    assert stored is not None and stored.mismatch


async def test_a_counsellor_at_capacity_is_refused(queue: HandoffQueue) -> None:
    seat = CounsellorSeat("ana", frozenset({"en"}), capacity=1)
    held = await enqueue(queue)
    other = await enqueue(queue)
    await queue.claim(seat, held.id)
    with pytest.raises(ClaimRefused) as by_id:
        await queue.claim(seat, other.id)
    with pytest.raises(ClaimRefused) as next_one:
        await queue.claim_next(seat)
    assert by_id.value.reason == next_one.value.reason == "at_capacity"
    assert await queue.offered_to(seat) == []
    assert [ticket.id for ticket in await queue.waiting()] == [other.id]


async def test_a_claimed_ticket_is_taken_and_an_ended_or_unknown_one_is_gone(queue: HandoffQueue) -> None:
    ticket = await enqueue(queue)
    await queue.claim(ENGLISH, ticket.id)
    with pytest.raises(ClaimRefused) as taken:
        await queue.claim(SPANISH, ticket.id)
    assert taken.value.reason == "taken"
    await queue.resolve(ticket.id, ENGLISH.id)
    for ticket_id in (ticket.id, "0" * 32):
        with pytest.raises(ClaimRefused) as gone:
            await queue.claim(SPANISH, ticket_id)
        assert gone.value.reason == "gone"


async def test_transfer_hands_the_ticket_to_another_counsellor(
    queue: HandoffQueue, client: Redis, prefix: str
) -> None:
    ticket = await enqueue(queue, locale="es")
    await queue.claim(SPANISH, ticket.id)
    english_only = CounsellorSeat("cai", frozenset({"en"}), capacity=1)
    moved = await queue.transfer(ticket.id, SPANISH.id, english_only)
    assert moved.counsellor == "cai" and moved.status == "claimed" and moved.mismatch
    assert await queue.active_of(SPANISH.id) == []
    assert [t.id for t in await queue.active_of("cai")] == [ticket.id]
    back = await queue.transfer(ticket.id, "cai", SPANISH)
    assert back.counsellor == SPANISH.id and not back.mismatch
    assert (await events(client, prefix))[-2:] == [("transferred", ticket.id)] * 2


async def test_only_the_holder_can_transfer_requeue_or_resolve(queue: HandoffQueue) -> None:
    ticket = await enqueue(queue)
    with pytest.raises(NotHolding):  # still waiting
        await queue.resolve(ticket.id, ENGLISH.id)
    await queue.claim(ENGLISH, ticket.id)
    with pytest.raises(NotHolding) as not_holding:
        await queue.requeue(ticket.id, SPANISH.id)
    assert not_holding.value.status == "claimed"
    with pytest.raises(NotHolding):
        await queue.transfer(ticket.id, SPANISH.id, CounsellorSeat("cai", frozenset({"en"}), capacity=1))
    with pytest.raises(NotHolding) as unknown:
        await queue.resolve("0" * 32, ENGLISH.id)
    assert unknown.value.status is None
    stored = await queue.get(ticket.id)
    assert stored is not None and stored.counsellor == ENGLISH.id


async def test_a_transfer_to_a_counsellor_at_capacity_is_refused(queue: HandoffQueue) -> None:
    full = CounsellorSeat("cai", frozenset({"en"}), capacity=1)
    await queue.claim(full, (await enqueue(queue)).id)
    ticket = await enqueue(queue)
    await queue.claim(ENGLISH, ticket.id)
    with pytest.raises(ClaimRefused) as refused:
        await queue.transfer(ticket.id, ENGLISH.id, full)
    assert refused.value.reason == "at_capacity"
    assert [t.id for t in await queue.active_of(ENGLISH.id)] == [ticket.id]


async def test_requeue_puts_the_ticket_back_at_its_original_place(
    queue: HandoffQueue, clock: FakeClock
) -> None:
    first = await enqueue(queue)
    clock.advance(1)
    second = await enqueue(queue)
    clock.advance(1)
    third = await enqueue(queue)
    await queue.claim(ENGLISH, first.id)
    clock.advance(300)
    back = await queue.requeue(first.id, ENGLISH.id)
    assert back.status == "waiting" and back.counsellor is None and back.claimed_ms is None
    assert back.created_ms == first.created_ms
    assert [t.id for t in await queue.waiting()] == [first.id, second.id, third.id]
    assert await queue.active_of(ENGLISH.id) == []
    urgent = await enqueue(queue, priority="urgent")
    await queue.claim(ENGLISH, urgent.id)
    await queue.requeue(urgent.id, ENGLISH.id)
    assert await queue.position(urgent.id) == 1


async def test_resolve_ends_the_ticket_and_the_person_may_ask_again(
    queue: HandoffQueue, client: Redis, prefix: str
) -> None:
    ticket = await enqueue(queue)
    await queue.claim(ENGLISH, ticket.id)
    resolved = await queue.resolve(ticket.id, ENGLISH.id)
    assert resolved.status == "resolved"
    assert await queue.active_of(ENGLISH.id) == []
    assert await queue.open_ticket("telegram", ticket.pseudonym) is None
    assert await client.exists(f"{prefix}person:telegram:{ticket.pseudonym}") == 0
    # The ended ticket is kept for the console for a day only; the store has the record.
    assert 0 < await client.ttl(f"{prefix}ticket:{ticket.id}") <= 24 * 3600
    again = await queue.enqueue(ticket.pseudonym, "telegram", "en", None, "normal", None)
    assert again.id != ticket.id and again.status == "waiting"
    assert again.country is None and again.topic is None
    with pytest.raises(NotHolding):
        await queue.resolve(ticket.id, ENGLISH.id)


async def test_the_survivor_can_cancel_while_waiting_or_claimed(queue: HandoffQueue) -> None:
    waiting = await enqueue(queue)
    claimed = await enqueue(queue, channel="webchat")
    await queue.claim(ENGLISH, claimed.id)
    cancelled = await queue.cancel("telegram", waiting.pseudonym)
    assert cancelled is not None and cancelled.id == waiting.id and cancelled.status == "cancelled"
    assert await queue.waiting() == []
    cancelled = await queue.cancel("webchat", claimed.pseudonym)
    assert cancelled is not None and cancelled.status == "cancelled"
    assert await queue.active_of(ENGLISH.id) == []
    assert await queue.cancel("webchat", claimed.pseudonym) is None
    assert await queue.cancel("telegram", person()) is None


async def test_enqueue_is_idempotent_per_person(queue: HandoffQueue) -> None:
    pseudonym = person()
    attempts = await asyncio.gather(
        *(queue.enqueue(pseudonym, "telegram", "en", "GB", "normal", None) for _ in range(20))
    )
    assert len({ticket.id for ticket in attempts}) == 1
    assert len(await queue.waiting()) == 1
    await queue.claim(ENGLISH, attempts[0].id)
    again = await queue.enqueue(pseudonym, "telegram", "es", None, "urgent", "ask_shelter")
    assert again.id == attempts[0].id and again.status == "claimed" and again.locale == "en"
    other_channel = await queue.enqueue(pseudonym, "webchat", "en", None, "normal", None)
    assert other_channel.id != again.id
    found = await queue.open_ticket("telegram", pseudonym)
    assert found is not None and found.id == again.id


async def test_a_ticket_holds_a_pseudonym_and_a_random_nickname_never_a_raw_id(queue: HandoffQueue) -> None:
    ticket = await enqueue(queue)
    assert re.fullmatch(r"Visitor \d{4}", ticket.nickname)
    assert ticket.channel == "telegram" and ticket.country == "GB" and ticket.topic == "ask_shelter"
    for raw in ("123456789", "A" * 64, "+447700900123"):
        with pytest.raises(ValueError):
            await queue.enqueue(raw, "telegram", "en", None, "normal", None)
    with pytest.raises(ValueError):
        await queue.enqueue(person(), "carrier-pigeon", "en", None, "normal", None)


async def test_stats_count_waiting_the_longest_wait_and_tickets_per_counsellor(
    queue: HandoffQueue, clock: FakeClock
) -> None:
    empty = await queue.stats()
    assert (empty.waiting, empty.longest_wait_s, dict(empty.active)) == (0, 0.0, {})
    oldest = await enqueue(queue)
    clock.advance(60)
    await enqueue(queue, priority="urgent")
    for _ in range(3):
        await enqueue(queue)
    await queue.claim_next(SPANISH)  # the urgent one
    await queue.claim_next(ENGLISH)  # the oldest
    await queue.claim_next(ENGLISH)
    clock.advance(30)
    stats = await queue.stats()
    assert stats.waiting == 2
    assert stats.longest_wait_s == 30.0
    assert dict(stats.active) == {ENGLISH.id: 2, SPANISH.id: 1}
    await queue.requeue(oldest.id, ENGLISH.id)
    assert (await queue.stats()).longest_wait_s == 90.0


async def test_every_change_is_an_event_on_the_stream(
    queue: HandoffQueue, client: Redis, prefix: str
) -> None:
    one = await enqueue(queue)
    two = await enqueue(queue)
    await queue.claim(ENGLISH, one.id)
    await queue.transfer(one.id, ENGLISH.id, SPANISH)
    await queue.requeue(one.id, SPANISH.id)
    await queue.claim(ENGLISH, one.id)
    await queue.resolve(one.id, ENGLISH.id)
    await queue.cancel("telegram", two.pseudonym)
    assert await events(client, prefix) == [
        ("queued", one.id),
        ("queued", two.id),
        ("claimed", one.id),
        ("transferred", one.id),
        ("requeued", one.id),
        ("claimed", one.id),
        ("resolved", one.id),
        ("cancelled", two.id),
    ]
    entry = (await stream(client, prefix))[0]
    assert set(entry) == {b"type", b"ticket", b"at_ms"}
    assert entry[b"at_ms"] == str(round(START_S * 1000)).encode()


async def test_erase_person_removes_every_key_of_that_person(
    queue: HandoffQueue, client: Redis, prefix: str
) -> None:
    pseudonym = person()
    earlier = await queue.enqueue(pseudonym, "telegram", "en", "GB", "normal", None)
    await queue.claim(ENGLISH, earlier.id)
    await queue.resolve(earlier.id, ENGLISH.id)
    current = await queue.enqueue(pseudonym, "telegram", "en", "GB", "urgent", None)
    await queue.claim(ENGLISH, current.id)
    bystander = await enqueue(queue)
    erased = await queue.erase_person("telegram", pseudonym)
    assert sorted(erased) == sorted([earlier.id, current.id])
    for ticket_id in (earlier.id, current.id):
        assert await queue.get(ticket_id) is None
    assert await queue.active_of(ENGLISH.id) == []
    assert await queue.open_ticket("telegram", pseudonym) is None
    # What stays is a marker, without the pseudonym, that tells the counsellor's console why the chat closed.
    assert await queue.was_erased(current.id) and not await queue.was_erased(earlier.id)
    names = [key.decode() async for key in client.scan_iter(match=prefix + "*")]
    names = [name for name in names if name != f"{prefix}erased:{current.id}"]
    assert not [name for name in names if pseudonym in name or earlier.id in name or current.id in name]
    for name in names:
        if await client.type(name) == b"hash":
            assert pseudonym.encode() not in (await client.hgetall(name)).values()
    assert [t.id for t in await queue.waiting()] == [bystander.id]
    assert await queue.erase_person("telegram", pseudonym) == []


async def test_the_queue_works_with_a_client_that_decodes(redis_url: str, prefix: str) -> None:
    decoding = Redis.from_url(redis_url, decode_responses=True)
    queue = HandoffQueue(decoding, prefix=prefix)
    ticket = await enqueue(queue)
    assert (await queue.waiting())[0] == ticket
    assert (await queue.claim(ENGLISH, ticket.id)).counsellor == ENGLISH.id
    assert dict((await queue.stats()).active) == {ENGLISH.id: 1}
    assert await queue.erase_person("telegram", ticket.pseudonym) == [ticket.id]
    await decoding.aclose()
