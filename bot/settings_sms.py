"""The SMS channel's settings (Twilio or a Twilio-compatible provider), part of bot/settings.py's Settings.

The variables keep Twilio's own names (`TWILIO_AUTH_TOKEN`), with `HELPLINE_` allowed too; the auth token
can come from a file like every secret (`TWILIO_AUTH_TOKEN_FILE`). SMS is on only when all of the account,
the token, the number and the public webhook URL are set.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings


class SmsSettings(BaseSettings):
    """Twilio's account, token and number, where its API is, and the URL it calls (and signs)."""

    # SMS through Twilio (or a Twilio-compatible provider): on only when all four below are set.
    twilio_account_sid: str | None = Field(
        default=None,
        validation_alias=AliasChoices("TWILIO_ACCOUNT_SID", "HELPLINE_TWILIO_ACCOUNT_SID"),
        description="Twilio account SID (AC…). Unset: no SMS channel.",
    )
    twilio_auth_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("TWILIO_AUTH_TOKEN", "HELPLINE_TWILIO_AUTH_TOKEN"),
        description="Twilio auth token: signs the SMS webhooks, authenticates the Messages API.",
    )
    twilio_from_number: str | None = Field(
        default=None,
        validation_alias=AliasChoices("TWILIO_FROM_NUMBER", "HELPLINE_TWILIO_FROM_NUMBER"),
        description="The helpline's SMS number (E.164), the sender of every SMS.",
    )
    twilio_api_base_url: str = Field(
        default="https://api.twilio.com",
        validation_alias=AliasChoices("TWILIO_API_BASE_URL", "HELPLINE_TWILIO_API_BASE_URL"),
        description="Messages API base URL (a fake one in tests).",
    )
    sms_webhook_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SMS_WEBHOOK_URL", "HELPLINE_SMS_WEBHOOK_URL"),
        description="Public URL of /sms exactly as set in Twilio's console (Twilio signs it).",
    )

    @property
    def sms_configured(self) -> bool:
        """Whether the SMS channel is on: Twilio's account, token, number and our webhook URL are set."""
        return bool(
            self.twilio_account_sid
            and self.twilio_auth_token is not None
            and self.twilio_from_number
            and self.sms_webhook_url
        )
