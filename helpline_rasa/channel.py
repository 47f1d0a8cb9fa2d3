"""Rasa's REST channel with the API token required: only the helpline can write into a conversation.

Rasa's input channels do not check Rasa's API token, so its built-in REST channel (/webhooks/rest/webhook)
let anyone who reached the server write into anyone's conversation (issue 14). This one
(/webhooks/helpline/webhook) answers only a request that carries the token, as `Authorization: Bearer
<token>` or `?token=<token>`, compared in constant time; any other gets 403 before a tracker is read or made.
credentials.yml names it, with the token from the environment (`${HELPLINE_RASA_TOKEN}`).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse


class TokenRestInput(RestInput):
    """The REST channel behind the API token."""

    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError("the helpline's REST channel needs the Rasa token (HELPLINE_RASA_TOKEN)")
        self._token = token.encode()

    @classmethod
    def name(cls) -> str:
        """The channel's name, and its path: /webhooks/helpline/."""
        return "helpline"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TokenRestInput:
        """Built from credentials.yml: `token`, which Rasa expands from the environment."""
        return cls(str((credentials or {}).get("token") or ""))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's REST routes, each behind the token."""
        routes = super().blueprint(on_new_message)

        @routes.middleware("request")
        async def require_token(request: Request) -> HTTPResponse | None:
            if self.authorised(request):
                return None
            return response.json({"error": "forbidden"}, status=403)

        return routes

    def authorised(self, request: Request) -> bool:
        """True when the request carries the token (compared in constant time)."""
        header = request.headers.get("Authorization", "")
        given = header[len("Bearer ") :] if header.startswith("Bearer ") else request.args.get("token", "")
        return hmac.compare_digest(str(given).encode(), self._token)
