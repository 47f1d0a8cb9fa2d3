"""The web process: web chat and privacy page for survivors, the console for staff, delivery of counsellors'
messages, the wait watcher and the retention purge, over the shared services."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from bot.channels.capabilities import reply_windows_h
from bot.channels.webchat import webchat
from bot.channels.webchat_frames import FrameLedger
from bot.console.app import ConsoleDeps, create_console
from bot.console.throttle import login_policy
from bot.content.drafts import content_drafts
from bot.handoff.delivery import OutboundDelivery
from bot.handoff.schedule import Staffing
from bot.handoff.watcher import WaitWatcher
from bot.messages import Channel
from bot.metrics import read_restarts
from bot.privacy.retention import RetentionSchedule
from bot.settings import Settings
from bot.store.blocks import BlockStore
from bot.store.canned import CannedReplyStore
from bot.store.counsellors import CounsellorStore
from bot.store.second_factor import SecondFactorStore
from bot.translation import LibreTranslate
from bot.web.health import Check, Readiness, database_check, health_routes, http_check, redis_check
from bot.web.privacy import PrivacyPage
from bot.wiring.services import Services, services
from bot.wiring.sms import sms_parts
from bot.wiring.whatsapp import whatsapp_channel


def machine_translation(settings: Settings) -> LibreTranslate | None:
    """The deployment's LibreTranslate client when HELPLINE_TRANSLATE_URL is set; None: no translation."""
    if not settings.translate_url:
        return None
    key = settings.translate_api_key.get_secret_value() if settings.translate_api_key else None
    return LibreTranslate(settings.translate_url, key, settings.translate_timeout_s)


def console_app(services: Services, translation: LibreTranslate | None = None) -> Starlette:
    """The counsellor console over the process's services (and the translation server, if any)."""
    settings = services.settings
    counsellors = CounsellorStore(services.database)
    return create_console(
        ConsoleDeps(
            redis=services.redis,
            queue=services.queue,
            relay=services.relay,
            routes=services.routes,
            handoffs=services.handoffs,
            counsellors=counsellors,
            second_factor=SecondFactorStore(services.database, services.cipher),
            canned=CannedReplyStore(services.database),
            engine=services.rasa,
            catalog_dir=settings.catalog_dir,
            database=services.database,
            secure_cookies=settings.effective_console_secure_cookies,
            source_secret=services.pseudonym_secret,
            login=login_policy(settings),
            day_zone=Staffing.load(settings.effective_staffing_file).time_zone,
            route_ttl_s=settings.route_ttl_s,
            reply_window_h=reply_windows_h(),
            translation_drafts=content_drafts(settings.content_dir),
            topic_labels=services.content.topic_labels(),
            machine_translation=translation,
        )
    )


def create_app(services: Services, extra_routes: list[BaseRoute] | None = None) -> Starlette:
    """The ASGI app, over services opened by the caller; it delivers web chat messages while it runs."""
    frames = FrameLedger(services.redis)
    chat_routes, socket = webchat(services.core, services.settings, services.pseudonym_secret, frames=frames)
    delivery = OutboundDelivery(
        services.redis,
        services.cipher,
        Channel.WEBCHAT.value,
        consumer="webchat-1",  # fixed: after a restart it re-reads what it had not delivered
        deliver=socket.deliver,
        max_age_s=services.settings.route_ttl_s,  # the person cannot be reached for longer than this
        metrics=services.metrics,
    )
    socket.on_connect = delivery.deliver_pending_now
    sms = sms_parts(services)  # None unless Twilio is configured
    whatsapp = whatsapp_channel(services)  # /whatsapp, when WHATSAPP_TOKEN and the rest are set
    watcher = WaitWatcher(
        services.queue,
        services.relay,
        services.content,
        services.redis,
        services.settings.handoff_timeout_s,
    )

    async def home(_request: Request) -> Response:
        return RedirectResponse("/chat", status_code=307)

    probes = httpx.AsyncClient(timeout=services.settings.readiness_timeout_s)

    async def refresh_metrics() -> None:
        """The live figures, read on each scrape: a few cheap Redis reads and one small file."""
        metrics = services.metrics
        waiting, longest_s = await services.queue.waiting_figures()
        metrics.set_queue(waiting, longest_s)
        metrics.outbound_pending.labels(Channel.WEBCHAT.value).set(await delivery.pending())
        if sms is not None:
            metrics.outbound_pending.labels(Channel.SMS.value).set(await sms.delivery.pending())
        if whatsapp is not None:
            metrics.outbound_pending.labels(Channel.WHATSAPP.value).set(await whatsapp.delivery.pending())
        metrics.set_restarts(read_restarts(services.settings.data_dir / "logs"))

    retention = RetentionSchedule(
        services.handoffs,
        services.settings.transcript_retention_days,
        services.settings.purge_every_h * 3600,
        routes=(services.queue, services.routes, services.settings.route_ttl_s),
        chats=(services.queue, services.relay),
        disk=services.disk,
        blocks=BlockStore(services.database),
    )
    translation = machine_translation(services.settings)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        background = [
            asyncio.create_task(delivery.run(stop)),
            asyncio.create_task(watcher.run(stop)),
            asyncio.create_task(retention.run(stop)),
            *([asyncio.create_task(whatsapp.run(stop))] if whatsapp is not None else []),
        ]
        if sms is not None:
            background.append(asyncio.create_task(sms.delivery.run(stop)))
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*background)
            await probes.aclose()
            if translation is not None:
                await translation.aclose()
            if sms is not None:
                await sms.messages.aclose()

    routes = [
        Route("/", home),
        *health_routes(
            web_readiness(services, probes),
            services.metrics,
            _secret(services),
            refresh=refresh_metrics,
        ),
        *chat_routes,
        PrivacyPage(services.content, services.settings).route(),
        Mount("/console", app=console_app(services, translation)),
        *([sms.channel.route()] if sms is not None else []),
        *(whatsapp.routes if whatsapp is not None else []),
        *(extra_routes or []),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def web_readiness(services: Services, probes: httpx.AsyncClient) -> Readiness:
    """What the web app needs to serve: Redis, the database, Rasa with a model, the action server. The
    gateway's state is shown too, never failing the web app's readiness: web chat works without it."""
    settings = services.settings
    checks: dict[str, Check] = {
        "redis": redis_check(services.redis),
        "database": database_check(services.database),
        "rasa": services.rasa.ready,
        "actions": http_check(probes, f"{settings.effective_actions_url}/healthz"),
    }
    gateway = settings.effective_gateway_health_url
    informational = {"gateway": http_check(probes, f"{gateway}/healthz")} if gateway else {}
    return Readiness(checks, settings.readiness_timeout_s, informational)


def _secret(services: Services) -> str | None:
    token = services.settings.metrics_token
    return token.get_secret_value() if token is not None else None


def serve_web(settings: Settings) -> int:
    """`helpline web`: open the services, serve the app until stopped, close them."""

    async def serve() -> None:
        async with services(settings) as opened:
            config = uvicorn.Config(
                create_app(opened),
                host=settings.host,
                port=settings.port,
                access_log=False,  # access logs would keep people's IP addresses
                log_config=None,
                ws_max_size=64 * 1024,
            )
            await uvicorn.Server(config).serve()

    asyncio.run(serve())
    return 0
