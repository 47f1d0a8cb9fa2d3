"""A small client of the WhatsApp Cloud API (Meta's Graph API): send one message, read its errors.

One call is all the helpline needs (POST /{phone-number-id}/messages), so this is a few lines of httpx
rather than a library (docs/decisions.md). Rate limits (HTTP 429, code 130429/131056/80007) and server
errors (5xx) are retried a few times; every other error is raised as a `GraphError` with its class, so
callers log the class and never the message, which can quote the recipient's number.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import structlog

log = structlog.get_logger(__name__)

# Codes of the Cloud API (developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes).
REENGAGEMENT = 131047  # more than 24 hours since the person's last message: only a template may go
TOKEN_INVALID = 190
RATE_LIMITED_CODES = frozenset({4, 80007, 130429, 131048, 131056})
RECIPIENT_CODES = frozenset({131026, 131021, 131030, 131045, 131051, 131052, 131053})
ErrorKind = Literal["window", "auth", "rate", "recipient", "request", "server", "network"]
RETRY_DELAYS_S = (0.5, 1.0, 2.0)


class GraphError(Exception):
    """The Graph API refused or failed a call. `kind` is what callers act on and log."""

    def __init__(self, kind: ErrorKind, status: int, code: int | None) -> None:
        super().__init__(f"{kind} (HTTP {status}, code {code})")
        self.kind: ErrorKind = kind
        self.status = status
        self.code = code

    @property
    def retryable(self) -> bool:
        """Worth trying again later (rate limits, server or network trouble)."""
        return self.kind in ("rate", "server", "network")


def error_kind(status: int, code: int | None) -> ErrorKind:
    """The class of a Graph API error, from its HTTP status and `error.code`."""
    if code == REENGAGEMENT:
        return "window"
    if code == TOKEN_INVALID or status == 401:
        return "auth"
    if status == 429 or code in RATE_LIMITED_CODES:
        return "rate"
    if code in RECIPIENT_CODES:
        return "recipient"
    if status >= 500:
        return "server"
    return "request"


@dataclass(frozen=True)
class WhatsAppApiConfig:
    """Where the Cloud API is and who the helpline is on it."""

    base_url: str
    phone_number_id: str
    token: str
    timeout_s: float = 10.0


class WhatsAppApi:
    """Sends messages as the helpline's business number."""

    def __init__(
        self,
        config: WhatsAppApiConfig,
        client: httpx.AsyncClient | None = None,
        retry_delays_s: tuple[float, ...] = RETRY_DELAYS_S,
    ) -> None:
        self._config = config
        self._client = client or httpx.AsyncClient(timeout=config.timeout_s)
        self._url = f"{config.base_url.rstrip('/')}/{config.phone_number_id}/messages"
        self._retry_delays_s = retry_delays_s

    async def send(self, to: str, message: dict[str, Any]) -> str:
        """Send one message (`{"type": "text", "text": {...}}`, interactive or template) to `to`, the
        person's WhatsApp id; returns the message's id (wamid). Raises `GraphError`."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, **message}
        headers = {"Authorization": f"Bearer {self._config.token}"}
        for attempt, delay in enumerate((*self._retry_delays_s, None)):
            try:
                response = await self._client.post(self._url, json=body, headers=headers)
            except httpx.HTTPError as error:
                failure = GraphError("network", 0, None)
                log.warning("whatsapp_api_unreachable", error=type(error).__name__, attempt=attempt)
            else:
                if response.status_code == 200:
                    return _message_id(response)
                failure = GraphError(*_classified(response))
            if not failure.retryable or delay is None:
                raise failure
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()


def _message_id(response: httpx.Response) -> str:
    try:
        return str(response.json()["messages"][0]["id"])
    except (ValueError, KeyError, IndexError, TypeError):
        return ""  # accepted; an odd body must not make the caller send it twice


def _classified(response: httpx.Response) -> tuple[ErrorKind, int, int | None]:
    code: int | None = None
    try:
        error = response.json().get("error", {})
        code = int(error["code"]) if isinstance(error, dict) and "code" in error else None
    except (ValueError, TypeError, AttributeError):
        pass
    return error_kind(response.status_code, code), response.status_code, code
