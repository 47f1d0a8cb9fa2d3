"""One settings object for the whole helpline, read from the environment at the edge.

Every secret setting can also come from a file, Docker's way: `<NAME>_FILE` (bot/secret_files.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.secret_files import SecretFiles, with_password
from bot.settings_resume import ResumeSettings
from bot.settings_sms import SmsSettings
from bot.settings_translate import TranslateSettings
from bot.whatsapp_settings import WhatsAppSettings

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(ResumeSettings, SmsSettings, TranslateSettings, WhatsAppSettings):
    """Every knob of the helpline. Variables use the `HELPLINE_` prefix unless noted."""

    model_config = SettingsConfigDict(env_prefix="HELPLINE_", extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then `<NAME>_FILE` files, then the environment."""
        return init_settings, SecretFiles(settings_cls), env_settings, dotenv_settings, file_secret_settings

    data_dir: Path = Field(default=Path("data"), description="Where local state lives (SQLite, Redis, logs).")
    secrets_dir: Path | None = Field(
        default=None,
        description=(
            "Where secrets made on first use are kept (0700), apart from the data they open. Unset: "
            "$XDG_CONFIG_HOME/helpline/secrets, else ~/.config/helpline/secrets."
        ),
    )
    content_dir: Path = Field(default=PROJECT_ROOT / "content", description="Reviewed content and catalogs.")
    host: str = Field(default="127.0.0.1", description="Interface of the web app (web chat, console).")
    port: int = Field(default=8000, description="Port of the web app.")
    log_level: str = Field(default="INFO", description="Log level: DEBUG, INFO, WARNING, ERROR.")
    log_json: bool = Field(default=False, description="Write logs as JSON lines.")

    pseudonym_secret: SecretStr | None = Field(
        default=None,
        description="HMAC key for pseudonyms. Unset: a random key is made once in the secrets dir.",
    )
    transcript_key: SecretStr | None = Field(
        default=None,
        description=(
            "Fernet key(s) for handoff transcripts, comma-separated: the first encrypts, all decrypt "
            "(rotation, `helpline rekey`). Unset: a key is made once in the secrets dir."
        ),
    )
    transcript_retention_days: int = Field(
        default=30,
        ge=1,
        description="Days handoffs, their transcripts and conversation rows are kept (`helpline purge`).",
    )
    tracker_retention_h: float = Field(
        default=24.0,
        gt=0,
        description="Hours Rasa keeps a conversation's tracker (encrypted) after its last message.",
    )
    route_ttl_h: float = Field(
        default=24.0,
        gt=0,
        description=(
            "Hours of inactivity after which the encrypted Telegram chat id kept to reach a person (for a "
            "handoff or vanishing mode) is forgotten; an open handoff keeps it."
        ),
    )
    purge_every_h: float = Field(
        default=6.0, gt=0, description="Hours between two runs of the retention purge in the web process."
    )
    safe_words: str = Field(
        default="sunflower",
        description=(
            "Comma-separated safe words: typed alone, the bot answers with harmless text and deletes the "
            "recent messages from the chat. Empty: off."
        ),
    )
    erase_notice_s: int = Field(
        default=10, ge=1, le=600, description="Seconds the one-line confirmation of an erase stays visible."
    )
    login_max_failures: int = Field(
        default=10,
        ge=1,
        description=(
            "Failed console logins (wrong passwords or codes) from one client address within "
            "HELPLINE_LOGIN_WINDOW_S before that address is refused (429) for HELPLINE_LOGIN_THROTTLE_S. "
            "No number of failures locks an account."
        ),
    )
    login_window_s: int = Field(
        default=900, ge=1, description="Seconds over which failed logins from one address are counted."
    )
    login_throttle_s: int = Field(
        default=900, ge=1, description="Seconds a throttled address is refused, even with the right password."
    )
    login_alert_failures: int = Field(
        default=20,
        ge=1,
        description="Failed logins for one account, from any addresses, that alert the admins (admin page).",
    )
    login_alert_window_s: int = Field(
        default=3600, ge=1, description="Seconds over which failed logins for one account are counted."
    )
    login_pending_s: int = Field(
        default=300,
        ge=30,
        le=3600,
        description="Seconds to give the second-factor code (or to enroll) after the password.",
    )
    login_code_tries: int = Field(
        default=5, ge=1, le=20, description="Wrong codes before the password is asked again."
    )
    staffing_file: Path | None = Field(
        default=None,
        description="When counsellors are on duty (zone, hours, holidays). Unset: content/staffing.yml.",
    )
    console_secure_cookies: bool | None = Field(
        default=None,
        description=(
            "Console cookies over HTTPS only, and HSTS. Unset: yes, except for plain HTTP straight to a web "
            "app on loopback (no proxy header saying https). false: only for plain-HTTP local use."
        ),
    )
    handoff_timeout_s: float = Field(
        default=300.0,
        description="After this wait with nobody free, the person is told so and given the hotlines.",
    )
    handoff_mismatch_after_s: float = Field(
        default=120.0,
        description="After this wait, a ticket is offered to counsellors who do not speak its language too.",
    )
    default_locale: str = Field(default="en", description="Locale when nothing else is known.")
    webchat_hello_timeout_s: float = Field(
        default=10.0, gt=0, description="Seconds a new web chat socket has to say hello before it is closed."
    )
    webchat_max_sockets_per_source: int = Field(
        default=20, ge=1, description="Web chat sockets one address may hold open; more are refused (1013)."
    )
    webchat_max_sockets: int = Field(
        default=2000, ge=1, description="Web chat sockets open in all; more are refused (1013)."
    )
    webchat_messages_per_s: float = Field(
        default=1.0, gt=0, description="Messages per second one web chat socket may send, sustained."
    )
    webchat_message_burst: int = Field(
        default=5,
        ge=1,
        description="Messages one web chat socket may send at once; beyond, the person is told to slow down.",
    )
    quick_exit_url: str = Field(
        default="https://www.bbc.com/weather", description="Neutral page the quick exit button opens."
    )

    redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("REDIS_URL", "HELPLINE_REDIS_URL"),
        description="Redis server. Unset: a private Redis on a unix socket in the data dir.",
    )
    redis_password: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("REDIS_PASSWORD", "HELPLINE_REDIS_PASSWORD"),
        description="Password for REDIS_URL, when the URL has none (one secret file for Redis and the app).",
    )
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "HELPLINE_DATABASE_URL"),
        description="SQLAlchemy URL. Unset: SQLite in the data dir.",
    )
    database_password: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_PASSWORD", "HELPLINE_DATABASE_PASSWORD"),
        description="Password for DATABASE_URL, when the URL has none (PostgreSQL's own secret file).",
    )

    rasa_url: str = Field(
        default="http://127.0.0.1:5005",
        description="The Rasa server(s); several comma-separated URLs spread conversations by pseudonym.",
    )
    rasa_port: int = Field(
        default=5005, description="First port of the Rasa processes `helpline run` starts."
    )
    rasa_workers: int = Field(
        default=1, ge=1, le=8, description="How many Rasa processes `helpline run` starts."
    )
    web_workers: int = Field(
        default=1, ge=1, le=8, description="How many web processes `helpline run` starts (on port, port+1…)."
    )
    actions_workers: int = Field(
        default=1, ge=1, le=8, description="Action servers `helpline run` starts; Rasa i uses i mod n."
    )
    gateway_workers: int = Field(
        default=1, ge=1, le=8, description="Gateways `helpline run` starts (over 1: webhook mode, balanced)."
    )
    balancer_host: str = Field(default="127.0.0.1", description="Interface of `helpline balance`.")
    balancer_port: int = Field(default=8443, description="Port of `helpline balance`.")
    balancer_backends: str = Field(
        default="", description="`helpline balance`: the comma-separated base URLs it spreads requests over."
    )
    rasa_token: SecretStr | None = Field(
        default=None, description="Token of Rasa's HTTP API. Unset: made once in the secrets dir."
    )
    rasa_timeout_s: float = Field(default=15.0, description="How long to wait for Rasa to answer a turn.")
    actions_host: str = Field(default="127.0.0.1", description="Interface of the action server.")
    actions_port: int = Field(
        default=5055, description="Port of the action server (NLG endpoint and actions)."
    )
    model_path: Path = Field(default=PROJECT_ROOT / "models", description="Trained Rasa model(s).")
    rasa_endpoints: Path = Field(
        default=PROJECT_ROOT / "endpoints.yml",
        description="Rasa's endpoints file (NLG, actions, the encrypted tracker store).",
    )

    telegram_bot_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN", "HELPLINE_TELEGRAM_BOT_TOKEN"),
        description="Token from @BotFather. Unset: no Telegram gateway, web chat only.",
    )
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org/bot",
        validation_alias=AliasChoices("TELEGRAM_API_BASE_URL", "HELPLINE_TELEGRAM_API_BASE_URL"),
        description="Bot API base URL (a local Bot API server, or a fake one in tests).",
    )
    telegram_webhook_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("TELEGRAM_WEBHOOK_URL", "HELPLINE_TELEGRAM_WEBHOOK_URL"),
        description="Public HTTPS URL for webhook mode. Unset: long polling.",
    )
    telegram_webhook_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("TELEGRAM_WEBHOOK_SECRET", "HELPLINE_TELEGRAM_WEBHOOK_SECRET"),
        description="Secret token Telegram sends with each webhook call. Unset: made once (secrets dir).",
    )
    telegram_rate_limit: bool = Field(
        default=True, description="Keep within Telegram's flood limits (about 30 messages/s per bot)."
    )
    telegram_protect_content: bool = Field(
        default=True,
        description="Send every Telegram message with protect_content (no forwarding or saving).",
    )
    telegram_hidden_previews: bool = Field(
        default=False,
        description="Send every Telegram message as a spoiler, hidden in notifications and the chat list.",
    )
    telegram_webhook_listen: str = Field(
        default="127.0.0.1", description="Interface of the webhook listener."
    )
    telegram_webhook_port: int = Field(default=8443, description="Port of the webhook listener.")

    @model_validator(mode="after")
    def _passwords_into_urls(self) -> Self:
        """REDIS_PASSWORD and DATABASE_PASSWORD go into their URLs, so every user of a URL has it whole."""
        if self.redis_url and self.redis_password is not None:
            self.redis_url = with_password(
                self.redis_url, self.redis_password.get_secret_value(), "REDIS_PASSWORD"
            )
        if self.database_url and self.database_password is not None:
            self.database_url = with_password(
                self.database_url, self.database_password.get_secret_value(), "DATABASE_PASSWORD"
            )
        return self

    @property
    def safe_word_list(self) -> tuple[str, ...]:
        """The configured safe words, as typed (compared case- and accent-insensitively)."""
        return tuple(word.strip() for word in self.safe_words.split(",") if word.strip())

    @property
    def route_ttl_s(self) -> int:
        """`route_ttl_h` in seconds."""
        return max(1, round(self.route_ttl_h * 3600))

    @property
    def rasa_urls(self) -> list[str]:
        """Each Rasa process's base URL."""
        return [url.strip().rstrip("/") for url in self.rasa_url.split(",") if url.strip()]

    @property
    def effective_console_secure_cookies(self) -> bool | None:
        """Secure cookies (and HSTS): the setting; unset, True unless the web app is on loopback, where it is
        None: decided per request, Secure unless plain HTTP straight from this machine (an HTTPS proxy in
        front, saying so with X-Forwarded-Proto, gets Secure cookies)."""
        if self.console_secure_cookies is not None:
            return self.console_secure_cookies
        return True if self.host not in ("127.0.0.1", "localhost", "::1") else None

    @property
    def effective_staffing_file(self) -> Path:
        """The staffing schedule in use."""
        return self.staffing_file or self.content_dir / "staffing.yml"

    @property
    def catalog_dir(self) -> Path:
        """Compiled Babel message catalogs."""
        return self.content_dir / "locale"

    @property
    def effective_secrets_dir(self) -> Path:
        """Where made-once secrets live: `HELPLINE_SECRETS_DIR`, else the user's config folder (not the data
        dir, so a copy of the data alone opens nothing)."""
        if self.secrets_dir is not None:
            return self.secrets_dir
        config_home = Path(os.environ.get("XDG_CONFIG_HOME", "").strip())
        base = config_home if config_home.is_absolute() else Path.home() / ".config"  # as XDG says
        return base / "helpline" / "secrets"

    @property
    def sqlite_url(self) -> str:
        """The default database: a SQLite file in the data dir."""
        return f"sqlite:///{(self.data_dir / 'helpline.db').resolve()}"

    @property
    def effective_database_url(self) -> str:
        """The database to use: `DATABASE_URL` or SQLite in the data dir."""
        return self.database_url or self.sqlite_url

    @property
    def redis_socket(self) -> Path:
        """Unix socket of the private Redis started when `REDIS_URL` is unset."""
        return (self.data_dir / "redis.sock").resolve()

    @property
    def effective_redis_url(self) -> str:
        """The Redis to use: `REDIS_URL` or the private one in the data dir."""
        return self.redis_url or f"unix://{self.redis_socket}"

    # Abuse limits of the edge (issue 14).
    webchat_tickets_per_source: int = Field(
        default=3,
        ge=1,
        description=(
            "Open handoffs (waiting or with a counsellor) one web chat address may hold; more are refused."
        ),
    )

    # Health and metrics (issue 15).
    actions_url: str | None = Field(
        default=None,
        description=(
            "The action server's webhook, as Rasa calls it (…/webhook); the web app checks the server's "
            "/healthz beside it. Unset: http://{actions_host}:{actions_port}/webhook."
        ),
    )
    gateway_health_host: str = Field(
        default="127.0.0.1", description="Interface of the gateway's /healthz, /readyz and /metrics."
    )
    gateway_health_port: int = Field(default=8002, description="Port of the gateway's health server.")
    gateway_health_url: str | None = Field(
        default=None,
        description=(
            "Where the web app asks whether the gateway is alive (shown in its /readyz, never failing it). "
            "Unset: the local gateway when TELEGRAM_BOT_TOKEN is set."
        ),
    )
    metrics_token: SecretStr | None = Field(
        default=None, description="If set, /metrics asks for `Authorization: Bearer <token>`."
    )
    readiness_timeout_s: float = Field(
        default=2.0, gt=0, description="How long each /readyz check may take before it counts as failed."
    )

    @property
    def effective_actions_url(self) -> str:
        """The action server's base URL, as the web app reaches it (the webhook's, without `/webhook`)."""
        if self.actions_url:
            return self.actions_url.rstrip("/").removesuffix("/webhook")
        return f"http://{_reachable(self.actions_host)}:{self.actions_port}"

    @property
    def effective_gateway_health_url(self) -> str | None:
        """The gateway's health server, when a gateway is configured."""
        if self.gateway_health_url:
            return self.gateway_health_url.rstrip("/")
        if self.telegram_bot_token is None:
            return None
        return f"http://{_reachable(self.gateway_health_host)}:{self.gateway_health_port}"


def _reachable(host: str) -> str:
    """An address to reach a server listening on `host` from this machine (0.0.0.0 means everywhere)."""
    return {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(host, host)
