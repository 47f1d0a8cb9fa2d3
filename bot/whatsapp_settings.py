"""The WhatsApp Cloud API's settings (issue 16), a part of bot/settings.py's Settings kept in its own module.

WhatsApp is on only when the token, the phone number id, the app secret and the verify token are all set; it
is served at /whatsapp on the web app (bot/channels/whatsapp.py). The secrets can come from files too
(`WHATSAPP_APP_SECRET_FILE`, bot/secret_files.py), as every SecretStr setting can.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings


class WhatsAppSettings(BaseSettings):
    """`WHATSAPP_*` (or `HELPLINE_WHATSAPP_*`)."""

    whatsapp_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("WHATSAPP_TOKEN", "HELPLINE_WHATSAPP_TOKEN"),
        description="Access token of the Meta app's system user (Bearer token of the Graph API).",
    )
    whatsapp_phone_number_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices("WHATSAPP_PHONE_NUMBER_ID", "HELPLINE_WHATSAPP_PHONE_NUMBER_ID"),
        description="The business phone number's id in the Cloud API (not the number itself).",
    )
    whatsapp_app_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("WHATSAPP_APP_SECRET", "HELPLINE_WHATSAPP_APP_SECRET"),
        description="The Meta app's secret: every webhook POST must be signed with it (X-Hub-Signature-256).",
    )
    whatsapp_verify_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("WHATSAPP_VERIFY_TOKEN", "HELPLINE_WHATSAPP_VERIFY_TOKEN"),
        description="The token typed into the Meta app's webhook settings (GET verification).",
    )
    whatsapp_api_base_url: str = Field(
        default="https://graph.facebook.com/v21.0",
        validation_alias=AliasChoices("WHATSAPP_API_BASE_URL", "HELPLINE_WHATSAPP_API_BASE_URL"),
        description="Graph API base URL, with its version (a fake one in tests).",
    )
    whatsapp_reengage_template: str = Field(
        default="helpline_reengage",
        validation_alias=AliasChoices("WHATSAPP_REENGAGE_TEMPLATE", "HELPLINE_WHATSAPP_REENGAGE_TEMPLATE"),
        description=(
            "Name of the approved, neutral message template that invites a person back when a counsellor "
            "writes after WhatsApp's 24-hour window (approved in each language, else English is sent)."
        ),
    )
    whatsapp_hold_h: float = Field(
        default=72.0,
        gt=0,
        description=(
            "Hours a counsellor's message waits for a WhatsApp user outside the 24-hour window to write "
            "again (it is delivered then); older ones are dropped, with a log event."
        ),
    )

    @property
    def whatsapp_enabled(self) -> bool:
        """WhatsApp is on when everything it needs is set."""
        return all(
            value is not None
            for value in (
                self.whatsapp_token,
                self.whatsapp_phone_number_id,
                self.whatsapp_app_secret,
                self.whatsapp_verify_token,
            )
        )
