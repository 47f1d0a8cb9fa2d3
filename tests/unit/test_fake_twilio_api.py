"""The fake Twilio Messages API answers as Twilio does: its resource, its errors, its basic auth, STOP."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.fakes.twilio_api import FakeTwilioAPI


@pytest.fixture
def twilio() -> Iterator[FakeTwilioAPI]:
    with FakeTwilioAPI(webhook_url="https://helpline.example.org/sms") as api:
        yield api


def send(twilio: FakeTwilioAPI, to: str, body: str, token: str | None = None) -> httpx.Response:
    url = f"{twilio.base_url}/2010-04-01/Accounts/{twilio.account_sid}/Messages.json"
    auth = (twilio.account_sid, token or twilio.auth_token)
    return httpx.post(url, data={"To": to, "From": twilio.number, "Body": body}, auth=auth)


def test_a_message_is_queued_with_an_sm_sid(twilio: FakeTwilioAPI) -> None:
    answer = send(twilio, "+40712345678", "Hello")
    assert answer.status_code == 201
    resource = answer.json()
    assert re.fullmatch(r"SM[0-9a-f]{32}", resource["sid"])
    assert (resource["status"], resource["to"], resource["num_segments"]) == ("queued", "+40712345678", "1")
    assert [message.body for message in twilio.messages_to("+40712345678")] == ["Hello"]


def test_errors_are_twilios_json(twilio: FakeTwilioAPI) -> None:
    wrong_token = send(twilio, "+40712345678", "Hello", token="wrong")
    assert wrong_token.status_code == 401 and wrong_token.json()["code"] == 20003
    invalid = send(twilio, "0712", "Hello")
    assert invalid.status_code == 400
    assert set(invalid.json()) == {"code", "message", "more_info", "status"}
    assert invalid.json()["code"] == 21211
    assert send(twilio, "+40712345678", "x" * 1601).json()["code"] == 21617
    twilio.fail_next(429, 20429, "Too Many Requests")
    assert send(twilio, "+40712345678", "Hello").status_code == 429


def test_after_stop_nothing_reaches_the_person_until_start(twilio: FakeTwilioAPI) -> None:
    twilio.webhook_target = f"{twilio.base_url}/nowhere"  # the webhook's answer does not matter here
    twilio.send_sms("+40712345678", "STOP")
    answer = send(twilio, "+40712345678", "Hello")
    assert (answer.status_code, answer.json()["code"]) == (400, 21610)
    twilio.send_sms("+40712345678", "START")
    assert send(twilio, "+40712345678", "Hello").status_code == 201
