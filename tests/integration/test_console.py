"""The counsellor console on a real Redis and a real SQLite database: sessions, CSRF, roles, the live queue,
claim, chat, notes, transfer, requeue, resolve, and that no pseudonym ever reaches the browser. Logins
(throttling, the second factor, the admins' alert) are in test_console_login.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from bot.console.survivor import ENDED, JOINED
from bot.content.drafts import content_drafts
from bot.i18n import Translator
from tests.integration.console_world import (
    CATALOG_DIR,
    PASSWORD,
    Staff,
    World,
    console_world,
    login,
    login_attempt,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def world(tmp_path: Path, redis_url: str) -> Iterator[World]:
    """The console over the shared Redis (conftest's `redis_url`) and a fresh SQLite database."""
    with console_world(tmp_path, redis_url) as found:
        yield found


def example_path(path: str) -> str:
    return "/console" + path.replace("{ticket_id:str}", "0" * 32).replace("{counsellor_id:str}", "1")


def test_every_console_route_refuses_without_a_session(world: World) -> None:
    checked = 0
    for route in world.console.routes:
        if isinstance(route, Route) and route.name not in ("console_login", "console_login_submit"):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                response = world.client.request(method, example_path(route.path), follow_redirects=False)
                assert response.status_code == 303, (method, route.path)
                assert response.headers["location"] == "/console/login"
                checked += 1
        elif isinstance(route, WebSocketRoute):
            with (
                pytest.raises(WebSocketDenialResponse) as denial,
                world.client.websocket_connect(example_path(route.path)),
            ):
                pass
            assert denial.value.status_code == 401
            checked += 1
    assert checked >= 18


def test_a_forged_or_expired_session_cookie_is_no_session(world: World) -> None:
    for cookie in ("x" * 43, "not-a-token", ""):
        response = world.client.get(
            "/console/", headers={"cookie": f"helpline_console={cookie}"}, follow_redirects=False
        )
        assert response.status_code == 303


def test_login_sets_a_strict_http_only_secure_cookie_for_the_console_only(world: World) -> None:
    world.counsellors.add("ana", PASSWORD, "counsellor", "en")
    response = login_attempt(world.client, "ana", PASSWORD)
    cookie = next(
        value for value in response.headers.get_list("set-cookie") if value.startswith("helpline_console=")
    )
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "samesite=strict", "path=/console"} <= attributes


def test_a_form_without_the_csrf_token_is_refused(world: World) -> None:
    ana = world.counsellor("ana")
    ticket = world.ticket()
    assert ana.post(f"/console/tickets/{ticket.id}/claim", csrf=False).status_code == 403
    assert ana.post(f"/console/tickets/{ticket.id}/claim", {"csrf": "x" * 43}, csrf=False).status_code == 403
    assert world.ticket_now(ticket).status == "waiting"
    # The login form too: its token must match the pre-session cookie.
    world.client.cookies.clear()
    refused = world.client.post(
        "/console/login", data={"name": "ana", "password": PASSWORD}, follow_redirects=False
    )
    assert refused.status_code == 403
    # And a WebSocket whose first frame lacks the token is closed.
    with world.client.websocket_connect("/console/live", headers=ana.headers) as socket:
        socket.send_json({"type": "hello", "csrf": "wrong"})
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
    assert closed.value.code == 4403


def test_logout_ends_the_session(world: World) -> None:
    ana = world.counsellor("ana")
    assert ana.post("/console/logout").status_code == 303
    assert ana.get("/console/").status_code == 303


def test_a_counsellor_cannot_open_another_counsellors_chat(world: World) -> None:
    ana, bea, sam = (
        world.counsellor("ana"),
        world.counsellor("bea"),
        world.counsellor("sam", role="supervisor"),
    )
    ticket = world.ticket()
    assert ana.claim(ticket).status_code == 303
    assert ana.get(f"/console/chats/{ticket.id}").status_code == 200
    assert bea.get(f"/console/chats/{ticket.id}").status_code == 403
    refused = [
        entry for entry in world.handoffs.audit_trail(ticket.id) if entry.counsellor_id == bea.account.id
    ]
    assert [(entry.action, entry.detail) for entry in refused] == [("read", "refused")]
    before = len(world.outbound())
    assert bea.post(f"/console/chats/{ticket.id}/messages", {"text": "hello"}).status_code == 303
    assert bea.post(f"/console/chats/{ticket.id}/resolve", {"outcome": "other"}).status_code == 303
    assert len(world.outbound()) == before
    assert world.ticket_now(ticket).status == "claimed"
    with world.client.websocket_connect(f"/console/chats/{ticket.id}/live", headers=bea.headers) as socket:
        socket.send_json({"type": "hello", "csrf": bea.csrf})
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
    assert closed.value.code == 4403
    # A supervisor may read it (audited), but not write to the survivor.
    page = sam.get(f"/console/chats/{ticket.id}")
    assert page.status_code == 200 and 'id="composer"' not in page.text
    assert ("read", sam.account.id) in {
        (e.action, e.counsellor_id) for e in world.handoffs.audit_trail(ticket.id)
    }


def test_claim_then_message_reaches_the_outbound_stream_encrypted(world: World) -> None:
    ana = world.counsellor("ana")
    ticket = world.ticket(locale="es")
    claimed = ana.claim(ticket)
    assert claimed.status_code == 303
    assert claimed.headers["location"] == f"/console/chats/{ticket.id}?notice=claimed"
    record = world.handoffs.get(ticket.id)
    assert record is not None and record.counsellor_id == ana.account.id and record.claimed_at is not None
    assert ana.post(f"/console/chats/{ticket.id}/messages", {"text": "Hola, soy Ana."}).status_code == 303
    with world.client.websocket_connect(f"/console/chats/{ticket.id}/live", headers=ana.headers) as socket:
        socket.send_json({"type": "hello", "csrf": ana.csrf, "after": "0-0"})
        shown = [socket.receive_json() for _ in range(2)]
        socket.send_json({"type": "send", "text": "¿Estás a salvo ahora?"})
        echoed = socket.receive_json()
    assert [frame["sender"] for frame in shown] == ["system", "counsellor"]
    assert echoed["type"] == "message" and echoed["text"] == "¿Estás a salvo ahora?"
    joined = Translator(CATALOG_DIR, "es").gettext(JOINED)
    assert joined != JOINED  # in the survivor's language
    sent = world.outbound()
    assert [(item.sender, item.text) for item in sent] == [
        ("system", joined),
        ("counsellor", "Hola, soy Ana."),
        ("counsellor", "¿Estás a salvo ahora?"),
    ]
    for item in sent:
        assert item.text.encode() not in item.token  # a Fernet token, never clear text
    assert all(item.key.startswith("c-") for item in sent[1:]) and sent[0].key.startswith("s-")
    transcript = world.handoffs.transcript(ticket.id)
    assert [line.sender for line in transcript] == ["bot", "counsellor", "counsellor"]


def test_a_claimed_ticket_cannot_be_claimed_again(world: World) -> None:
    ana, bea = world.counsellor("ana"), world.counsellor("bea")
    ticket = world.ticket()
    assert ana.claim(ticket).status_code == 303
    again = bea.claim(ticket)
    assert again.headers["location"] == "/console/?notice=taken"


def test_resolve_resumes_the_bot_and_tells_the_survivor(world: World) -> None:
    ana = world.counsellor("ana")
    ticket = world.ticket(locale="es")
    ana.claim(ticket)
    assert ana.post(f"/console/chats/{ticket.id}/resolve", {"outcome": "made up"}).status_code == 303
    assert world.ticket_now(ticket).status == "claimed"
    resolved = ana.post(f"/console/chats/{ticket.id}/resolve", {"outcome": "referred_to_service"})
    assert resolved.headers["location"] == "/console/?notice=resolved"
    assert world.ticket_now(ticket).status == "resolved"
    assert world.engine.resumed == [world.pseudonyms[0]]
    ended = Translator(CATALOG_DIR, "es").gettext(ENDED)
    assert (world.outbound()[-1].sender, world.outbound()[-1].text) == ("system", ended)
    record = world.handoffs.get(ticket.id)
    assert record is not None and record.outcome == "referred_to_service" and record.resolved_at is not None


def test_notes_are_kept_and_never_sent_to_the_survivor(world: World) -> None:
    ana = world.counsellor("ana")
    ticket = world.ticket()
    ana.claim(ticket)
    assert (
        ana.post(f"/console/chats/{ticket.id}/notes", {"text": "Mentions a locked door"}).status_code == 303
    )
    with world.client.websocket_connect(f"/console/chats/{ticket.id}/live", headers=ana.headers) as socket:
        socket.send_json({"type": "hello", "csrf": ana.csrf})
        socket.receive_json()  # the system line
        socket.send_json({"type": "note", "text": "Calls from a shared phone"})
        assert socket.receive_json() == {"type": "note", "text": "Calls from a shared phone"}
    assert all("door" not in item.text and "phone" not in item.text for item in world.outbound())
    notes = [line.text for line in world.handoffs.transcript(ticket.id) if line.sender == "note"]
    assert notes == ["Mentions a locked door", "Calls from a shared phone"]
    assert "Mentions a locked door" in ana.get(f"/console/chats/{ticket.id}").text


def test_transfer_to_a_colleague_and_back_to_the_queue(world: World) -> None:
    ana, bea = world.counsellor("ana"), world.counsellor("bea")
    ticket = world.ticket()
    ana.claim(ticket)
    page = ana.get(f"/console/chats/{ticket.id}").text
    assert f'value="{bea.account.id}">bea' in page
    moved = ana.post(f"/console/chats/{ticket.id}/transfer", {"to": str(bea.account.id)})
    assert moved.headers["location"] == "/console/?notice=transferred"
    assert world.ticket_now(ticket).counsellor == str(bea.account.id)
    assert ana.get(f"/console/chats/{ticket.id}").status_code == 403
    assert bea.post(f"/console/chats/{ticket.id}/requeue").headers["location"] == "/console/?notice=requeued"
    assert world.ticket_now(ticket).status == "waiting"
    actions = [entry.action for entry in world.handoffs.audit_trail(ticket.id)]
    assert {"claim", "transfer", "requeue"} <= set(actions)


def test_the_queue_updates_without_reload_and_keeps_the_counsellor_online(world: World) -> None:
    ana = world.counsellor("ana", languages="en")
    with world.client.websocket_connect("/console/live", headers=ana.headers) as socket:
        socket.send_json({"type": "hello", "csrf": ana.csrf})
        first = socket.receive_json()
        assert first["type"] == "queue" and first["offered"] == []
        assert world.run(world.presence.online) == [str(ana.account.id)]
        world.ticket(locale="es")  # not offered: ana does not speak Spanish (and it has not waited long)
        urgent = world.ticket(locale="en", priority="urgent")
        for _ in range(50):
            snapshot = socket.receive_json()
            if snapshot["offered"]:
                break
    assert [ticket["nickname"] for ticket in snapshot["offered"]] == [urgent.nickname]
    assert snapshot["offered"][0]["urgent"] is True and snapshot["offered"][0]["language"] == "English"


def test_the_browser_never_receives_a_pseudonym(world: World) -> None:
    ana, admin = world.counsellor("ana"), world.counsellor("root", role="admin")
    waiting, claimed = world.ticket(), world.ticket()
    ana.claim(claimed)
    ana.post(f"/console/chats/{claimed.id}/messages", {"text": "Hola"})
    bodies = [
        ana.get("/console/").text,
        ana.get(f"/console/chats/{claimed.id}").text,
        admin.get("/console/supervisor").text,
        admin.get("/console/admin").text,
        admin.get(f"/console/chats/{claimed.id}").text,
    ]
    with world.client.websocket_connect("/console/live", headers=ana.headers) as socket:
        socket.send_json({"type": "hello", "csrf": ana.csrf})
        bodies.append(str(socket.receive_json()))
    with world.client.websocket_connect(f"/console/chats/{claimed.id}/live", headers=ana.headers) as socket:
        socket.send_json({"type": "hello", "csrf": ana.csrf})
        bodies += [str(socket.receive_json()) for _ in range(2)]
    assert waiting.nickname in bodies[-3] or waiting.nickname in bodies[0]
    for pseudonym in world.pseudonyms:
        for body in bodies:
            assert pseudonym not in body and pseudonym[:16] not in body


def test_security_headers_on_every_page(world: World) -> None:
    admin = world.counsellor("root", role="admin")
    ticket = world.ticket()
    admin.claim(ticket)
    responses = [
        world.client.get("/console/login"),
        admin.get("/console/"),
        admin.get(f"/console/chats/{ticket.id}"),
        admin.get("/console/supervisor"),
        admin.get("/console/admin"),
        admin.get("/console/chats/" + "f" * 32),  # 404
        admin.get("/console/static/console.js"),
        admin.get("/console/static/console.css"),
        world.client.get("/console/", follow_redirects=False),  # 303
        admin.post(f"/console/tickets/{ticket.id}/claim", csrf=False),  # 403
    ]
    assert {response.status_code for response in responses} >= {200, 303, 403, 404}
    for response in responses:
        headers = response.headers
        assert "default-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store"
        if headers.get("content-type", "").startswith("text/html"):
            html = response.text
            assert not re.search(r"<script(?![^>]*\bsrc=)", html), "no inline script"
            assert not re.search(r"\son[a-z]+=", html) and " style=" not in html
            assert not re.search(r'(?:src|href)="(?:https?:)?//', html), "nothing from another site"


def test_supervisor_and_admin_pages_are_for_their_roles(world: World) -> None:
    ana, sam, root = (
        world.counsellor("ana"),
        world.counsellor("sam", role="supervisor"),
        world.counsellor("root", role="admin"),
    )
    world.ticket()
    assert ana.get("/console/supervisor").status_code == 403
    assert ana.get("/console/admin").status_code == 403
    assert ana.post("/console/admin/counsellors", {"name": "eve"}).status_code == 403
    supervisor = sam.get("/console/supervisor")
    assert supervisor.status_code == 200 and 'id="queued-today">1<' in supervisor.text
    assert sam.get("/console/admin").status_code == 403
    assert root.get("/console/supervisor").status_code == 200


def test_the_admin_page_lists_the_translations_that_wait_for_a_native_speaker(
    tmp_path: Path, redis_url: str
) -> None:
    drafts = {"es": ["danger/es.yml", "translations/es/shelter.yml"], "uk": ["translations/uk/asylum.yml"]}
    with console_world(tmp_path, redis_url, translation_drafts=drafts) as world:
        page = world.counsellor("root", role="admin").get("/console/admin").text
    spanish = re.search(r'<tr data-drafts="es">(.*?)</tr>', page, re.S)
    ukrainian = re.search(r'<tr data-drafts="uk">(.*?)</tr>', page, re.S)
    assert spanish and "<td>2</td>" in spanish.group(1) and "danger lexicon, shelter" in spanish.group(1)
    assert "<title>Admin" in page and page.count('id="translation-drafts"') == 1
    assert ukrainian and "<td>1</td>" in ukrainian.group(1) and "asylum" in ukrainian.group(1)


def test_the_admin_page_says_when_every_translation_is_reviewed(world: World) -> None:
    page = world.counsellor("root", role="admin").get("/console/admin").text
    assert "Every translation has been reviewed by a native speaker." in page


def test_the_real_content_pack_lists_its_machine_drafted_spanish() -> None:
    drafts = content_drafts(CATALOG_DIR.parent)
    assert "danger/es.yml" in drafts["es"] and "en" not in drafts


def test_an_admin_adds_and_deactivates_a_counsellor(world: World) -> None:
    root = world.counsellor("root", role="admin")
    data = {"name": "dan", "languages": "en, uk", "role": "counsellor", "capacity": "3"}
    short = root.post("/console/admin/counsellors", {**data, "password": "short", "password_again": "short"})
    assert short.status_code == 400 and "at least 12 characters" in short.text
    assert 'value="short"' not in short.text  # the form comes back filled, never with the password
    added = root.post(
        "/console/admin/counsellors", {**data, "password": PASSWORD, "password_again": PASSWORD}
    )
    assert added.headers["location"] == "/console/admin?notice=counsellor_added"
    dan_account = world.counsellors.by_name("dan")
    assert (
        dan_account is not None
        and dan_account.languages == frozenset({"en", "uk"})
        and dan_account.capacity == 3
    )
    dan = Staff(world, dan_account, *login(world.client, "dan", PASSWORD))
    assert dan.get("/console/").status_code == 200
    assert root.post(f"/console/admin/counsellors/{dan_account.id}/deactivate").status_code == 303
    assert dan.get("/console/").status_code == 303  # the session ended with the account
    assert login_attempt(world.client, "dan", PASSWORD).status_code == 401
    assert (
        root.post(f"/console/admin/counsellors/{root.account.id}/deactivate")
        .headers["location"]
        .endswith("invalid")
    )


def test_canned_replies_of_the_survivors_language_are_offered_and_sent(world: World) -> None:
    ana = world.counsellor("ana")
    spanish = world.canned.add("es", "Seguridad", "¿Estás en un lugar seguro?", None)
    world.canned.add("fr", "Sécurité", "Êtes-vous en sécurité ?", None)
    ticket = world.ticket(locale="es")
    ana.claim(ticket)
    page = ana.get(f"/console/chats/{ticket.id}").text
    assert "Seguridad" in page and "Sécurité" not in page
    ana.post(f"/console/chats/{ticket.id}/canned", {"reply": str(spanish)})
    assert world.outbound()[-1].text == "¿Estás en un lugar seguro?"


def test_the_bot_part_is_shown_read_only(world: World) -> None:
    ana = world.counsellor("ana")
    ticket = world.ticket()
    ana.claim(ticket)
    page = ana.get(f"/console/chats/{ticket.id}").text
    assert "I need a safe place" in page and "Would you like to talk with a counsellor?" in page
