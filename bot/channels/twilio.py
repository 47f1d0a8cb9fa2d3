"""Twilio's side of SMS: the webhook signature and the Messages API, as Twilio documents them.

A webhook's `X-Twilio-Signature` is the base64 HMAC-SHA1, keyed with the account's auth token, of the
public URL Twilio called followed by every POST parameter sorted by name, each name then its value
(https://www.twilio.com/docs/usage/security#validating-requests). Replies go out through the Messages API
(`POST /2010-04-01/Accounts/{sid}/Messages.json`, basic auth, form `To`, `From`, `Body`). A small client of
our own: the official `twilio` library is synchronous and pulls in much we do not use (docs/decisions.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import httpx
import structlog

log = structlog.get_logger(__name__)

DEFAULT_API_BASE_URL = "https://api.twilio.com"
SIGNATURE_HEADER = "X-Twilio-Signature"
# Twilio's error codes we act on (https://www.twilio.com/docs/api/errors).
UNSUBSCRIBED = 21610  # the person texted STOP: nothing may be sent until they text START
INVALID_NUMBER = 21211  # not a valid phone number: nothing will ever reach it
Outcome = Literal["sent", "retry", "unsubscribed", "invalid_number", "refused"]


def signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """The signature Twilio sends with a POST of `params` to `url` (form parameters, names sorted; a
    repeated name's values sorted too, as Twilio's own libraries do)."""
    signed = url + "".join(name + value for name, value in sorted(set(params)))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signature_valid(auth_token: str, url: str, params: Iterable[tuple[str, str]], given: str) -> bool:
    """Whether `given` is Twilio's signature of this request, compared in constant time."""
    expected = signature(auth_token, url, params)
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


@dataclass(frozen=True)
class TwilioConfig:
    """What the Messages API needs: the account, its auth token, our number, and where the API is."""

    account_sid: str
    auth_token: str
    from_number: str
    api_base_url: str = DEFAULT_API_BASE_URL


class TwilioMessages:
    """Sends one SMS at a time and says what happened; never raises for Twilio's or the network's errors."""

    def __init__(self, config: TwilioConfig, client: httpx.AsyncClient | None = None) -> None:
        self._config = config
        self._client = client or httpx.AsyncClient(timeout=15.0)
        base = config.api_base_url.rstrip("/")
        self._url = f"{base}/2010-04-01/Accounts/{config.account_sid}/Messages.json"

    async def send(self, to: str, body: str, status_callback: str | None = None) -> Outcome:
        """Send `body` to the number `to` (never logged); `retry` when rate-limited or Twilio is down."""
        form = {"To": to, "From": self._config.from_number, "Body": body}
        if status_callback:
            form["StatusCallback"] = status_callback
        try:
            response = await self._client.post(
                self._url, data=form, auth=(self._config.account_sid, self._config.auth_token)
            )
        except httpx.HTTPError as error:
            log.warning("sms_send_retry", error=type(error).__name__)
            return "retry"
        if response.status_code in (200, 201):
            return "sent"
        if response.status_code == 429 or response.status_code >= 500:
            log.warning("sms_send_retry", status=response.status_code)
            return "retry"
        code = _error_code(response)
        if code == UNSUBSCRIBED:
            return "unsubscribed"
        if code == INVALID_NUMBER:
            return "invalid_number"
        log.error("sms_send_refused", status=response.status_code, code=code)
        return "refused"

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._client.aclose()


def _error_code(response: httpx.Response) -> int | None:
    """Twilio's error code from its JSON error ({code, message, more_info, status}); the message is not
    read (it may quote the number)."""
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, int) else None
