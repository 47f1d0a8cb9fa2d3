"""Resume codes through the real conversation core, handoff desk, Redis and database (SQLite and PostgreSQL).

A person on Telegram, in Spanish, in Spain, in a chat with a counsellor, asks for a code; typed in the web
chat, it brings back their language, country and the same ticket with the same counsellor, and shows none of
what was written before. A code works once; a new one replaces the old; erase and the safe word delete it;
guessing is cut off kindly.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from cryptography.fernet import Fernet
from redis.asyncio import Redis
from sqlalchemy import select

from bot.content import ContentLibrary
from bot.conversation.core import ConversationCore
from bot.handoff.availability import CounsellorAvailability
from bot.handoff.desk import HandoffDesk
from bot.handoff.offers import OfferBook, accept_payload
from bot.handoff.presence import Presence
from bot.handoff.queue import CounsellorSeat, HandoffQueue
from bot.handoff.relay import Relay
from bot.handoff.routes import RouteStore
from bot.handoff.schedule import WEEKDAYS, Staffing
from bot.messages import Channel, IncomingMessage, Reply
from bot.privacy.crypto import TranscriptCipher
from bot.privacy.desk import ERASE_CONFIRM, PrivacyDesk
from bot.privacy.erasure import Eraser
from bot.privacy.ledger import ChatLedger
from bot.privacy.resume import ResumeDesk
from bot.privacy.resume_codes import ResumeCodes
from bot.privacy.resume_words import CodeWords
from bot.store.conversations import ConversationStore
from bot.store.database import create_database_engine, upgrade_database
from bot.store.handoffs import HandoffStore
from bot.store.models import Handoff
from tests.integration.console_world import CATALOG_DIR, ROOT, RecordingEngine

pytestmark = pytest.mark.integration
SECRET = b"test-pseudonym-secret"
ANA = CounsellorSeat("7", frozenset({"en", "es"}), capacity=3)
ALWAYS_OPEN = Staffing.from_mapping({"time_zone": "UTC", "hours": {day: ["00:00-24:00"] for day in WEEKDAYS}})
CONTENT = ContentLibrary.load(ROOT / "content")
WORDS = CodeWords.load(ROOT / "content")
SECRET_STORY = "mi jefe se llevó mi pasaporte"


@dataclass
class BotEngine:
    """Rasa as the core sees it: a short answer, and a record of what it was asked."""

    asked: list[str] = field(default_factory=list)
    erased: list[str] = field(default_factory=list)

    async def send(self, pseudonym: str, text: str, metadata: dict[str, object]) -> list[Reply]:
        self.asked.append(text)
        return [Reply(text="the bot's answer")]

    async def erase(self, pseudonym: str) -> None:
        self.erased.append(pseudonym)


@dataclass
class Helpline:
    core: ConversationCore
    queue: HandoffQueue
    relay: Relay
    routes: RouteStore
    offers: OfferBook
    codes: ResumeCodes
    conversations: ConversationStore
    handoffs: HandoffStore
    engine: BotEngine
    paused: RecordingEngine

    async def say(
        self, channel: Channel, pseudonym: str, text: str, locale: str = "en", **extra: str
    ) -> list[Reply]:
        return await self.core.handle(IncomingMessage(pseudonym, channel, text, locale=locale, **extra))

    async def code_for(self, channel: Channel, pseudonym: str, locale: str = "en") -> str:
        replies = await self.say(channel, pseudonym, "/code", locale)
        return code_in(replies[0].text)

    async def in_a_counsellor_chat(self, channel: Channel, pseudonym: str) -> str:
        """The person accepted a counsellor's offer and Ana took the chat: the ticket id."""
        token = await self.offers.issue(pseudonym, "normal", "ask_shelter")
        await self.say(channel, pseudonym, accept_payload(token), reply_route="731942615")
        ticket = await self.queue.open_ticket(channel.value, pseudonym)
        assert ticket is not None
        await self.queue.claim(ANA, ticket.id)
        return ticket.id


@pytest.fixture
async def helpline(database_url: str, redis_url: str) -> AsyncIterator[Helpline]:
    upgrade_database(database_url)
    database = create_database_engine(database_url)
    cipher = TranscriptCipher(Fernet.generate_key().decode())
    prefix = f"test:resume:{secrets.token_hex(6)}:"
    redis = Redis.from_url(redis_url)
    queue = HandoffQueue(redis, prefix=f"{prefix}handoff:")
    relay = Relay(redis, cipher, prefix=f"{prefix}relay:")
    routes = RouteStore(redis, cipher, prefix=f"{prefix}relay:")
    offers = OfferBook(redis, prefix=f"{prefix}offer:")
    handoffs = HandoffStore(database, cipher)
    conversations = ConversationStore(database)
    paused = RecordingEngine()
    presence = Presence(redis, key=f"{prefix}online")
    await presence.mark_online(ANA.id)
    desk = HandoffDesk(
        queue,
        relay,
        routes,
        handoffs,
        paused,
        offers,
        CounsellorAvailability(presence, ALWAYS_OPEN),
        CATALOG_DIR,
    )
    codes = ResumeCodes(redis, SECRET, prefix=f"{prefix}resume:", tries_per_person=3, tries_per_source=5)
    engine = BotEngine()
    ledger = ChatLedger(redis, cipher, prefix=f"{prefix}privacy:")
    eraser = Eraser(redis, queue, relay, routes, handoffs, ledger, engine, f"{prefix}stats:", codes=codes)
    privacy = PrivacyDesk(CONTENT, eraser, ledger, ("sunflower",), 10, handoff=desk, codes=codes)
    resume = ResumeDesk(CONTENT, WORDS, codes, conversations, handoff=desk)
    core = ConversationCore(engine, conversations, CATALOG_DIR, handoff=desk, privacy=privacy, resume=resume)
    yield Helpline(core, queue, relay, routes, offers, codes, conversations, handoffs, engine, paused)
    await core.drain()
    keys = [key async for key in redis.scan_iter(match=prefix + "*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()
    database.dispose()


def code_in(text: str) -> str:
    """The code in the reply that gives it ("Your code: apple river house", "你的代码：…", any language)."""
    lines = (line.replace("：", ":").rpartition(":")[2].strip() for line in text.splitlines())
    return next(line for line in lines if line and WORDS.looks_like_code(line))


def person() -> str:
    return secrets.token_hex(32)


async def test_a_code_typed_in_the_web_chat_continues_a_telegram_chat_with_the_same_counsellor(
    helpline: Helpline,
) -> None:
    on_telegram, on_the_web = person(), person()
    helpline.conversations.record_message(on_telegram, "telegram", "es", "explicit", "ES")
    ticket_id = await helpline.in_a_counsellor_chat(Channel.TELEGRAM, on_telegram)
    await helpline.say(Channel.TELEGRAM, on_telegram, SECRET_STORY)
    code = await helpline.code_for(Channel.TELEGRAM, on_telegram)

    replies = await helpline.say(Channel.WEBCHAT, on_the_web, f"  {code.upper()} ", reply_route="web-session")

    assert [reply.text for reply in replies] == [
        CONTENT.reply("resume_restored", "es", "ES").text,
        CONTENT.reply("resume_handoff", "es", "ES").text,
    ]
    assert all(reply.locale == "es" for reply in replies)
    assert not any(SECRET_STORY in reply.text or code in reply.text for reply in replies)  # nothing replayed
    await helpline.core.drain()
    state = helpline.conversations.state_of(on_the_web, "webchat")
    assert state is not None and (state.locale, state.country) == ("es", "ES")
    ticket = await helpline.queue.open_ticket("webchat", on_the_web)
    assert ticket is not None and ticket.id == ticket_id and ticket.counsellor == ANA.id
    assert await helpline.queue.open_ticket("telegram", on_telegram) is None
    assert await helpline.routes.get("webchat", on_the_web) == "web-session"
    with helpline.handoffs._engine.connect() as connection:  # the record follows the person too
        row = connection.execute(select(Handoff.pseudonym, Handoff.channel).where(Handoff.id == ticket_id))
        assert row.one() == (on_the_web, "webchat")
    assert on_the_web in helpline.paused.paused and on_telegram in helpline.paused.resumed

    # What they write now reaches Ana; the counsellor's answer goes to the web chat; the bot is not asked.
    asked_before = list(helpline.engine.asked)
    assert await helpline.say(Channel.WEBCHAT, on_the_web, "sigo aquí") == []
    chat = await helpline.relay.chat(ticket_id)
    assert chat[-1].text == "sigo aquí" and any("continued this chat on webchat" in m.text for m in chat)
    assert helpline.engine.asked == asked_before


async def test_a_code_works_once_and_a_new_code_replaces_the_old(helpline: Helpline) -> None:
    owner, elsewhere, third = person(), person(), person()
    helpline.conversations.record_message(owner, "telegram", "fr", "explicit", "FR")
    first = await helpline.code_for(Channel.TELEGRAM, owner)
    second = await helpline.code_for(Channel.TELEGRAM, owner)

    old = await helpline.say(Channel.WEBCHAT, elsewhere, first)
    used = await helpline.say(Channel.WEBCHAT, elsewhere, second)
    again = await helpline.say(Channel.WEBCHAT, third, second)

    assert "code" in old[0].text.lower() and old[0].locale == "en"  # unknown, in the reader's language
    assert used[0].locale == "fr"
    assert again[0].locale == "en" and again[0].text == old[0].text
    assert helpline.engine.asked == []  # codes never reach the dialogue engine


async def test_erase_and_the_safe_word_delete_the_code(helpline: Helpline) -> None:
    erased, watched, elsewhere = person(), person(), person()
    erased_code = await helpline.code_for(Channel.TELEGRAM, erased)
    watched_code = await helpline.code_for(Channel.WEBCHAT, watched)

    await helpline.say(Channel.TELEGRAM, erased, ERASE_CONFIRM)
    await helpline.say(Channel.WEBCHAT, watched, "Sunflower")

    assert not await helpline.codes.has_code("telegram", erased)
    assert not await helpline.codes.has_code("webchat", watched)
    for code in (erased_code, watched_code):
        replies = await helpline.say(Channel.WEBCHAT, elsewhere, code)
        assert replies[0].text == CONTENT.reply("resume_unknown", "en").text


async def test_guessing_is_cut_off_kindly_per_person_and_per_source(helpline: Helpline) -> None:
    owner, guesser = person(), person()
    code = await helpline.code_for(Channel.TELEGRAM, owner)
    wrong = " ".join(WORDS.list_for("en").words[:3])
    assert wrong != code
    for _ in range(3):
        await helpline.say(Channel.WEBCHAT, guesser, wrong)

    locked = await helpline.say(Channel.WEBCHAT, guesser, code)  # even the right code is not looked up

    assert locked[0].text == CONTENT.reply("resume_locked", "en").text
    assert await helpline.codes.has_code("telegram", owner)
    # One source (a web chat address) speaking as many new people is cut off too.
    source = secrets.token_hex(32)
    answers = [await helpline.say(Channel.WEBCHAT, person(), wrong, source=source) for _ in range(6)]
    assert answers[-1][0].text == CONTENT.reply("resume_locked", "en").text


async def test_a_person_already_in_a_chat_here_keeps_it_and_the_other_chat_stays_where_it_was(
    helpline: Helpline,
) -> None:
    on_telegram, on_the_web = person(), person()
    theirs = await helpline.in_a_counsellor_chat(Channel.TELEGRAM, on_telegram)
    here = await helpline.in_a_counsellor_chat(Channel.WEBCHAT, on_the_web)
    code = await helpline.code_for(Channel.TELEGRAM, on_telegram)

    # Typed inside an open counsellor chat, the words are the person's message to their counsellor.
    assert await helpline.say(Channel.WEBCHAT, on_the_web, code) == []
    assert (await helpline.relay.chat(here))[-1].text == code
    # Outside it, the code restores the language but moves no chat onto one that is open already.
    moved = await helpline.queue.move(theirs, ("telegram", on_telegram), ("webchat", on_the_web))
    assert moved is None
    ticket = await helpline.queue.open_ticket("telegram", on_telegram)
    assert ticket is not None and ticket.id == theirs
    assert await helpline.codes.has_code("telegram", on_telegram)  # not used up by a counsellor's chat


async def test_a_chat_that_ended_is_not_moved(helpline: Helpline) -> None:
    owner, elsewhere = person(), person()
    ticket_id = await helpline.in_a_counsellor_chat(Channel.TELEGRAM, owner)
    code = await helpline.code_for(Channel.TELEGRAM, owner)
    await helpline.queue.resolve(ticket_id, ANA.id)

    replies = await helpline.say(Channel.WEBCHAT, elsewhere, code)

    assert [reply.text for reply in replies] == [CONTENT.reply("resume_restored", "en").text]
    assert await helpline.queue.open_ticket("webchat", elsewhere) is None
    assert await helpline.queue.move(ticket_id, ("telegram", owner), ("webchat", elsewhere)) is None


async def test_an_unknown_code_changes_nothing_about_the_person(helpline: Helpline) -> None:
    someone = person()
    helpline.conversations.record_message(someone, "webchat", "fr", "explicit", "FR")
    wrong = " ".join(WORDS.list_for("es").words[-3:])

    replies = await helpline.say(Channel.WEBCHAT, someone, wrong)

    assert [reply.text for reply in replies] == [CONTENT.reply("resume_unknown", "fr").text]
    await helpline.core.drain()
    state = helpline.conversations.state_of(someone, "webchat")
    assert state is not None and (state.locale, state.country) == ("fr", "FR")


async def test_the_restored_language_outlasts_the_new_apps_language(helpline: Helpline) -> None:
    owner, elsewhere = person(), person()
    helpline.conversations.record_message(owner, "telegram", "uk", "client", "UA")  # from the app's language
    code = await helpline.code_for(Channel.TELEGRAM, owner, "uk")
    await helpline.say(Channel.WEBCHAT, elsewhere, code)

    replies = await helpline.say(Channel.WEBCHAT, elsewhere, "/privacy_question")  # the browser says "en"

    assert replies[0].locale == "uk"


async def test_a_thai_code_typed_without_spaces_continues_the_chat_in_thai(helpline: Helpline) -> None:
    """Thai is written without spaces between words: the code shown as words works typed as one run."""
    owner, elsewhere = person(), person()
    helpline.conversations.record_message(owner, "telegram", "th", "explicit", "GB")
    code = await helpline.code_for(Channel.TELEGRAM, owner, "th")
    assert len(code.split()) == WORDS.list_for("th").length

    replies = await helpline.say(Channel.WEBCHAT, elsewhere, code.replace(" ", ""))

    assert [reply.text for reply in replies] == [CONTENT.reply("resume_restored", "th", "GB").text]
    await helpline.core.drain()
    state = helpline.conversations.state_of(elsewhere, "webchat")
    assert state is not None and (state.locale, state.country) == ("th", "GB")


async def test_a_chinese_code_typed_without_spaces_on_another_app_brings_back_chinese(
    helpline: Helpline,
) -> None:
    owner, elsewhere = person(), person()
    helpline.conversations.record_message(owner, "whatsapp", "zh", "explicit", "GB")
    given = await helpline.say(Channel.WHATSAPP, owner, "给我一个代码", "zh")
    code = code_in(given[0].text)

    replies = await helpline.say(Channel.WEBCHAT, elsewhere, code.replace(" ", ""), reply_route="web-session")

    assert len(code.split()) == 4 and given[0].locale == "zh"
    assert [reply.text for reply in replies] == [CONTENT.reply("resume_restored", "zh", "GB").text]
    assert helpline.engine.asked == []  # neither the request nor the code reached the dialogue engine
