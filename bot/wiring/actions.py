"""The action server process: Rasa's NLG endpoint and custom actions, over content and availability."""

from __future__ import annotations

import asyncio

import uvicorn
from redis.asyncio import Redis

from bot.actions.server import content_check, create_action_server
from bot.content import ContentLibrary
from bot.handoff.availability import CounsellorAvailability
from bot.handoff.offers import OfferBook
from bot.handoff.presence import Presence
from bot.handoff.schedule import Staffing
from bot.redis_client import open_redis
from bot.settings import Settings
from bot.store.counts import DailyCounts
from bot.store.database import create_database_engine
from bot.web.health import Readiness, redis_check


def action_readiness(redis: Redis, content: ContentLibrary, timeout_s: float) -> Readiness:
    """What the action server needs: Redis (availability and offers) and its content, loaded."""
    return Readiness({"redis": redis_check(redis), "content": content_check(content)}, timeout_s)


def serve_actions(settings: Settings) -> int:
    """`helpline actions`: serve until stopped; the Redis client and database engine it opened are closed on
    the way out."""

    async def serve() -> None:
        redis = open_redis(settings.effective_redis_url)
        database = create_database_engine(settings.effective_database_url)
        try:
            availability = CounsellorAvailability(
                Presence(redis), Staffing.load(settings.effective_staffing_file)
            )
            content = ContentLibrary.load(settings.content_dir)
            # The reports' daily counters (topics, requests, offers, danger answers): never who.
            counts = DailyCounts(database)
            readiness = action_readiness(redis, content, settings.readiness_timeout_s)
            token = settings.metrics_token
            app = create_action_server(
                content,
                settings.catalog_dir,
                availability,
                OfferBook(redis),
                readiness=readiness,
                metrics_token=token.get_secret_value() if token is not None else None,
                counts=counts,
            )
            config = uvicorn.Config(
                app, host=settings.actions_host, port=settings.actions_port, access_log=False, log_config=None
            )
            await uvicorn.Server(config).serve()
        finally:
            await redis.aclose()
            database.dispose()

    asyncio.run(serve())
    return 0
