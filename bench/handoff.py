"""Benchmark: counsellors claiming tickets from the handoff queue at once, on the real local Redis.

Queues N tickets, then lets 8 counsellors (each on a Redis connection of their own) claim the next ticket
until none is left. Prints claims/s, double claims and lost tickets (both must be 0); merges `claims_per_s`
and `double_claims` into bench/results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import time
from collections import Counter
from pathlib import Path

from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.handoff.queue import CounsellorSeat, HandoffQueue, Priority  # noqa: E402

RESULTS = ROOT / "bench" / "results.json"
# Enough concurrent enqueues to fill the queue quickly; filling is not what is measured.
FILLERS = 32


async def fill(url: str, prefix: str, tickets: int) -> list[str]:
    """Queue `tickets` tickets for distinct people; their ids."""
    client = Redis.from_url(url, max_connections=FILLERS)
    queue = HandoffQueue(client, prefix=prefix)
    ids: list[str] = []

    async def filler(count: int) -> None:
        for _ in range(count):
            priority: Priority = "urgent" if secrets.randbelow(10) == 0 else "normal"
            ticket = await queue.enqueue(secrets.token_hex(32), "telegram", "en", None, priority, None)
            ids.append(ticket.id)

    share, rest = divmod(tickets, FILLERS)
    await asyncio.gather(*(filler(share + (index < rest)) for index in range(FILLERS)))
    await client.aclose()
    return ids


async def claim_all(url: str, prefix: str, claimers: int) -> tuple[dict[str, list[str]], float]:
    """Each counsellor claims the next ticket until none is left; what each got, and the seconds it took."""
    clients = [Redis.from_url(url, max_connections=1) for _ in range(claimers)]
    got: dict[str, list[str]] = {}

    async def claimer(index: int) -> None:
        queue = HandoffQueue(clients[index], prefix=prefix)
        seat = CounsellorSeat(f"counsellor-{index}", frozenset({"en"}), capacity=10**9)
        mine = got.setdefault(seat.id, [])
        while (ticket := await queue.claim_next(seat)) is not None:
            mine.append(ticket.id)

    for client in clients:
        await client.ping()  # connect before the clock starts
    started = time.perf_counter()
    await asyncio.gather(*(claimer(index) for index in range(claimers)))
    elapsed = time.perf_counter() - started
    for client in clients:
        await client.aclose()
    return got, elapsed


async def check(url: str, prefix: str, ids: list[str], got: dict[str, list[str]]) -> tuple[int, int]:
    """Double claims (a ticket returned to more than one claim, or held by another than who got it) and lost
    tickets (queued, never claimed), read from the claimers and from Redis itself."""
    client = Redis.from_url(url)
    claims = Counter(ticket_id for held in got.values() for ticket_id in held)
    double = sum(count - 1 for count in claims.values() if count > 1)
    async with client.pipeline(transaction=False) as pipe:
        for held in got.values():
            for ticket_id in held:
                pipe.hget(f"{prefix}ticket:{ticket_id}", "counsellor")
        holders = iter(await pipe.execute())
    for counsellor, held in got.items():
        double += sum(1 for _ in held if next(holders) != counsellor.encode())
    lost = len(set(ids) - set(claims)) + int(await client.zcard(f"{prefix}waiting"))
    await client.aclose()
    return double, lost


async def cleanup(url: str, prefix: str) -> None:
    """Delete every key the run made."""
    client = Redis.from_url(url)
    keys = [key async for key in client.scan_iter(match=prefix + "*", count=1000)]
    for start in range(0, len(keys), 1000):
        await client.delete(*keys[start : start + 1000])
    await client.aclose()


async def measure(url: str, tickets: int, claimers: int) -> dict[str, float]:
    """Fill, claim, check, clean up; the figures."""
    prefix = f"bench:handoff:{secrets.token_hex(4)}:"
    try:
        started = time.perf_counter()
        ids = await fill(url, prefix, tickets)
        filled_s = time.perf_counter() - started
        print(f"queued {len(ids)} tickets in {filled_s:.1f} s ({len(ids) / filled_s:,.0f}/s)", flush=True)
        got, elapsed = await claim_all(url, prefix, claimers)
        claimed = sum(len(held) for held in got.values())
        double, lost = await check(url, prefix, ids, got)
    finally:
        await cleanup(url, prefix)
    rate = claimed / elapsed
    spread = ", ".join(str(len(held)) for held in got.values())
    print(f"{claimers} counsellors claimed {claimed} tickets in {elapsed:.2f} s: {rate:,.0f} claims/s")
    print(f"claims per counsellor: {spread}")
    print(f"double claims: {double}  lost tickets: {lost}")
    return {"claims_per_s": round(rate, 1), "double_claims": double, "lost": lost}


def main() -> int:
    """Run the benchmark and merge its figures into bench/results.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=20_000, help="tickets to queue (default 20000)")
    parser.add_argument("--claimers", type=int, default=8, help="concurrent counsellors (default 8)")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("HELPLINE_BENCH_REDIS_URL", "redis://127.0.0.1:6379"),
        help="the Redis to measure (default redis://127.0.0.1:6379; keys are removed afterwards)",
    )
    args = parser.parse_args()
    figures = asyncio.run(measure(args.redis_url, args.tickets, args.claimers))
    rate = figures["claims_per_s"]
    print(f"\n{rate:,.0f} claims/s (target ≥ 2,000); double claims and lost tickets must be 0")
    existing = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    existing.update(claims_per_s=figures["claims_per_s"], double_claims=int(figures["double_claims"]))
    RESULTS.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0 if figures["double_claims"] == figures["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
