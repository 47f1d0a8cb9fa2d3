"""Replies as WhatsApp shows them: up to 3 short choices as reply buttons, up to 10 as a list, more (or
longer titles) as numbered options the person answers with the number; every message within the limits the
Cloud API enforces (checked by the fake API's own validator)."""

from __future__ import annotations

import pytest

from bot.channels.whatsapp_render import ChoiceWords, render, split_text
from bot.messages import Button, Reply
from tests.fakes.whatsapp_api import message_problem

WORDS = ChoiceWords("Opciones", "Responde con el número de tu elección.")


def buttons(count: int, title: str = "Option") -> tuple[Button, ...]:
    return tuple(Button(f"{title} {index}", f"/choice_{index}") for index in range(1, count + 1))


def test_a_reply_without_buttons_is_one_text_message() -> None:
    rendered = render(Reply("Hola."), WORDS)
    assert rendered.messages == [{"type": "text", "text": {"body": "Hola.", "preview_url": False}}]
    assert rendered.choices == ()


def test_up_to_three_short_choices_are_reply_buttons() -> None:
    (message,) = render(Reply("¿Qué necesitas?", buttons(3)), WORDS).messages
    assert message["interactive"]["type"] == "button"
    assert [b["reply"]["id"] for b in message["interactive"]["action"]["buttons"]] == [
        "/choice_1",
        "/choice_2",
        "/choice_3",
    ]


def test_a_title_longer_than_twenty_characters_makes_a_list_instead() -> None:
    long_title = (Button("Hablar con una persona", "/request_human"),)
    (message,) = render(Reply("¿Qué necesitas?", long_title), WORDS).messages
    assert message["interactive"]["type"] == "list"
    assert message["interactive"]["action"]["button"] == "Opciones"


def test_four_to_ten_choices_are_a_list() -> None:
    (message,) = render(Reply("Elige tu país", buttons(10)), WORDS).messages
    rows = message["interactive"]["action"]["sections"][0]["rows"]
    assert len(rows) == 10


def test_more_than_ten_choices_are_numbered_and_a_number_stands_for_each() -> None:
    rendered = render(Reply("Elige tu país", buttons(12)), WORDS)
    (message,) = rendered.messages
    body = message["text"]["body"]
    assert "1. Option 1\n2. Option 2" in body and "12. Option 12" in body
    assert body.endswith("Responde con el número de tu elección.")
    assert rendered.choices[1] == "/choice_2" and len(rendered.choices) == 12


def test_a_row_title_longer_than_twenty_four_characters_makes_numbered_options() -> None:
    rendered = render(Reply("Elige", buttons(4, title="A very long title for a row")), WORDS)
    assert rendered.messages[0]["type"] == "text" and len(rendered.choices) == 4


def test_the_same_payload_twice_is_offered_once() -> None:
    twice = (Button("Sí", "/affirm"), Button("Sí", "/affirm"))
    (message,) = render(Reply("¿Seguro?", twice), WORDS).messages
    assert len(message["interactive"]["action"]["buttons"]) == 1


def test_a_long_text_goes_first_and_the_buttons_come_with_its_last_part() -> None:
    text = "\n\n".join(f"Párrafo {index}:" + " palabra" * 40 for index in range(12))
    rendered = render(Reply(text, buttons(2)), WORDS)
    *before, last = rendered.messages
    assert before and all(message["type"] == "text" for message in before)
    assert last["interactive"]["type"] == "button"
    joined = "\n\n".join([m["text"]["body"] for m in before] + [last["interactive"]["body"]["text"]])
    assert joined == text


@pytest.mark.parametrize("count", [0, 1, 3, 4, 10, 11, 40])
@pytest.mark.parametrize("length", [5, 1500, 9000])
def test_every_rendered_message_is_one_the_cloud_api_accepts(count: int, length: int) -> None:
    reply = Reply(("x" * 60 + "\n") * (length // 61) + "fin", buttons(count))
    for message in render(reply, WORDS).messages:
        assert message_problem(message) is None


def test_text_without_any_break_is_cut_at_the_limit() -> None:
    assert [len(part) for part in split_text("x" * 9000, 4096)] == [4096, 4096, 808]
