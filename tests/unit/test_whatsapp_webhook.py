"""Meta's webhook for WhatsApp: only a body signed with the app secret is read, and only what the helpline
needs is taken from it (who wrote, the message's id, its type and its text or button)."""

from __future__ import annotations

import json

import pytest

from bot.channels.whatsapp_webhook import UnreadableNotification, parse_notification, signature_valid
from tests.fakes.whatsapp_api import FakeWhatsAppAPI, sign

SECRET = "app-secret"
NUMBER_ID = "106540352242922"
WA_ID = "34600111222"


def notification(message: dict[str, object], number_id: str = NUMBER_ID) -> bytes:
    fake = FakeWhatsAppAPI(phone_number_id=number_id)
    return json.dumps(fake.notification(WA_ID, "Ana", message)).encode()


def test_a_body_signed_with_the_app_secret_is_valid() -> None:
    body = b'{"object":"whatsapp_business_account"}'
    assert signature_valid(body, sign(body, SECRET), SECRET.encode())


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "sha1=" + "0" * 40,
        sign(b"another body", SECRET),
        sign(b'{"object":"whatsapp_business_account"}', "another secret"),
        sign(b'{"object":"whatsapp_business_account"}', SECRET).removeprefix("sha256="),
    ],
)
def test_a_forged_or_missing_signature_is_refused(header: str | None) -> None:
    assert not signature_valid(b'{"object":"whatsapp_business_account"}', header, SECRET.encode())


def test_a_text_message_gives_its_sender_id_type_and_text() -> None:
    parsed = parse_notification(
        notification({"type": "text", "text": {"body": "necesito un refugio"}}), NUMBER_ID
    )
    (message,) = parsed.messages
    assert (message.wa_id, message.kind, message.text) == (WA_ID, "text", "necesito un refugio")
    assert message.wamid.startswith("wamid.")


@pytest.mark.parametrize(
    ("interactive", "payload"),
    [
        (
            {"type": "button_reply", "button_reply": {"id": "/ask_shelter", "title": "Shelter"}},
            "/ask_shelter",
        ),
        ({"type": "list_reply", "list_reply": {"id": "/country_ES", "title": "España"}}, "/country_ES"),
    ],
)
def test_a_button_or_list_row_gives_its_id(interactive: dict[str, object], payload: str) -> None:
    parsed = parse_notification(notification({"type": "interactive", "interactive": interactive}), NUMBER_ID)
    assert [(m.kind, m.text) for m in parsed.messages] == [("interactive", payload)]


def test_media_and_locations_carry_no_text_and_nothing_of_them_is_read() -> None:
    location = {"type": "location", "location": {"latitude": 40.4, "longitude": -3.7, "address": "Calle 1"}}
    parsed = parse_notification(notification(location), NUMBER_ID)
    assert [(m.kind, m.text) for m in parsed.messages] == [("location", "")]
    assert "40.4" not in repr(parsed) and "Calle" not in repr(parsed)


def test_the_profile_name_is_never_read() -> None:
    parsed = parse_notification(notification({"type": "text", "text": {"body": "hola"}}), NUMBER_ID)
    assert "Ana" not in repr(parsed)


def test_messages_for_another_business_number_are_ignored() -> None:
    body = notification({"type": "text", "text": {"body": "hola"}}, number_id="999")
    assert parse_notification(body, NUMBER_ID).messages == ()


def test_statuses_give_their_kind_and_error_codes() -> None:
    body = json.dumps(
        FakeWhatsAppAPI(phone_number_id=NUMBER_ID)._envelope(
            {
                "statuses": [
                    {"id": "wamid.X", "status": "failed", "recipient_id": WA_ID, "errors": [{"code": 131047}]}
                ]
            }
        )
    ).encode()
    (status,) = parse_notification(body, NUMBER_ID).statuses
    assert (status.status, status.error_codes) == ("failed", (131047,))


@pytest.mark.parametrize("body", [b"[]", b'{"object": "page"}', b'{"object": "instagram", "entry": []}'])
def test_a_body_that_is_not_a_whatsapp_notification_is_unreadable(body: bytes) -> None:
    with pytest.raises(UnreadableNotification):
        parse_notification(body, NUMBER_ID)


def test_odd_shapes_inside_a_notification_are_skipped() -> None:
    body = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [None, {"changes": "x"}, {"changes": [{"field": "messages"}]}],
        }
    ).encode()
    assert parse_notification(body, NUMBER_ID).messages == ()
