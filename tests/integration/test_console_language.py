"""The console in the staff member's language: their own setting (the settings form), else their browser's;
the words of a ticket (topic, country, outcome, nickname) follow; Arabic reads right to left."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import httpx
import pytest

from bot.content.library import ContentLibrary
from tests.integration.console_world import PASSWORD, Staff, World, console_world, login

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def topic_labels() -> dict[str, dict[str, str]]:
    return ContentLibrary.load(ROOT / "content").topic_labels()


@pytest.fixture
def world(tmp_path: Path, redis_url: str, topic_labels: dict[str, dict[str, str]]) -> Iterator[World]:
    with console_world(tmp_path, redis_url, topic_labels=topic_labels) as found:
        yield found


def page(staff: Staff, path: str, accept_language: str | None = None) -> httpx.Response:
    headers = {**staff.headers, **({"accept-language": accept_language} if accept_language else {})}
    response: httpx.Response = staff.world.client.get(path, headers=headers, follow_redirects=False)
    return response


def test_a_counsellor_sets_the_console_to_spanish_and_every_page_follows(world: World) -> None:
    ana = world.counsellor("ana")
    assert 'lang="en"' in page(ana, "/console/settings").text

    saved = ana.post("/console/settings/language", {"language": "es"})

    assert saved.status_code == 303
    assert saved.headers["location"] == "/console/settings?notice=language_saved"
    settings = page(ana, saved.headers["location"]).text
    assert 'lang="es"' in settings and "Se guardó el idioma de tu consola." in settings
    assert '<option value="es" lang="es" selected>Español</option>' in settings
    inbox = page(ana, "/console/", accept_language="en").text  # the setting beats the browser
    assert "Te están esperando" in inbox and "Waiting for you" not in inbox
    account = world.counsellors.get(ana.account.id)
    assert account is not None and account.console_language == "es"


def test_the_browser_language_counts_until_a_counsellor_chooses(world: World) -> None:
    ana = world.counsellor("ana")
    french = page(ana, "/console/", accept_language="fr-CA,fr;q=0.9,en;q=0.5").text
    assert 'lang="fr"' in french and "Boîte de réception" in french
    assert 'lang="en"' in page(ana, "/console/", accept_language="xx").text


def test_choosing_the_browser_language_again_clears_the_setting(world: World) -> None:
    ana = world.counsellor("ana")
    ana.post("/console/settings/language", {"language": "uk"})
    assert 'lang="uk"' in page(ana, "/console/").text
    ana.post("/console/settings/language", {"language": ""})
    account = world.counsellors.get(ana.account.id)
    assert account is not None and account.console_language is None
    assert 'lang="ro"' in page(ana, "/console/", accept_language="ro").text


def test_an_unsupported_language_or_a_missing_token_changes_nothing(world: World) -> None:
    ana = world.counsellor("ana")
    refused = ana.post("/console/settings/language", {"language": "tlh"})
    forged = ana.post("/console/settings/language", {"language": "es"}, csrf=False)
    assert refused.headers["location"] == "/console/settings?notice=invalid"
    assert forged.status_code == 403
    account = world.counsellors.get(ana.account.id)
    assert account is not None and account.console_language is None


def test_a_new_login_keeps_the_chosen_language(world: World) -> None:
    ana = world.counsellor("ana")
    ana.post("/console/settings/language", {"language": "ru"})
    again = world.counsellor("oksana", languages="uk")
    world.counsellors.set_console_language(again.account.id, "uk")
    relogged = Staff(world, again.account, *login(world.client, "oksana", PASSWORD))
    assert 'lang="uk"' in page(relogged, "/console/").text
    assert 'lang="ru"' in page(ana, "/console/").text


def test_a_ticket_is_described_in_the_counsellors_words(world: World) -> None:
    ana = world.counsellor("ana")
    ana.post("/console/settings/language", {"language": "es"})
    ticket = world.ticket(locale="es", priority="urgent")  # from Spain, about a place to stay

    inbox = page(ana, "/console/").text
    row = re.search(rf'<tr class="ticket urgent" data-ticket="{ticket.id}">(.*?)</tr>', inbox, re.S)

    assert row is not None
    number = ticket.nickname.split()[-1]
    assert f"Visitante {number}" in row.group(1) and "Español" in row.group(1)
    assert "España" in row.group(1) and "Un lugar seguro donde quedarte" in row.group(1)
    assert "allí: aprox." in row.group(1) and "ask_shelter" not in inbox
    ana.claim(ticket)
    chat = page(ana, f"/console/chats/{ticket.id}").text
    assert '<option value="information_given">Información dada</option>' in chat
    assert "Escribe a la persona superviviente" in chat


def test_an_arabic_setting_reads_right_to_left(world: World) -> None:
    ana = world.counsellor("ana")
    ana.post("/console/settings/language", {"language": "ar"})
    inbox = page(ana, "/console/").text
    assert '<html lang="ar" dir="rtl">' in inbox and "صندوق الوارد" in inbox


def test_refusals_and_notices_are_in_the_staff_language(world: World) -> None:
    ana = world.counsellor("ana")
    ana.post("/console/settings/language", {"language": "fr"})
    refused = page(ana, "/console/chats/" + "0" * 32)
    admin_only = page(ana, "/console/admin")
    taken = page(ana, "/console/?notice=taken")
    assert refused.status_code == 404 and "Cette discussion n'existe pas" in unescape(refused.text)
    assert admin_only.status_code == 403 and "Cette page n'est pas pour votre rôle." in unescape(
        admin_only.text
    )
    assert "Un autre membre de l'équipe a pris ce ticket en premier." in unescape(taken.text)


def test_the_live_queue_speaks_the_counsellors_language(world: World) -> None:
    ana = world.counsellor("ana")
    ana.post("/console/settings/language", {"language": "es"})
    world.ticket(locale="es")
    with world.client.websocket_connect("/console/live", headers=ana.headers) as socket:
        socket.send_json({"type": "hello", "csrf": ana.csrf})
        snapshot = socket.receive_json()
    (offered,) = snapshot["offered"]
    assert offered["topic"] == "Un lugar seguro donde quedarte" and offered["country"] == "España"
    assert offered["nickname"].startswith("Visitante ") and offered["local_time"].startswith("allí: aprox.")


def test_the_supervisor_and_admin_pages_speak_the_staff_language(
    tmp_path: Path, redis_url: str, topic_labels: dict[str, dict[str, str]]
) -> None:
    drafts = {"es": ["translations/es/shelter.yml"]}
    with console_world(tmp_path, redis_url, translation_drafts=drafts, topic_labels=topic_labels) as world:
        root = world.counsellor("root", role="admin")
        root.post("/console/settings/language", {"language": "ru"})
        ana = world.counsellor("ana")
        world.counsellors.raise_login_alert(ana.account.id, 20, 3600)
        world.ticket(locale="es", priority="urgent")
        admin = unescape(page(root, "/console/admin").text)
        supervisor = unescape(page(root, "/console/supervisor").text)
    assert "Много неудачных входов" in admin and "<code>helpline counsellor password NAME</code>" in admin
    assert "не менее 20 неудачных входов за 60 мин" in admin and "<td>администратор</td>" in admin
    assert "Переводы на проверку" in admin and "<code>helpline content drafts --lang CODE</code>" in admin
    assert "Самое долгое ожидание" in supervisor and "Испания" in supervisor
    assert "Безопасное жильё" in supervisor and "ask_shelter" not in supervisor


def test_the_login_pages_follow_the_browser(world: World) -> None:
    world.counsellors.add("sam", PASSWORD, "supervisor", "en")
    arabic = {"accept-language": "ar"}
    form = world.client.get("/console/login", headers=arabic)
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None and '<html lang="ar" dir="rtl">' in form.text
    refused = world.client.post(
        "/console/login", data={"csrf": token.group(1), "name": "sam", "password": "wrong"}, headers=arabic
    )
    assert refused.status_code == 401 and "لم ينجح هذا الاسم وكلمة المرور" in refused.text
    enroll = world.client.post(
        "/console/login",
        data={"csrf": token.group(1), "name": "sam", "password": PASSWORD},
        headers=arabic,
        follow_redirects=False,
    )
    second = world.client.get(enroll.headers["location"], headers=arabic)
    assert "إعداد العامل الثاني" in second.text and 'class="secret" dir="ltr"' in second.text
