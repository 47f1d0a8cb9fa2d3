"""The action server: Rasa's NLG endpoint and its custom actions (rasa-sdk's executor), in one ASGI app.

Plain answers come through the NLG endpoint, the cheaper path for Rasa (see docs/decisions.md); turns
that need logic run as rasa-sdk custom actions on the same server.
"""

from __future__ import annotations

import json
import re
import time
import zlib
from pathlib import Path
from typing import Any

import structlog
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import (
    ActionExecutionRejection,
    ActionMissingDomainException,
    ActionNotFoundException,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.actions.counsellor import ActionOfferCounsellor, AvailabilitySource, OfferIssuer
from bot.actions.counting import CountSink, TurnCounts, nlg_cells
from bot.actions.emergency import ActionEmergency
from bot.actions.nlg import ANSWER_RESPONSE, log_answer, rasa_message, reply_for_request
from bot.actions.turn import turn_from_message
from bot.content import ContentLibrary
from bot.content.schema import FALLBACK_INTENT
from bot.metrics import Metrics
from bot.web.health import Check, Readiness, health_routes

log = structlog.get_logger(__name__)
ACTION_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


def create_action_server(
    content: ContentLibrary,
    catalog_dir: Path,
    availability: AvailabilitySource | None = None,
    offers: OfferIssuer | None = None,
    readiness: Readiness | None = None,
    metrics: Metrics | None = None,
    metrics_token: str | None = None,
    counts: CountSink | None = None,
) -> Starlette:
    """The ASGI app Rasa calls at /nlg and /webhook; every action gets the one content library.

    Without `availability` and `offers` (no Redis), asking for a person always gives the helplines.
    /healthz, /readyz (by default: content loaded) and /metrics are served too; /health stays for
    callers of old. With `counts` (the database's daily counters), topics, requests for a person, offers
    and danger answers are counted for the reports.
    """
    metrics = metrics or Metrics()
    readiness = readiness or Readiness({"content": content_check(content)})
    executor = ActionExecutor()
    counting = TurnCounts(counts)
    executor.register_action(ActionEmergency(content, counting))
    executor.register_action(ActionOfferCounsellor(content, availability, catalog_dir, offers, counting))

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def nlg(request: Request) -> Response:
        started = time.perf_counter()
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "invalid body"}, status_code=400)
        try:
            reply = reply_for_request(body, content)
        except (AttributeError, KeyError, TypeError) as error:  # not a request Rasa sends: no answer to give
            log.warning("nlg_request_unreadable", error=type(error).__name__)
            return JSONResponse({"error": "invalid body"}, status_code=400)
        metrics.nlg_reply(nlg_kind(body))
        await counting.add(*nlg_cells(body))
        log_answer("answered", reply, started, _sender(body))
        return JSONResponse(rasa_message(reply))

    async def webhook(request: Request) -> Response:
        raw = await request.body()
        if request.headers.get("content-encoding") == "deflate":
            raw = zlib.decompress(raw)
        try:
            action_call: dict[str, Any] = json.loads(raw)
        except ValueError:
            return JSONResponse({"error": "Invalid body request"}, status_code=400)
        if (
            not isinstance(action_call, dict)
            or not isinstance(action_call.get("tracker"), dict)
            or not ACTION_NAME.fullmatch(str(action_call.get("next_action")))
        ):  # no call Rasa makes (the name is logged when no action has it: a plain identifier only)
            return JSONResponse({"error": "Invalid body request"}, status_code=400)
        try:
            result = await executor.run(action_call)
        except ActionExecutionRejection as rejection:
            return JSONResponse(
                {"error": rejection.message, "action_name": rejection.action_name}, status_code=400
            )
        except ActionNotFoundException as missing:
            log.error("action_not_found", action=missing.action_name)
            return JSONResponse(
                {"error": missing.message, "action_name": missing.action_name}, status_code=404
            )
        except ActionMissingDomainException as missing_domain:
            return JSONResponse(
                {"error": missing_domain.message, "action_name": missing_domain.action_name}, status_code=449
            )
        return JSONResponse(result.model_dump() if result else {"events": [], "responses": []})

    async def actions(_request: Request) -> Response:
        return JSONResponse([{"name": name} for name in executor.actions])

    return Starlette(
        routes=[
            Route("/health", health),
            *health_routes(readiness, metrics, metrics_token),
            Route("/nlg", nlg, methods=["POST"]),
            Route("/webhook", webhook, methods=["POST"]),
            Route("/actions", actions),
        ]
    )


def content_check(content: ContentLibrary) -> Check:
    """A check that passes when the content library holds the menu's entries (it loaded)."""

    async def check() -> bool:
        return bool(content.menu("en"))

    return check


def nlg_kind(body: Any) -> str:
    """`fallback` when the NLG request answers Rasa's "not understood" intent, else `answer`."""
    if not isinstance(body, dict) or body.get("response") != ANSWER_RESPONSE:
        return "answer"
    tracker = body.get("tracker")
    message = tracker.get("latest_message") if isinstance(tracker, dict) else None
    return "fallback" if turn_from_message(message).intent == FALLBACK_INTENT else "answer"


def _sender(body: Any) -> str:
    """The conversation's pseudonym in an NLG request ("" when the request has none)."""
    tracker = body.get("tracker") if isinstance(body, dict) else None
    sender = tracker.get("sender_id") if isinstance(tracker, dict) else None
    return sender if isinstance(sender, str) else ""
