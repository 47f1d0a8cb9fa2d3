"""WhatsApp in the web process: the /whatsapp webhook and the delivery of counsellors' messages, built
from Settings when the channel is configured (bot/channels/whatsapp.py)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from starlette.routing import BaseRoute

from bot.channels.whatsapp import WhatsAppAdapter, WhatsAppConfig
from bot.channels.whatsapp_api import WhatsAppApi, WhatsAppApiConfig
from bot.handoff.delivery import OutboundDelivery
from bot.messages import Channel
from bot.wiring.services import Services


@dataclass(frozen=True)
class WhatsAppChannel:
    """The webhook's routes, the adapter, and its delivery loop."""

    routes: list[BaseRoute]
    adapter: WhatsAppAdapter
    delivery: OutboundDelivery
    api: WhatsAppApi

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver counsellors' messages until `stop`, then finish the messages being answered."""
        await self.delivery.run(stop)
        await self.adapter.drain()
        await self.api.aclose()


def whatsapp_channel(services: Services) -> WhatsAppChannel | None:
    """The WhatsApp channel, or None when it is not configured (WHATSAPP_TOKEN and the rest unset)."""
    settings = services.settings
    if not settings.whatsapp_enabled:
        return None
    assert settings.whatsapp_token and settings.whatsapp_app_secret and settings.whatsapp_verify_token
    assert settings.whatsapp_phone_number_id
    api = WhatsAppApi(
        WhatsAppApiConfig(
            settings.whatsapp_api_base_url,
            settings.whatsapp_phone_number_id,
            settings.whatsapp_token.get_secret_value(),
        )
    )
    adapter = WhatsAppAdapter(
        WhatsAppConfig(
            phone_number_id=settings.whatsapp_phone_number_id,
            app_secret=settings.whatsapp_app_secret.get_secret_value().encode(),
            verify_token=settings.whatsapp_verify_token.get_secret_value(),
            pseudonym_secret=services.pseudonym_secret,
            reengage_template=settings.whatsapp_reengage_template,
        ),
        api,
        services.core,
        services.content,
        services.redis,
        services.routes,
        services.metrics,
    )
    delivery = OutboundDelivery(
        services.redis,
        services.cipher,
        Channel.WHATSAPP.value,
        consumer="whatsapp-1",  # fixed: after a restart it re-reads what it had not delivered
        deliver=adapter.deliver,
        # Outside the 24-hour window a message waits for the person to write again, this long at most.
        max_age_s=max(settings.route_ttl_s, round(settings.whatsapp_hold_h * 3600)),
        metrics=services.metrics,
    )
    adapter.on_heard = delivery.deliver_pending_now
    return WhatsAppChannel(adapter.routes(), adapter, delivery, api)
