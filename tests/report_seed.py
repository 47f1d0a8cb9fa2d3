"""A known fortnight's worth of helpline life for the reports' tests, written the way the helpline writes it
(the conversation and handoff stores, and the counters the action server adds), with the figures the
reports page, the CSV and the JSON must show for it (small counts suppressed, totals rounded to 5)."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta, timezone

from argon2 import PasswordHasher
from cryptography.fernet import Fernet
from sqlalchemy import Engine

from bot.privacy.crypto import TranscriptCipher
from bot.store.conversations import ConversationStore
from bot.store.counsellors import CounsellorStore
from bot.store.counts import Cell, DailyCounts
from bot.store.handoffs import HandoffStore
from bot.store.outcomes import Outcome

FIRST = date(2026, 11, 2)
LAST = date(2026, 11, 4)  # a day with nothing on it
PERIOD = f"from={FIRST.isoformat()}&to={LAST.isoformat()}"
MORNING = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
NEXT_DAY = MORNING + timedelta(days=1)

# What the report shows for the seed: "< 5" wherever 1 to 4 happened; totals rounded to the nearest 5.
EXPECTED_DAYS = {  # day → (telegram, webchat, total)
    "2026-11-02": ("< 5", "10", "10"),  # 2 + 10 = 12
    "2026-11-03": ("< 5", "6", "5"),  # 1 + 6 = 7
    "2026-11-04": ("0", "0", "0"),
}
EXPECTED_CONTACTS = "20"  # 19
EXPECTED_TABLES = {
    "languages": {"es": "15", "ar": "< 5", "ro": "< 5", "uk": "< 5", "total": "20"},
    "countries": {"ES": "15", "": "< 5", "RO": "< 5", "UA": "< 5", "total": "20"},
    "topics": {"ask_shelter": "8", "ask_rights": "< 5", "total": "10"},
    "danger": {"net": "< 5", "model": "5", "total": "5"},
    "handoffs": {"requested": "9", "offered": "8", "queued": "7", "answered": "6", "abandoned": "< 5"},
    "outcomes": {
        "information_given": "5",
        "referred_to_service": "< 5",
        "referred_to_police": "0",
        "emergency_services": "0",
        "no_response": "0",
        "survivor_left": "< 5",
        "other": "0",
        "total": "5",
    },
    "erasures": {"telegram": "< 5", "total": "< 5"},
}
# Waits of the six answered chats: 1, 2, 3, 4, 5, 10 minutes; their chats: 10, 12, 14, 16, 20, 30 minutes.
EXPECTED_TIMES = {"waiting": ("6", 3, 10), "handling": ("6", 14, 30)}  # chats, median, 90th percentile
WAITS_MIN = (1, 2, 3, 4, 5, 10)
HANDLES_MIN = (10, 12, 14, 16, 20, 30)
OUTCOMES: tuple[Outcome, ...] = (
    "information_given",
    "information_given",
    "information_given",
    "referred_to_service",
    "information_given",
    "information_given",
)


def seed_reports(engine: Engine) -> list[str]:
    """Write the seed into a migrated database; the pseudonyms used (none may reach a counter)."""
    cipher = TranscriptCipher(Fernet.generate_key().decode())
    conversations = ConversationStore(engine)
    counts = DailyCounts(engine)
    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    staff = CounsellorStore(engine, hasher=fast).add(
        f"seed{secrets.token_hex(3)}", "lantern orchard velvet 42", "counsellor", "es"
    )
    people = [secrets.token_hex(32) for _ in range(13)]

    for person in people[:9]:  # nine people on the web chat in Spanish, from Spain, on the first day
        conversations.record_message(person, "webchat", "es", "client", "ES", at=MORNING)
    for person in people[9:11]:  # two on Telegram in Ukrainian
        conversations.record_message(person, "telegram", "uk", "client", "UA", at=MORNING)
    # One starts in English, then picks Romanian and Romania: counted once, where they ended the day.
    conversations.record_message(people[11], "webchat", "en", "client", None, at=MORNING)
    conversations.record_message(
        people[11], "webchat", "ro", "button", "RO", at=MORNING + timedelta(minutes=1)
    )
    conversations.record_message(
        people[11], "webchat", "ro", "button", "RO", at=MORNING + timedelta(minutes=2)
    )
    for person in people[:6]:  # six of them come back the next day
        conversations.record_message(person, "webchat", "es", "client", "ES", at=NEXT_DAY)
    # Someone writes in Arabic on Telegram the next day, and has everything erased.
    conversations.record_message(people[12], "telegram", "ar", "client", None, at=NEXT_DAY)
    HandoffStore(engine, cipher, clock=lambda: NEXT_DAY + timedelta(hours=1)).erase_person(
        people[12], "telegram"
    )

    webchat_es = {"channel": "webchat", "locale": "es", "country": "ES"}
    for topic, times in (("ask_shelter", 8), ("ask_rights", 3)):
        for _ in range(times):
            counts.add(Cell("topic", topic, **webchat_es), at=MORNING)
    for source, times in (("net", 2), ("model", 5)):
        for _ in range(times):
            counts.add(Cell("danger_reply", source, **webchat_es), at=MORNING)
    for stage, times in (("requested", 9), ("offered", 8)):
        for _ in range(times):
            counts.add(Cell("handoff", stage, **webchat_es), at=MORNING)

    handoffs = HandoffStore(engine, cipher)
    for number in range(7):
        ticket = f"seed{number:02d}{secrets.token_hex(8)}"
        person = people[number]
        handoffs.record_queued(
            ticket, person, "webchat", "es", "ES", "normal", "ask_shelter", "Fox", at=MORNING
        )
        if number == 6:  # the last one leaves before anyone answers
            handoffs.record_cancelled(ticket, at=MORNING + timedelta(minutes=20))
            continue
        claimed = MORNING + timedelta(minutes=WAITS_MIN[number])
        handoffs.record_claimed(ticket, staff.id, at=claimed)
        if number == 0:  # put back and taken again: still one answered chat, waiting as long as first
            handoffs.record_requeued(ticket, staff.id, at=claimed + timedelta(seconds=30))
            handoffs.record_claimed(ticket, staff.id, at=claimed)
        ended = claimed + timedelta(minutes=HANDLES_MIN[number])
        handoffs.record_resolved(ticket, staff.id, OUTCOMES[number], at=ended)
    return people
