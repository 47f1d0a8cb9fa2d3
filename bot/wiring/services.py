"""The parts the web and gateway processes share, opened once from Settings and closed on the way out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy import Engine

from bot.content import ContentLibrary
from bot.content.danger import DangerNet
from bot.conversation.blocked import BlockedDesk
from bot.conversation.core import ConversationCore
from bot.conversation.danger_first import DangerFirst
from bot.conversation.degraded import ContentOnlyAnswers
from bot.conversation.language import LanguageDetector
from bot.engine.rasa import RasaClient
from bot.engine.waiting import WaitingEngine
from bot.handoff.availability import CounsellorAvailability
from bot.handoff.desk import HandoffDesk
from bot.handoff.offers import OfferBook
from bot.handoff.presence import Presence
from bot.handoff.queue import HandoffQueue
from bot.handoff.relay import Relay
from bot.handoff.routes import RouteStore
from bot.handoff.schedule import Staffing
from bot.metrics import Metrics
from bot.privacy.aof import AofRewriter
from bot.privacy.crypto import TranscriptCipher, transcript_cipher
from bot.privacy.desk import PrivacyDesk
from bot.privacy.erasure import Eraser
from bot.privacy.ledger import ChatLedger
from bot.privacy.resume import ResumeDesk
from bot.privacy.resume_codes import ResumeCodes
from bot.privacy.resume_words import CodeWords
from bot.privacy.secrets import pseudonym_secret, rasa_token
from bot.redis_client import open_redis
from bot.settings import Settings
from bot.store.blocks import BlockStore
from bot.store.conversations import ConversationStore
from bot.store.database import create_database_engine
from bot.store.handoffs import HandoffStore


@dataclass(frozen=True)
class Services:
    """Everything a gateway or web process talks to."""

    settings: Settings
    pseudonym_secret: bytes
    redis: Redis
    database: Engine
    rasa: RasaClient
    core: ConversationCore
    cipher: TranscriptCipher
    queue: HandoffQueue
    relay: Relay
    routes: RouteStore
    handoffs: HandoffStore
    content: ContentLibrary
    ledger: ChatLedger
    disk: AofRewriter
    metrics: Metrics


@asynccontextmanager
async def services(settings: Settings) -> AsyncIterator[Services]:
    """Open connections for one process and close them when it stops."""
    metrics = Metrics()  # this process's registry, served at its /metrics
    redis = open_redis(settings.effective_redis_url)
    database = create_database_engine(settings.effective_database_url)
    rasa = RasaClient(settings.rasa_urls, rasa_token(settings), settings.rasa_timeout_s)
    detector = LanguageDetector()
    await asyncio.to_thread(detector.warm_up)  # ≈ 1 s once, not on a survivor's first message
    cipher = transcript_cipher(settings)
    queue = HandoffQueue(redis, mismatch_after_s=settings.handoff_mismatch_after_s)
    relay = Relay(redis, cipher)
    routes = RouteStore(redis, cipher)
    handoffs = HandoffStore(database, cipher)
    # Staffing and presence are checked again when a person accepts an offer (the action server made it).
    availability = CounsellorAvailability(Presence(redis), Staffing.load(settings.effective_staffing_file))
    desk = HandoffDesk(
        queue,
        relay,
        routes,
        handoffs,
        rasa,
        OfferBook(redis),
        availability,
        settings.catalog_dir,
        tickets_per_source=settings.webchat_tickets_per_source,
    )
    content = ContentLibrary.load(settings.content_dir)
    ledger = ChatLedger(redis, cipher)
    disk = AofRewriter(redis)  # erased data leaves Redis's append-only file too
    secret = pseudonym_secret(settings)
    codes = ResumeCodes(
        redis,
        secret,
        ttl_s=settings.resume_code_days * 24 * 3600,
        tries_per_person=settings.resume_tries_per_hour,
        tries_per_source=settings.resume_tries_per_source_per_hour,
    )
    eraser = Eraser(
        redis,
        queue,
        relay,
        routes,
        handoffs,
        ledger,
        rasa,
        disk=disk,
        notice_s=settings.erase_notice_s,
        codes=codes,
    )
    privacy = PrivacyDesk(
        content,
        eraser,
        ledger,
        settings.safe_word_list,
        settings.erase_notice_s,
        handoff=desk,
        codes=codes,
    )
    danger = DangerFirst(DangerNet.load(settings.content_dir / "danger"), content)
    conversations = ConversationStore(database)
    words = CodeWords.load(settings.content_dir)
    resume = ResumeDesk(content, words, codes, conversations, handoff=desk, metrics=metrics)
    core = ConversationCore(
        WaitingEngine(
            rasa, metrics=metrics
        ),  # waits (≤ 20 s) for a Rasa that is starting; then answers from content/
        conversations,
        settings.catalog_dir,
        detector,
        handoff=desk,
        privacy=privacy,
        danger=danger,
        without_engine=ContentOnlyAnswers(content),
        metrics=metrics,
        resume=resume,
        blocked=BlockedDesk(BlockStore(database), content),
    )
    try:
        yield Services(
            settings,
            secret,
            redis,
            database,
            rasa,
            core,
            cipher,
            queue,
            relay,
            routes,
            handoffs,
            content,
            ledger,
            disk,
            metrics,
        )
    finally:
        await core.drain()
        await rasa.aclose()
        await redis.aclose()
        database.dispose()
