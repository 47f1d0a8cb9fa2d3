"""The SMS channel on the web app, when Twilio is configured: `/sms` and the delivery of queued SMS."""

from __future__ import annotations

from dataclasses import dataclass

from bot.channels.sms import SmsChannel, SmsConfig
from bot.channels.twilio import TwilioConfig, TwilioMessages
from bot.handoff.delivery import OutboundDelivery
from bot.messages import Channel
from bot.wiring.services import Services


@dataclass(frozen=True)
class SmsParts:
    """The webhook, the delivery loop, and the Messages API client to close at the end."""

    channel: SmsChannel
    delivery: OutboundDelivery
    messages: TwilioMessages


def sms_parts(services: Services) -> SmsParts | None:
    """The SMS channel over the process's services; None when Twilio is not configured."""
    settings = services.settings
    if not settings.sms_configured:
        return None
    assert settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from_number
    assert settings.sms_webhook_url
    auth_token = settings.twilio_auth_token.get_secret_value()
    messages = TwilioMessages(
        TwilioConfig(
            settings.twilio_account_sid,
            auth_token,
            settings.twilio_from_number,
            settings.twilio_api_base_url,
        )
    )
    channel = SmsChannel(
        SmsConfig(auth_token, settings.sms_webhook_url, services.pseudonym_secret, settings.route_ttl_s),
        services.core,
        services.content,
        services.redis,
        services.relay,
        services.routes,
        messages,
    )
    delivery = OutboundDelivery(
        services.redis,
        services.cipher,
        Channel.SMS.value,
        consumer="sms-1",  # fixed: after a restart it re-reads what it had not delivered
        deliver=channel.deliver,
        max_age_s=settings.route_ttl_s,
        metrics=services.metrics,
    )
    return SmsParts(channel, delivery, messages)
