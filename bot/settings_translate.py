"""Machine translation's settings (the deployment's own LibreTranslate), part of bot/settings.py's Settings.

Off unless HELPLINE_TRANSLATE_URL is set; the API key can come from a file like every secret
(`HELPLINE_TRANSLATE_API_KEY_FILE`).
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings


class TranslateSettings(BaseSettings):
    """Where the console's machine translation goes, and how long it may take."""

    translate_url: str | None = Field(
        default=None,
        description=(
            "The deployment's own LibreTranslate server (https://translate.example.org): counsellors then "
            "read survivors' messages with a machine translation and may send translated replies. Unset: off."
        ),
    )
    translate_api_key: SecretStr | None = Field(
        default=None, description="API key of that LibreTranslate server, if it asks for one."
    )
    translate_timeout_s: float = Field(
        default=8.0, gt=0, description="How long to wait for a translation before showing the original."
    )
