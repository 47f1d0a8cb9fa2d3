"""Machine translation in the console over real Redis and SQLite, with a fake LibreTranslate on loopback:
what the counsellor reads, what the survivor receives, what happens when the server fails, and that
nothing is sent to it when the counsellor reads the survivor's language."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from bot.console.translation import SURVIVOR_MARK
from bot.handoff.queue import Ticket
from bot.i18n import Translator
from bot.translation import LibreTranslate
from tests.fakes.libretranslate import FakeLibreTranslate
from tests.integration.console_world import CATALOG_DIR, Staff, World, console_world

pytestmark = pytest.mark.integration
MARK_UK = Translator(CATALOG_DIR, "uk").gettext(SURVIVOR_MARK)
ENGLISH = {"accept-language": "en-GB,en;q=0.9"}


@pytest.fixture
def server() -> Iterator[FakeLibreTranslate]:
    with FakeLibreTranslate() as fake:
        yield fake


@pytest.fixture
def world(tmp_path: Path, redis_url: str, server: FakeLibreTranslate) -> Iterator[World]:
    client = LibreTranslate(server.base_url, timeout_s=3)
    with console_world(tmp_path, redis_url, machine_translation=client, mismatch_after_s=0) as found:
        yield found
        found.run(client.aclose)


def ukrainian_chat(world: World, languages: str = "en") -> tuple[Staff, Ticket]:
    """A counsellor who reads `languages` holds the chat of a person who writes Ukrainian."""
    ana = world.counsellor("ana", languages=languages)
    ticket = world.ticket(locale="uk")
    assert ana.claim(ticket).headers["location"].endswith("notice=claimed")
    return ana, ticket


def survivor_writes(world: World, ticket: Ticket, text: str) -> None:
    world.run(lambda: world.relay.from_survivor(ticket.id, text, secrets.token_hex(8)))


def page(staff: Staff, path: str) -> str:
    return staff.world.client.get(path, headers={**staff.headers, **ENGLISH}).text


def post(staff: Staff, path: str, data: dict[str, str]) -> str:
    response = staff.world.client.post(
        path, data={"csrf": staff.csrf, **data}, headers={**staff.headers, **ENGLISH}, follow_redirects=False
    )
    return response.text if response.status_code == 200 else response.headers["location"]


def test_the_counsellor_reads_the_survivors_message_with_its_translation(
    world: World, server: FakeLibreTranslate
) -> None:
    ana, ticket = ukrainian_chat(world)
    survivor_writes(world, ticket, "Мені потрібна допомога")
    shown = page(ana, f"/console/chats/{ticket.id}")
    assert "Мені потрібна допомога" in shown and "i need help" in shown and "Machine translation" in shown
    sent = server.translations()
    assert {(body["source"], body["target"]) for body in sent} == {("uk", "en")}
    assert "Мені потрібна допомога" in [body["q"] for body in sent]


def test_what_the_survivor_told_the_bot_before_is_translated_too(world: World) -> None:
    world.engine.events = [
        {"event": "user", "text": "Де можна спати", "timestamp": 1.0},
        {"event": "bot", "text": "Ось притулки у вашій країні.", "timestamp": 2.0},
    ]
    ana, ticket = ukrainian_chat(world)
    shown = page(ana, f"/console/chats/{ticket.id}")
    assert "Де можна спати" in shown and "where can sleep" in shown
    assert "Ось притулки у вашій країні." in shown


def test_a_previewed_reply_reaches_the_survivor_translated_with_the_note(world: World) -> None:
    ana, ticket = ukrainian_chat(world)
    preview = post(ana, f"/console/chats/{ticket.id}/translate", {"text": "We can help you"})
    assert "ми можемо допомогти вам" in preview and "Send the translation" in preview
    sent = post(
        ana,
        f"/console/chats/{ticket.id}/messages",
        {"text": "We can help you", "translation": "ми можемо допомогти вам"},
    )
    assert sent == f"/console/chats/{ticket.id}"
    assert world.outbound()[-1].text == f"ми можемо допомогти вам\n\n{MARK_UK}"
    assert MARK_UK != SURVIVOR_MARK


def test_a_failing_server_never_holds_a_message_up(world: World, server: FakeLibreTranslate) -> None:
    ana, ticket = ukrainian_chat(world)
    server.fail_next(429, times=3)  # the message, what the person told the bot before, the reply
    survivor_writes(world, ticket, "Дякую, я у безпеці")
    with structlog.testing.capture_logs() as logs:
        shown = page(ana, f"/console/chats/{ticket.id}")
        preview = post(ana, f"/console/chats/{ticket.id}/translate", {"text": "Are you safe now?"})
    assert "Дякую, я у безпеці" in shown and "Not translated" in shown
    assert "You can send your reply as written" in preview and "Send the translation" not in preview
    post(ana, f"/console/chats/{ticket.id}/messages", {"text": "Are you safe now?"})
    assert world.outbound()[-1].text == "Are you safe now?"
    failures = [entry for entry in logs if entry["event"] == "translation_failed"]
    assert [entry["reason"] for entry in failures] == ["429", "429", "429"]
    assert not any("безпеці" in str(entry) or "safe now" in str(entry) for entry in logs)


def test_nothing_goes_to_the_server_when_the_counsellor_reads_the_language(
    world: World, server: FakeLibreTranslate
) -> None:
    ana, ticket = ukrainian_chat(world, languages="uk,en")
    survivor_writes(world, ticket, "Мені потрібна допомога")
    shown = page(ana, f"/console/chats/{ticket.id}")
    assert "Мені потрібна допомога" in shown and "Translate and preview" not in shown
    assert server.translations() == []
