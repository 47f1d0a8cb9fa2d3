"""Meta's webhook notifications for WhatsApp: the signature check, and what a signed body carries.

Only what the adapter needs is read: each message's sender id, its id (wamid), its type and its text or
button payload; each status's kind and error codes. Nothing else of a notification (the person's profile
name, media ids, locations) is ever kept, not even in memory beyond the request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

SIGNATURE_HEADER = "x-hub-signature-256"


def signature_valid(body: bytes, header: str | None, app_secret: bytes) -> bool:
    """True when `header` is Meta's `sha256=<hex>` HMAC of exactly `body` with the app secret."""
    if not header or not header.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(app_secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode())


@dataclass(frozen=True)
class Inbound:
    """One message of a notification, as the adapter needs it; `wa_id` never leaves memory."""

    wa_id: str
    wamid: str
    kind: str  # text, interactive, button, image, location, …
    text: str  # what was typed, or the payload of the button pressed ("" for media)


@dataclass(frozen=True)
class Status:
    """A delivery status of one of the helpline's messages."""

    status: str  # sent, delivered, read, failed
    wa_id: str
    error_codes: tuple[int, ...]


@dataclass(frozen=True)
class Notification:
    """What one webhook POST carried for the helpline's number."""

    messages: tuple[Inbound, ...]
    statuses: tuple[Status, ...]


class UnreadableNotification(ValueError):
    """A signed body that is not a notification Meta could have sent."""


def parse_notification(body: bytes, phone_number_id: str) -> Notification:
    """The messages and statuses a (signed) body carries for `phone_number_id`; others are ignored."""
    data: Any = json.loads(body)
    if not isinstance(data, dict) or data.get("object") != "whatsapp_business_account":
        raise UnreadableNotification("not a WhatsApp notification")
    messages: list[Inbound] = []
    statuses: list[Status] = []
    for entry in _list(data.get("entry")):
        for change in _list(_dict(entry).get("changes")):
            change = _dict(change)
            value = _dict(change.get("value"))
            if change.get("field") != "messages":
                continue
            if str(_dict(value.get("metadata")).get("phone_number_id", "")) != phone_number_id:
                continue
            messages += [inbound for item in _list(value.get("messages")) if (inbound := _inbound(item))]
            statuses += [status for item in _list(value.get("statuses")) if (status := _status(item))]
    return Notification(tuple(messages), tuple(statuses))


def _inbound(item: Any) -> Inbound | None:
    item = _dict(item)
    wa_id, wamid, kind = str(item.get("from", "")), str(item.get("id", "")), str(item.get("type", ""))
    if not wa_id or not wamid or not kind:
        return None
    text = ""
    if kind == "text":
        text = str(_dict(item.get("text")).get("body", ""))
    elif kind == "interactive":
        interactive = _dict(item.get("interactive"))
        chosen = _dict(interactive.get("button_reply") or interactive.get("list_reply"))
        text = str(chosen.get("id", ""))
    elif kind == "button":  # a template's quick-reply button
        text = str(_dict(item.get("button")).get("payload", ""))
    return Inbound(wa_id, wamid, kind, text)


def _status(item: Any) -> Status | None:
    item = _dict(item)
    status = str(item.get("status", ""))
    if not status:
        return None
    codes = tuple(
        int(error["code"])
        for error in map(_dict, _list(item.get("errors")))
        if isinstance(error.get("code"), int)
    )
    return Status(status, str(item.get("recipient_id", "")), codes)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
