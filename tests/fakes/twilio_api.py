"""A fake Twilio Messages API on loopback that speaks Twilio's real HTTP formats, and a phone that texts.

The helpline's web app is pointed here with `TWILIO_API_BASE_URL`. Tests play the person (`send_sms`,
`send_mms`), as Twilio would deliver their texts: a form POST to the webhook, signed exactly as Twilio signs
it (`X-Twilio-Signature`: base64 HMAC-SHA1 with the auth token of the public URL and the sorted
parameters), and observe what the helpline sent (`messages_to`, `wait_for_messages`).

What is real: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` with basic auth (the account SID and
auth token), form `To`, `From`, `Body`, `StatusCallback`; 201 with the message resource (`sid` "SM" and 32
hex digits, `status` "queued", `num_segments`); errors as Twilio's JSON `{code, message, more_info,
status}`: 20003 (authentication), 21602 (no body), 21604 (no To), 21617 (body over 1600 characters), 21211
(invalid To), 21610 (the person texted STOP: nothing reaches them until START), 20429 (too many requests);
STOP/START keywords handled at the "carrier" as Twilio's Advanced Opt-Out does, and still passed to the
webhook. The signature is computed here on its own, not with the helpline's code, so a mistake on either
side shows.

Deviations, on purpose: no real sending, `num_segments` counted roughly (GSM-7 or not), status callbacks
are posted only when a test asks (`report_status`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import phonenumbers
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.loopback import LoopbackServer

JSON = dict[str, Any]
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-twilio-auth-token-0123456789"
HELPLINE_NUMBER = "+15005550006"  # Twilio's magic test number that always sends
MAX_BODY = 1600
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN = frozenset({"START", "YES", "UNSTOP"})
GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà\f^{}\\[~]|€"
)


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """X-Twilio-Signature of a POST of `params` to `url`, as Twilio computes it."""
    data = url
    for name in sorted(params):
        data += name + params[name]
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


@dataclass
class SentMessage:
    """A message the helpline sent through the Messages API."""

    sid: str
    to: str
    from_: str
    body: str
    status_callback: str | None
    status: str = "queued"


@dataclass
class _Failure:
    status: int
    code: int
    message: str


@dataclass
class FakeTwilioAPI:
    """The Messages API for one account, in a background thread; thread-safe to drive from tests."""

    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    number: str = HELPLINE_NUMBER
    port: int = 0
    # Where Twilio posts incoming SMS (the helpline's /sms), and the public URL it signs.
    webhook_target: str | None = None
    webhook_url: str | None = None
    _cond: threading.Condition = field(default_factory=lambda: threading.Condition(threading.RLock()))
    _sent: list[SentMessage] = field(default_factory=list)
    _opted_out: set[str] = field(default_factory=set)
    _invalid: set[str] = field(default_factory=set)
    _failures: deque[_Failure] = field(default_factory=deque)
    _refused: list[JSON] = field(default_factory=list)
    _loopback: LoopbackServer | None = None

    # ----- lifecycle -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What to give TWILIO_API_BASE_URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Serve on a free loopback port in a background thread; return once it accepts connections."""
        app = Starlette(
            routes=[Route("/2010-04-01/Accounts/{account}/Messages.json", self._messages, methods=["POST"])]
        )
        self._loopback = LoopbackServer(app, "fake-twilio-api")
        self.port = self._loopback.start()

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        if self._loopback is not None:
            self._loopback.stop()
        self._loopback = None

    def __enter__(self) -> FakeTwilioAPI:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # ----- what a person does ----------------------------------------------------------------------

    def inbound_params(self, phone: str, body: str, num_media: int = 0) -> dict[str, str]:
        """The form parameters of an incoming SMS (or MMS) as Twilio posts them to the webhook."""
        sid = "SM" + secrets.token_hex(16)
        params = {
            "ToCountry": "US",
            "ToState": "CA",
            "SmsMessageSid": sid,
            "NumMedia": str(num_media),
            "ToCity": "",
            "FromZip": "",
            "SmsSid": sid,
            "FromState": "",
            "SmsStatus": "received",
            "FromCity": "",
            "Body": body,
            "FromCountry": _country_of(phone),
            "To": self.number,
            "ToZip": "",
            "NumSegments": "1",
            "MessageSid": sid,
            "AccountSid": self.account_sid,
            "From": phone,
            "ApiVersion": "2010-04-01",
        }
        for index in range(num_media):
            media_sid = "ME" + secrets.token_hex(16)
            params[f"MediaContentType{index}"] = "image/jpeg"
            params[f"MediaUrl{index}"] = (
                f"https://api.twilio.com/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}/Media/{media_sid}"
            )
        return params

    def send_sms(self, phone: str, body: str, **fields: str) -> httpx.Response:
        """The person at `phone` texts `body`: the carrier handles STOP/START, Twilio posts the webhook
        (`fields` set others Twilio sends, such as FromCity or FromZip)."""
        word = body.strip().upper()
        with self._cond:
            if word in OPT_OUT:
                self._opted_out.add(phone)
            elif word in OPT_IN:
                self._opted_out.discard(phone)
        return self.post_webhook(self.inbound_params(phone, body) | fields)

    def send_mms(self, phone: str, body: str = "", pictures: int = 1) -> httpx.Response:
        """The person sends a picture (its media URL is in the webhook; nobody should fetch it)."""
        return self.post_webhook(self.inbound_params(phone, body, num_media=pictures))

    def post_webhook(
        self, params: dict[str, str], signature: str | None = None, raw: bytes | None = None
    ) -> httpx.Response:
        """POST form `params` to the webhook, signed as Twilio signs them unless `signature` is given."""
        if self.webhook_target is None or self.webhook_url is None:
            raise RuntimeError("set webhook_target and webhook_url first")
        signed = signature if signature is not None else self.sign(params)
        headers = {
            "X-Twilio-Signature": signed,
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "TwilioProxy/1.1",
            "I-Twilio-Idempotency-Token": secrets.token_hex(16),
        }
        return httpx.post(
            self.webhook_target, content=raw if raw is not None else urlencode(params), headers=headers
        )

    def sign(self, params: dict[str, str], url: str | None = None) -> str:
        """The signature Twilio would send for these parameters posted to the public webhook URL."""
        return twilio_signature(self.auth_token, url or self.webhook_url or "", params)

    def report_status(self, sid: str, status: str, error_code: int | None = None) -> httpx.Response:
        """Twilio's status callback for a message the helpline sent (to its StatusCallback URL)."""
        with self._cond:
            message = next(sent for sent in self._sent if sent.sid == sid)
            message.status = status
        params = {
            "SmsSid": sid,
            "SmsStatus": status,
            "MessageStatus": status,
            "To": message.to,
            "MessageSid": sid,
            "AccountSid": self.account_sid,
            "From": message.from_,
            "ApiVersion": "2010-04-01",
        }
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        assert message.status_callback, "the message was sent without a StatusCallback"
        return self.post_webhook(params, self.sign(params, message.status_callback))

    # ----- what the test arranges and observes -----------------------------------------------------

    def invalid_number(self, phone: str) -> None:
        """Messages to `phone` fail with 21211 (not a valid phone number)."""
        with self._cond:
            self._invalid.add(phone)

    def carrier_opt_out(self, phone: str) -> None:
        """The carrier blocks messages to `phone` (its STOP never reached the webhook)."""
        with self._cond:
            self._opted_out.add(phone)

    def fail_next(self, status: int = 503, code: int = 20500, message: str = "Service Unavailable") -> None:
        """The next Messages API call fails so (429/20429: too many requests; 5xx: Twilio down)."""
        with self._cond:
            self._failures.append(_Failure(status, code, message))

    def opted_out(self, phone: str) -> bool:
        """Whether the carrier blocks messages to `phone` (it texted STOP)."""
        with self._cond:
            return phone in self._opted_out

    def messages_to(self, phone: str) -> list[SentMessage]:
        """What the helpline sent to `phone`, in order."""
        with self._cond:
            return [message for message in self._sent if message.to == phone]

    def all_messages(self) -> list[SentMessage]:
        """Everything the helpline sent."""
        with self._cond:
            return list(self._sent)

    def refused(self) -> list[JSON]:
        """The errors the API answered with, in order."""
        with self._cond:
            return list(self._refused)

    def wait_for_messages(self, phone: str, count: int, timeout: float = 30.0) -> list[SentMessage]:
        """Wait until the helpline has sent at least `count` messages to `phone`; return them all."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(found := self.messages_to(phone)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    bodies = [message.body[:60] for message in found]
                    raise AssertionError(f"{len(found)} of {count} messages to the phone: {bodies}")
                self._cond.wait(left)
            return found

    def wait_for_refusals(self, count: int, timeout: float = 30.0) -> list[JSON]:
        """Wait until the API has answered at least `count` errors; return them all."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._refused) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self._refused)} of {count} errors: {self._refused}")
                self._cond.wait(left)
            return list(self._refused)

    # ----- the API ---------------------------------------------------------------------------------

    async def _messages(self, request: Request) -> Response:
        account = request.path_params["account"]
        if not self._authorised(request.headers.get("authorization", ""), account):
            return self._error(401, 20003, "Authenticate")
        form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        to, body = form.get("To", ""), form.get("Body", "")
        with self._cond:
            if self._failures:
                failure = self._failures.popleft()
                return self._error(failure.status, failure.code, failure.message)
            if not to:
                return self._error(400, 21604, "A 'To' phone number is required.")
            if not body:
                return self._error(400, 21602, "Message body is required.")
            if len(body) > MAX_BODY:
                return self._error(
                    400, 21617, "The concatenated message body exceeds the 1600 character limit."
                )
            if not E164.match(to) or to in self._invalid:
                return self._error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
            if to in self._opted_out:
                return self._error(400, 21610, "Attempt to send to unsubscribed recipient")
            message = SentMessage(
                "SM" + secrets.token_hex(16), to, form.get("From", ""), body, form.get("StatusCallback")
            )
            self._sent.append(message)
            self._cond.notify_all()
        return JSONResponse(self._resource(message), status_code=201)

    def _authorised(self, header: str, account: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return False
        return account == self.account_sid and user == self.account_sid and password == self.auth_token

    def _error(self, status: int, code: int, message: str) -> JSONResponse:
        body = {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        with self._cond:
            self._refused.append(body)
            self._cond.notify_all()
        return JSONResponse(body, status_code=status)

    def _resource(self, message: SentMessage) -> JSON:
        now = format_datetime(datetime.now(timezone.utc), usegmt=True).replace("GMT", "+0000")
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{message.sid}"
        gsm = all(char in GSM7 for char in message.body)
        single, part = (160, 153) if gsm else (70, 67)
        segments = 1 if len(message.body) <= single else -(-len(message.body) // part)
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": message.body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": message.from_,
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": str(segments),
            "price": None,
            "price_unit": "USD",
            "sid": message.sid,
            "status": "queued",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": message.to,
            "uri": f"{uri}.json",
        }


def _country_of(phone: str) -> str:
    """The country of a number, as Twilio names it in `FromCountry` (a short code's country unknown: "")."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(phone, None)) or ""
    except phonenumbers.NumberParseException:
        return ""
