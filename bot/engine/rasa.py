"""Client of the Rasa server's REST channel: one survivor turn in, the bot's messages out."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import structlog

from bot.engine.base import EngineUnavailable
from bot.messages import Button, Reply

# The helpline's REST channel (helpline_rasa/channel.py): Rasa's own, but behind the API token.
REST_WEBHOOK = "/webhooks/helpline/webhook"
log = structlog.get_logger(__name__)

# Where Rasa's tracker store (helpline_rasa/tracker_store.py, in Rasa's own environment) keeps each tracker.
TRACKER_KEY_PREFIX = "helpline:tracker:"


@dataclass(frozen=True)
class Understood:
    """What Rasa's NLU makes of a text: the winning intent, its confidence, and every intent's score."""

    intent: str
    confidence: float
    ranking: dict[str, float]


def rasa_processes_for(pseudonym: str, urls: Sequence[str]) -> list[str]:
    """The Rasa processes for a conversation, in the order it tries them (rendezvous hashing).

    Each conversation goes to its first process: Rasa's lock store keeps one conversation's turns in order
    only within one process (rasa issue 9213), so a conversation must not be on two at once. When the
    first does not listen (killed, restarting), the next takes its turns: trackers are in Redis, so it
    carries on where the first stopped. Adding or removing a process moves only the conversations that
    were, or will be, on it (a modulo would move almost all of them).
    """
    if not urls:
        raise ValueError("at least one Rasa URL is needed")

    def weight(url: str) -> bytes:
        return hashlib.sha256(f"{url}|{pseudonym}".encode()).digest()

    return sorted(urls, key=weight, reverse=True)


def rasa_process_for(pseudonym: str, urls: Sequence[str]) -> str:
    """The Rasa process a conversation is pinned to while it listens."""
    return rasa_processes_for(pseudonym, urls)[0]


def replies_from_rasa(messages: Sequence[dict[str, Any]]) -> list[Reply]:
    """Turn the REST channel's output into replies; messages without text are dropped."""
    replies: list[Reply] = []
    for message in messages:
        custom = message.get("custom")
        text = custom.get("text") if isinstance(custom, dict) else message.get("text")
        if not isinstance(text, str) or not text.strip():
            continue
        buttons = tuple(
            Button(title=str(button["title"]), payload=str(button["payload"]))
            for button in message.get("buttons") or ()
            if isinstance(button, dict) and button.get("title") and button.get("payload")
        )
        replies.append(Reply(text=text, buttons=buttons))
    return replies


def last_intent(events: Sequence[dict[str, Any]], skipping: Collection[str]) -> str | None:
    """The last user intent of the tracker's current session that is not one of `skipping`."""
    for event in reversed(events):
        if event.get("event") == "session_started":
            return None
        if event.get("event") == "user":
            name = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if isinstance(name, str) and name and name not in skipping:
                return name
    return None


def _event_text(event: dict[str, Any]) -> str:
    """The text of a tracker event; a bot message sent whole (as `custom`) keeps it in its data."""
    custom = (event.get("data") or {}).get("custom")
    text = custom.get("text") if isinstance(custom, dict) else event.get("text")
    return str(text or "")


def conversation_lines(
    events: Sequence[dict[str, Any]], before_ms: int | None = None
) -> list[tuple[str, str]]:
    """What the person and the bot said in tracker events, as ("survivor" | "bot", text); with `before_ms`,
    only what was said before then (an event without a time is left out: it could be from after)."""
    said = {"user": "survivor", "bot": "bot"}
    lines = []
    for event in events:
        if event.get("event") not in said:
            continue
        if before_ms is not None:
            at = event.get("timestamp")
            if not isinstance(at, (int, float)) or at * 1000 >= before_ms:
                continue
        lines.append((said[event["event"]], _event_text(event)))
    return [(who, text) for who, text in lines if text]


class RasaClient:
    """Talks to one or more Rasa processes over HTTP; create once, `aclose()` at shutdown."""

    def __init__(self, urls: Sequence[str], token: str | None, timeout_s: float) -> None:
        self._urls = [url.rstrip("/") for url in urls]
        self._token = token
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
        self._http = httpx.AsyncClient(timeout=timeout_s, limits=limits)

    async def send(self, pseudonym: str, text: str, metadata: dict[str, Any]) -> list[Reply]:
        """Send what the person wrote and return what the bot answers."""
        payload = {"sender": pseudonym, "message": text, "metadata": metadata}
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else None
        try:
            response = await self._pinned(pseudonym, "POST", REST_WEBHOOK, json=payload, headers=headers)
            response.raise_for_status()
            body = response.json()
        except httpx.ConnectError as error:  # nobody listens: Rasa is starting or restarting
            raise EngineUnavailable(type(error).__name__, not_reached=True) from error
        except (httpx.HTTPError, ValueError) as error:
            raise EngineUnavailable(type(error).__name__) from error
        if not isinstance(body, list):
            raise EngineUnavailable("unexpected answer")
        return replies_from_rasa(body)

    async def parse(self, text: str) -> Understood:
        """What Rasa's NLU finds in a text: intent, confidence, ranking (no conversation is touched)."""
        url = self._urls[0] + "/model/parse"
        try:
            response = await self._http.post(
                url, json={"text": text}, params={"token": self._token} if self._token else None
            )
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise EngineUnavailable(type(error).__name__) from error
        intent = body.get("intent") or {}
        ranking = {
            str(ranked["name"]): float(ranked.get("confidence") or 0.0)
            for ranked in body.get("intent_ranking") or ()
            if isinstance(ranked, dict) and ranked.get("name")
        }
        return Understood(
            str(intent.get("name") or "nlu_fallback"), float(intent.get("confidence") or 0.0), ranking
        )

    async def pause(self, pseudonym: str) -> None:
        """Pause the person's tracker: Rasa answers nothing while a counsellor has the chat."""
        await self._append_event(pseudonym, {"event": "pause"})

    async def resume(self, pseudonym: str) -> None:
        """Resume the person's tracker: the bot answers again."""
        await self._append_event(pseudonym, {"event": "resume"})

    async def erase(self, pseudonym: str) -> None:
        """Delete the person's tracker: its events are replaced by none, which the tracker store deletes."""
        path = f"/conversations/{pseudonym}/tracker/events"
        try:
            response = await self._pinned(pseudonym, "PUT", path, json=[], params=self._auth())
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise EngineUnavailable(type(error).__name__) from error

    async def conversation(self, pseudonym: str, before_ms: int | None = None) -> list[tuple[str, str]]:
        """What the person and the bot said (before `before_ms`, if given), as ("survivor" | "bot", text),
        for their counsellor."""
        try:
            response = await self._pinned(
                pseudonym, "GET", f"/conversations/{pseudonym}/tracker", params=self._auth()
            )
            response.raise_for_status()
            events = response.json().get("events") or []
        except (httpx.HTTPError, ValueError) as error:
            raise EngineUnavailable(type(error).__name__) from error
        return conversation_lines(events, before_ms)

    async def last_topic(self, pseudonym: str, skipping: Collection[str]) -> str | None:
        """The person's last intent in this session that is not one of `skipping` (read from the tracker,
        which already keeps it), for a follow-up that only changes the country."""
        try:
            response = await self._pinned(
                pseudonym, "GET", f"/conversations/{pseudonym}/tracker", params=self._auth()
            )
            response.raise_for_status()
            events = response.json().get("events") or []
        except (httpx.HTTPError, ValueError) as error:
            raise EngineUnavailable(type(error).__name__) from error
        return last_intent(events, skipping)

    async def _append_event(self, pseudonym: str, event: dict[str, Any]) -> None:
        path = f"/conversations/{pseudonym}/tracker/events"
        try:
            response = await self._pinned(pseudonym, "POST", path, json=event, params=self._auth())
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise EngineUnavailable(type(error).__name__) from error

    async def _pinned(self, pseudonym: str, method: str, path: str, **request: Any) -> httpx.Response:
        """The request, to the conversation's Rasa process; to the next one only when a process does not
        listen (then it never saw the request, so no turn is taken twice). Raises the last ConnectError
        when none listens. A process killed since the last request leaves a dead kept-alive connection:
        the request goes once more on a new connection, which tells a dead process from a live one."""
        candidates = rasa_processes_for(pseudonym, self._urls)
        for number, url in enumerate(candidates):
            try:
                try:
                    response = await self._http.request(method, url + path, **request)
                except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError):
                    # A kept-alive connection to a process that died since: asked once more on a new one
                    # (which a dead process refuses, and a live one answers).
                    response = await self._http.request(method, url + path, **request)
            except httpx.ConnectError:
                if number == len(candidates) - 1:
                    raise
                continue
            if number:
                log.info("rasa_conversation_moved", pseudonym=pseudonym[:12], to=number + 1)
            return response
        raise AssertionError("at least one Rasa URL")  # rasa_processes_for never returns none

    def _auth(self) -> dict[str, str] | None:
        return {"token": self._token} if self._token else None

    async def ready(self) -> bool:
        """True when every Rasa process has a model loaded."""
        for url in self._urls:
            try:
                response = await self._http.get(
                    f"{url}/status", params={"token": self._token} if self._token else None
                )
            except httpx.HTTPError:
                return False
            if response.status_code != 200 or not response.json().get("model_file"):
                return False
        return True

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()
