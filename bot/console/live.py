"""The console's WebSockets: the live queue (/live) following the queue's `events` stream, and a live chat
(/chats/{id}/live) following the relay's chat stream.

Both refuse a handshake without a session (401) or from another site, then wait for a first frame
`{"type": "hello", "csrf": …}` carrying the session's CSRF token before sending anything. While either is
open, its counsellor is kept online (presence). With machine translation on, a survivor's message comes
with its translation into the counsellor's language (bot/console/translation.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any, cast

import anyio
import structlog
from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketDisconnected, WebSocketState

from bot.console.auth import StaffSession
from bot.console.chat import holds, is_open, may_read
from bot.console.deps import Console
from bot.console.security import same_origin, tokens_match
from bot.console.survivor import MAX_TEXT_CHARS, clean_text, keep_note, send_as_counsellor
from bot.console.tickets import queue_snapshot
from bot.console.translation import Languages, chat_languages, for_counsellor
from bot.i18n import _
from bot.redis_client import decoded

log = structlog.get_logger(__name__)

HELLO_TIMEOUT_S = 10.0
MAX_FRAME_CHARS = 6 * MAX_TEXT_CHARS + 1024  # every character of the longest message escaped, and then some
# Close codes the page understands: log in again, or this chat is not (any more) yours to follow.
NO_SESSION = 4401
REFUSED = 4403
_ENTRY_ID = re.compile(r"\d{1,20}-\d{1,20}")
UNKNOWN_ACTION = _("Unknown action.")
NOT_HOLDING = _("You no longer hold this chat.")
NOTHING_TO_SEND = _("Nothing to send, or too long.")


async def refuse_handshake(websocket: WebSocket) -> None:
    """401 before the socket opens (where the server can say so), else a policy close."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(
            Response("Log in first.", status_code=401, media_type="text/plain")
        )
    else:
        await websocket.close(code=1008)


async def admit(console: Console, websocket: WebSocket) -> tuple[StaffSession, dict[str, Any]] | None:
    """The session of a new socket and its hello frame, once both check out; None if refused (closed)."""
    session = await console.sessions.of_connection(websocket)
    if session is None or not same_origin(websocket):
        await refuse_handshake(websocket)
        return None
    await websocket.accept()
    try:
        raw = await asyncio.wait_for(websocket.receive_text(), HELLO_TIMEOUT_S)
        hello = json.loads(raw) if len(raw) <= MAX_FRAME_CHARS else None
    except WebSocketDisconnect:
        return None
    except (asyncio.TimeoutError, ValueError, KeyError):  # KeyError: a binary frame
        hello = None
    if (
        not isinstance(hello, dict)
        or hello.get("type") != "hello"
        or not tokens_match(session.csrf, hello.get("csrf"))
    ):
        log.warning("console_socket_refused", counsellor=session.counsellor_id)
        await websocket.close(code=REFUSED)
        return None
    return session, hello


class Sender:
    """Sends JSON frames one at a time: the follower and the frame handler share one socket."""

    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket
        self._lock = asyncio.Lock()

    async def __call__(self, frame: dict[str, Any]) -> None:
        """Send one frame."""
        async with self._lock:
            await self._websocket.send_json(frame)


async def run_until_closed(
    websocket: WebSocket,
    follow: Callable[[], Awaitable[None]],
    on_frame: Callable[[dict[str, Any]], Awaitable[None]],
) -> None:
    """Run the follower while reading frames; stop both when the browser leaves or the follower ends."""

    async def read() -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            try:
                frame = json.loads(text) if isinstance(text, str) and len(text) <= MAX_FRAME_CHARS else None
            except ValueError:
                frame = None
            if isinstance(frame, dict):
                await on_frame(frame)

    # An anyio task group, as Starlette itself uses: the server may cancel this handler at any moment
    # (the browser left), and the group cancels and awaits both parts cleanly.
    async with anyio.create_task_group() as group:

        async def until_done(part: Callable[[], Awaitable[None]]) -> None:
            try:
                await part()
            except (WebSocketDisconnect, WebSocketDisconnected):
                pass
            except Exception as error:  # Redis restarting, a bad entry: the page reconnects
                log.error("console_socket_failed", error=type(error).__name__)
            group.cancel_scope.cancel()

        group.start_soon(until_done, follow)
        group.start_soon(until_done, read)
    if websocket.application_state == WebSocketState.CONNECTED:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect, OSError):
            await websocket.close(code=1000)


class QueueLive:
    """WS /live: a fresh snapshot of my queue after every change in the queue, and every refresh period."""

    def __init__(self, console: Console) -> None:
        self._console = console

    async def serve(self, websocket: WebSocket) -> None:
        """Follow the queue's events for one counsellor until they leave."""
        admitted = await admit(self._console, websocket)
        if admitted is None:
            return
        session, _hello = admitted
        send = Sender(websocket)

        async def ignore(_frame: dict[str, Any]) -> None:
            return None

        await run_until_closed(websocket, lambda: self._follow(websocket, session, send), ignore)

    async def _follow(self, websocket: WebSocket, session: StaffSession, send: Sender) -> None:
        console = self._console
        redis, key = console.deps.redis, console.events_key
        latest = cast(list[Any], await redis.xrevrange(key, count=1))
        last = decoded(latest[0][0]) if latest else "0-0"
        block_ms = max(1, round(console.deps.live_refresh_s * 1000))
        words = console.words(websocket, session)
        while True:
            account = await console.account(session)
            if account is None or await console.sessions.get(session.token) is None:
                await websocket.close(code=NO_SESSION)
                return
            await console.presence.mark_online(session.seat_id)
            await send(await queue_snapshot(console.deps.queue, account, words))
            # Many changes at once (a busy minute) make one snapshot, not one each.
            found = cast(list[Any], await redis.xread({key: last}, count=500, block=block_ms))
            for _stream, entries in found:
                if entries:
                    last = decoded(entries[-1][0])


class ChatLive:
    """WS /chats/{id}/live: the chat's new messages as they come; `send` and `note` frames from the page."""

    def __init__(self, console: Console) -> None:
        self._console = console

    async def serve(self, websocket: WebSocket) -> None:
        """Follow one chat for its assignee (or a supervisor) until they leave or it is no longer theirs."""
        admitted = await admit(self._console, websocket)
        if admitted is None:
            return
        session, hello = admitted
        ticket_id = websocket.path_params["ticket_id"]
        ticket = await self._console.deps.queue.get(ticket_id)
        # An erased chat is followed once more, so that the page is told why it closed.
        erased = ticket is None and await self._console.deps.queue.was_erased(ticket_id)
        if not erased and (ticket is None or not may_read(ticket, session)):
            if ticket is not None:
                await self._audit_read(session, ticket_id, "live refused")
            await websocket.close(code=REFUSED)
            return
        if ticket is not None:  # every reading is audited: who, which chat, never its text
            await self._audit_read(session, ticket_id, "live")
        after = hello.get("after")
        start = after if isinstance(after, str) and _ENTRY_ID.fullmatch(after) else "0-0"
        send = Sender(websocket)
        gettext = self._console.words(websocket, session).gettext
        languages = (
            await chat_languages(self._console, websocket, session, ticket) if ticket is not None else None
        )

        async def on_frame(frame: dict[str, Any]) -> None:
            await self._act(session, ticket_id, frame, send, gettext)

        await run_until_closed(
            websocket,
            lambda: self._follow(websocket, session, ticket_id, start, send, languages),
            on_frame,
        )

    async def _follow(
        self,
        websocket: WebSocket,
        session: StaffSession,
        ticket_id: str,
        after: str,
        send: Sender,
        languages: Languages | None = None,
    ) -> None:
        console = self._console
        block_ms = max(1, round(console.deps.live_refresh_s * 1000))
        while True:
            ticket = await console.deps.queue.get(ticket_id)
            if await console.sessions.get(session.token) is None:
                await websocket.close(code=NO_SESSION)
                return
            if ticket is None or not may_read(ticket, session) or ticket.status != "claimed":
                status = ticket.status if ticket else "gone"
                if ticket is None and await console.deps.queue.was_erased(ticket_id):
                    status = "erased"
                await send({"type": "ended", "status": status})
                return
            await console.presence.mark_online(session.seat_id)
            for message in await console.deps.relay.follow(ticket_id, after, block_ms=block_ms):
                after = message.entry_id
                frame = {"sender": message.sender, "text": message.text, "at_ms": message.at_ms}
                if languages is not None and message.sender == "survivor":  # beside the original, marked
                    shown = await for_counsellor(console, ticket, message.text, languages)
                    frame.update(translation=shown.translation, untranslated=shown.untranslated)
                await send({"type": "message", "entry_id": message.entry_id, **frame})

    async def _audit_read(self, session: StaffSession, ticket_id: str, detail: str) -> None:
        """One "read" line in the audit trail: who read which chat, never its text."""
        handoffs = self._console.deps.handoffs
        await asyncio.to_thread(handoffs.audit, "read", session.counsellor_id, ticket_id, detail)

    async def _act(
        self,
        session: StaffSession,
        ticket_id: str,
        frame: dict[str, Any],
        send: Sender,
        gettext: Callable[[str], str],
    ) -> None:
        """A `send` (to the survivor; assignee only) or a `note` (assignee or supervisor) from the page; what
        went wrong is said in the staff member's language."""
        kind = frame.get("type")
        if kind not in ("send", "note"):
            await send({"type": "error", "message": gettext(UNKNOWN_ACTION)})
            return
        ticket = await self._console.deps.queue.get(ticket_id)
        allowed = ticket is not None and (
            holds(ticket, session) if kind == "send" else may_read(ticket, session) and is_open(ticket)
        )
        text = clean_text(frame.get("text"))
        if ticket is None or not allowed:
            await send({"type": "error", "message": gettext(NOT_HOLDING)})
        elif text is None:
            await send({"type": "error", "message": gettext(NOTHING_TO_SEND)})
        elif kind == "send":
            await send_as_counsellor(self._console.deps, ticket, session.counsellor_id, text)
        else:
            await keep_note(self._console.deps, ticket, session.counsellor_id, text)
            await send({"type": "note", "text": text})
