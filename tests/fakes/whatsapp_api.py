"""A fake WhatsApp Cloud API (Meta's Graph API) on loopback, and a person writing through Meta's webhook.

Meta's servers cannot be reached from tests, so the helpline's `WHATSAPP_API_BASE_URL` points here. The
fake answers `POST /{version}/{phone-number-id}/messages` as the Cloud API does: a Bearer token (190 when
wrong), the request checked against WhatsApp's limits (3 reply buttons of at most 20 characters, 10 list
rows of at most 24, unique ids, body lengths), free-form messages refused with 131047 once 24 hours have
passed since the person's last message (only an approved template may go then), and the real JSON shapes
of success (`wamid.` ids) and errors. Each accepted message gets `sent` and `delivered` status
notifications on the webhook, signed as Meta signs them.

Tests act as people (`write`, `press`, `send_image`, `send_location`) and observe what the helpline sent
(`messages_to`, `wait_for_messages`, `texts`). `age_window` makes a person's last message older, so the
24-hour rule is tested without waiting a day.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

JSON = dict[str, Any]
VERSION = "v21.0"
WINDOW_S = 24 * 3600
WABA_ID = "102290129340398"
DISPLAY_NUMBER = "15550783881"


def sign(body: bytes, app_secret: str) -> str:
    """The `X-Hub-Signature-256` header Meta sends with a webhook POST of `body`."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def graph_error(code: int, message: str, kind: str = "OAuthException", details: str | None = None) -> JSON:
    """The Graph API's error body."""
    error: JSON = {"message": message, "type": kind, "code": code, "fbtrace_id": _trace_id()}
    if details is not None:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return {"error": error}


def _trace_id() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")


def new_wamid(wa_id: str) -> str:
    """A message id shaped like Meta's: base64 that carries the person's number (so it must never be kept)."""
    raw = b"\x18\x0b" + wa_id.encode() + b"\x15\x02\x00\x12\x18\x14" + secrets.token_hex(10).upper().encode()
    return "wamid." + base64.b64encode(raw).decode()


class GraphRefusal(Exception):
    """A request the Cloud API refuses: HTTP status and error body."""

    def __init__(self, status: int, body: JSON) -> None:
        super().__init__(body["error"]["message"])
        self.status = status
        self.body = body


@dataclass
class _Person:
    last_message_at: float = 0.0
    received: list[JSON] = field(default_factory=list)


class FakeWhatsAppAPI:
    """The Cloud API of one business number, in a background thread; thread-safe to drive from tests."""

    def __init__(
        self,
        token: str = "EAAG-test-token",
        phone_number_id: str = "106540352242922",
        app_secret: str = "test-app-secret",
        templates: tuple[tuple[str, str], ...] = (("helpline_reengage", "en"), ("helpline_reengage", "es")),
        statuses: bool = True,
    ) -> None:
        self.token = token
        self.phone_number_id = phone_number_id
        self.app_secret = app_secret
        self.templates = set(templates)
        self.statuses = statuses
        self.webhook_url: str | None = None  # the helpline's /whatsapp, set by the test
        self.port = 0
        self._cond = threading.Condition(threading.RLock())
        self._people: dict[str, _Person] = {}
        self._refused: list[tuple[int, JSON]] = []
        self._failures: list[tuple[int, JSON]] = []
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._notify: asyncio.Queue[bytes] | None = None

    # ----- lifecycle -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What to give `WHATSAPP_API_BASE_URL`."""
        return f"http://127.0.0.1:{self.port}/{VERSION}"

    def start(self) -> None:
        """Serve on a free loopback port in a background thread; return once it accepts connections."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        self.port = listener.getsockname()[1]
        app = Starlette(routes=[Route("/{version}/{number_id}/messages", self._messages, methods=["POST"])])
        config = uvicorn.Config(app, log_config=None, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._serve(listener)), name="fake-whatsapp-api", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake WhatsApp API did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
        self._thread = self._server = None

    def __enter__(self) -> FakeWhatsAppAPI:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    async def _serve(self, listener: socket.socket) -> None:
        assert self._server is not None
        self._loop = asyncio.get_running_loop()
        self._notify = asyncio.Queue()
        worker = asyncio.create_task(self._status_worker())
        try:
            await self._server.serve(sockets=[listener])
        finally:
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
            listener.close()

    # ----- what a person does (through Meta's webhook) ---------------------------------------------

    def write(self, wa_id: str, text: str, name: str = "Test Person") -> httpx.Response:
        """The person sends a text message."""
        return self._from_person(wa_id, name, {"type": "text", "text": {"body": text}})

    def press(self, wa_id: str, reply_id: str, title: str = "", name: str = "Test Person") -> httpx.Response:
        """The person taps a reply button (or, with `list_reply=True` shapes, a list row) of the helpline."""
        interactive = {"type": "button_reply", "button_reply": {"id": reply_id, "title": title or reply_id}}
        return self._from_person(wa_id, name, {"type": "interactive", "interactive": interactive})

    def choose_row(
        self, wa_id: str, row_id: str, title: str = "", name: str = "Test Person"
    ) -> httpx.Response:
        """The person picks a row of a list message."""
        interactive = {"type": "list_reply", "list_reply": {"id": row_id, "title": title or row_id}}
        return self._from_person(wa_id, name, {"type": "interactive", "interactive": interactive})

    def send_image(self, wa_id: str, name: str = "Test Person") -> httpx.Response:
        """The person sends a photo (Meta keeps it; the webhook carries only its media id)."""
        image = {"mime_type": "image/jpeg", "sha256": secrets.token_hex(32), "id": str(secrets.randbits(50))}
        return self._from_person(wa_id, name, {"type": "image", "image": image})

    def send_location(self, wa_id: str, name: str = "Test Person") -> httpx.Response:
        """The person shares where they are."""
        location = {"latitude": 52.5200, "longitude": 13.4050, "name": "Somewhere", "address": "A street 1"}
        return self._from_person(wa_id, name, {"type": "location", "location": location})

    def send_contact(
        self, wa_id: str, phone: str, contact_name: str, name: str = "Test Person"
    ) -> httpx.Response:
        """The person shares a contact card (a name and a phone number)."""
        card = {"name": {"formatted_name": contact_name}, "phones": [{"phone": phone, "type": "CELL"}]}
        return self._from_person(wa_id, name, {"type": "contacts", "contacts": [card]})

    def post_signed(self, body: bytes, signature: str | None = None) -> httpx.Response:
        """POST `body` to the webhook, signed with the app secret unless `signature` is given."""
        assert self.webhook_url, "set webhook_url to the helpline's /whatsapp first"
        header = sign(body, self.app_secret) if signature is None else signature
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": header}
        return httpx.post(self.webhook_url, content=body, headers=headers, timeout=30)

    def notification(self, wa_id: str, name: str, message: JSON) -> JSON:
        """A `messages` notification as Meta sends it, for one message of one person."""
        stamp = str(int(time.time()))
        return self._envelope(
            {
                "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                "messages": [{"from": wa_id, "id": new_wamid(wa_id), "timestamp": stamp, **message}],
            }
        )

    def age_window(self, wa_id: str, hours: float) -> None:
        """Make the person's last message `hours` older (25 closes WhatsApp's 24-hour window)."""
        with self._cond:
            self._people.setdefault(wa_id, _Person()).last_message_at -= hours * 3600

    def fail_next(self, status: int, code: int, message: str) -> None:
        """Answer the next send with this error (429 rate limits, 500s…)."""
        with self._cond:
            self._failures.append((status, graph_error(code, message)))

    def _from_person(self, wa_id: str, name: str, message: JSON) -> httpx.Response:
        with self._cond:
            self._people.setdefault(wa_id, _Person()).last_message_at = time.time()
        return self.post_signed(json.dumps(self.notification(wa_id, name, message)).encode())

    def _envelope(self, value: JSON) -> JSON:
        metadata = {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": self.phone_number_id}
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": WABA_ID,
                    "changes": [
                        {
                            "value": {"messaging_product": "whatsapp", "metadata": metadata, **value},
                            "field": "messages",
                        }
                    ],
                }
            ],
        }

    # ----- what the helpline did -------------------------------------------------------------------

    def messages_to(self, wa_id: str) -> list[JSON]:
        """Every message the helpline sent to the person (request bodies, accepted ones only)."""
        with self._cond:
            return list(self._people.get(wa_id, _Person()).received)

    def refused(self) -> list[tuple[int, JSON]]:
        """Every request answered with an error: (HTTP status, error body)."""
        with self._cond:
            return list(self._refused)

    def wait_for_messages(self, wa_id: str, count: int, timeout: float = 60.0) -> list[JSON]:
        """Block until the helpline has sent the person at least `count` messages; return them all."""
        with self._cond:
            done = self._cond.wait_for(lambda: len(self.messages_to(wa_id)) >= count, timeout=timeout)
            seen = self.messages_to(wa_id)
        if not done:
            raise AssertionError(
                f"expected {count} message(s) within {timeout} s, saw {len(seen)}: {texts(seen)}; "
                f"refused: {self.refused()}"
            )
        return seen

    # ----- the Cloud API ---------------------------------------------------------------------------

    async def _messages(self, request: Request) -> JSONResponse:
        try:
            body = self._checked(request, await request.body())
            with self._cond:
                if self._failures:
                    status, error = self._failures.pop(0)
                    raise GraphRefusal(status, error)
                wa_id = str(body["to"])
                self._check_window(wa_id, body)
                wamid = new_wamid(wa_id)
                self._people.setdefault(wa_id, _Person()).received.append(body)
                self._cond.notify_all()
        except GraphRefusal as refusal:
            with self._cond:
                self._refused.append((refusal.status, refusal.body))
            return JSONResponse(refusal.body, status_code=refusal.status)
        if self.statuses and self._notify is not None:
            for status in ("sent", "delivered"):
                self._notify.put_nowait(json.dumps(self._status(wa_id, wamid, status)).encode())
        sent: JSON = {"id": wamid}
        if body["type"] == "template":
            sent["message_status"] = "accepted"
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": wa_id, "wa_id": wa_id}],
                "messages": [sent],
            }
        )

    def _checked(self, request: Request, raw: bytes) -> JSON:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            raise GraphRefusal(
                401, graph_error(190, "Invalid OAuth access token - Cannot parse access token")
            )
        if request.path_params["number_id"] != self.phone_number_id:
            number_id = request.path_params["number_id"]
            message = (
                f"Unsupported post request. Object with ID '{number_id}' does not exist, "
                "cannot be loaded due to missing permissions, or does not support this operation."
            )
            raise GraphRefusal(400, graph_error(100, message, "GraphMethodException"))
        try:
            body: Any = json.loads(raw)
        except ValueError:
            raise GraphRefusal(400, graph_error(100, "Invalid parameter")) from None
        if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp" or not body.get("to"):
            raise GraphRefusal(400, graph_error(100, "(#100) The parameter messaging_product is required."))
        problem = message_problem(body)
        if problem is not None:
            raise GraphRefusal(
                400, graph_error(131009, "(#131009) Parameter value is not valid", details=problem)
            )
        if body["type"] == "template":
            template = body["template"]
            if (template.get("name"), template.get("language", {}).get("code")) not in self.templates:
                message = "(#132001) Template name does not exist in the translation"
                raise GraphRefusal(404, graph_error(132001, message, details="template name and language"))
        return body

    def _check_window(self, wa_id: str, body: JSON) -> None:
        if body["type"] == "template":
            return
        last = self._people.get(wa_id, _Person()).last_message_at
        if time.time() - last > WINDOW_S:
            details = (
                "Message failed to send because more than 24 hours have passed since the customer last "
                "replied to this number."
            )
            raise GraphRefusal(400, graph_error(131047, "(#131047) Re-engagement message", details=details))

    def _status(self, wa_id: str, wamid: str, status: str) -> JSON:
        item: JSON = {
            "id": wamid,
            "status": status,
            "timestamp": str(int(time.time())),
            "recipient_id": wa_id,
        }
        if status == "sent":
            item["conversation"] = {"id": secrets.token_hex(16), "origin": {"type": "service"}}
            item["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "service"}
        return self._envelope({"statuses": [item]})

    async def _status_worker(self) -> None:
        assert self._notify is not None
        async with httpx.AsyncClient(timeout=30) as client:
            while True:
                body = await self._notify.get()
                if not self.webhook_url:
                    continue
                headers = {
                    "Content-Type": "application/json",
                    "X-Hub-Signature-256": sign(body, self.app_secret),
                }
                with contextlib.suppress(httpx.HTTPError):  # Meta would retry; statuses are informational
                    await client.post(self.webhook_url, content=body, headers=headers)


def message_problem(body: JSON) -> str | None:
    """What the Cloud API would refuse in a message body, or None."""
    kind = body.get("type")
    if kind == "text":
        text = body.get("text", {}).get("body", "")
        return None if 0 < len(text) <= 4096 else "text.body must have 1 to 4096 characters"
    if kind == "template":
        return None if body.get("template", {}).get("name") else "template.name is required"
    if kind != "interactive":
        return f"unsupported message type {kind!r}"
    interactive = body.get("interactive", {})
    text = interactive.get("body", {}).get("text", "")
    action = interactive.get("action", {})
    if interactive.get("type") == "button":
        buttons = action.get("buttons", [])
        titles = [button.get("reply", {}).get("title", "") for button in buttons]
        ids = [button.get("reply", {}).get("id", "") for button in buttons]
        if not 0 < len(text) <= 1024:
            return "interactive.body.text must have 1 to 1024 characters"
        if not 1 <= len(buttons) <= 3:
            return "a button message has 1 to 3 buttons"
        if any(not 0 < len(title) <= 20 for title in titles):
            return "a button title has 1 to 20 characters"
        return (
            None
            if len(set(ids)) == len(ids) and all(0 < len(i) <= 256 for i in ids)
            else "button ids must be unique"
        )
    if interactive.get("type") == "list":
        rows = [row for section in action.get("sections", []) for row in section.get("rows", [])]
        if not 0 < len(text) <= 4096:
            return "interactive.body.text must have 1 to 4096 characters"
        if not 0 < len(action.get("button", "")) <= 20:
            return "action.button must have 1 to 20 characters"
        if not 1 <= len(rows) <= 10:
            return "a list has 1 to 10 rows"
        if any(not 0 < len(row.get("title", "")) <= 24 for row in rows):
            return "a row title has 1 to 24 characters"
        ids = [row.get("id", "") for row in rows]
        return None if len(set(ids)) == len(ids) else "row ids must be unique"
    return f"unsupported interactive type {interactive.get('type')!r}"


def texts(messages: list[JSON]) -> list[str]:
    """What a person reads of each message: the text, or an interactive's body and its options, or
    `template:<name>`."""
    read = []
    for message in messages:
        if message["type"] == "text":
            read.append(message["text"]["body"])
        elif message["type"] == "template":
            read.append(f"template:{message['template']['name']}")
        else:
            interactive = message["interactive"]
            options = [b["reply"]["title"] for b in interactive["action"].get("buttons", [])] + [
                row["title"] for s in interactive["action"].get("sections", []) for row in s["rows"]
            ]
            read.append(interactive["body"]["text"] + "\n" + "\n".join(f"[{option}]" for option in options))
    return read


def numbered(message: JSON) -> dict[str, str]:
    """Numbered options in a text message ("2. 🇪🇸 España"): title → the number to answer with."""
    if message["type"] != "text":
        return {}
    found = {}
    for line in message["text"]["body"].splitlines():
        number, dot, title = line.partition(". ")
        if dot and number.isdigit():
            found[title] = number
    return found


def options(message: JSON) -> dict[str, str]:
    """An interactive message's buttons or rows: title → id."""
    if message["type"] != "interactive":
        return {}
    action = message["interactive"]["action"]
    found = {b["reply"]["title"]: b["reply"]["id"] for b in action.get("buttons", [])}
    found.update({row["title"]: row["id"] for s in action.get("sections", []) for row in s["rows"]})
    return found
