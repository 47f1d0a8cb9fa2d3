"""Abuse handling in a real browser: a counsellor flags a chat, a supervisor (with a second factor) blocks
the person from the supervisor page, and the person's next message gets the neutral message and the
emergency numbers of their country from the conversation core; the supervisor unblocks them, and the bot
answers again."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.content import ContentLibrary
from bot.content.danger import DangerNet
from bot.conversation.blocked import BlockedDesk
from bot.conversation.core import ConversationCore
from bot.conversation.danger_first import DangerFirst
from bot.messages import Channel, IncomingMessage, Reply
from bot.store.blocks import BlockStore
from bot.store.conversations import ConversationStore
from tests.authenticator import Authenticator
from tests.e2e import test_console_browser
from tests.e2e.test_console_browser import PASSWORD, ROOT, RunningConsole, _keep_errors, _keep_failures

pytestmark = pytest.mark.e2e
expect.set_options(timeout=20_000)
CONTENT = ROOT / "content"
LIBRARY = ContentLibrary.load(CONTENT)
console = test_console_browser.console  # the console alone under uvicorn, over Redis and SQLite


@dataclass
class CountingEngine:
    asked: list[str] = field(default_factory=list)

    async def send(self, pseudonym: str, text: str, metadata: dict[str, object]) -> list[Reply]:
        self.asked.append(text)
        return [Reply(text="the bot's answer")]


def person_writes(console: RunningConsole, pseudonym: str, text: str) -> list[str]:
    """What the conversation core answers the person (over the console's database), in Spanish, in Spain."""
    assert console.database is not None
    database = console.database
    ConversationStore(database).record_message(pseudonym, "webchat", "es", "explicit", "ES")
    core = ConversationCore(
        CountingEngine(),
        ConversationStore(database),
        CONTENT / "locale",
        danger=DangerFirst(DangerNet.load(CONTENT / "danger"), LIBRARY),
        blocked=BlockedDesk(BlockStore(database), LIBRARY),
    )
    message = IncomingMessage(pseudonym, Channel.WEBCHAT, text, "es")
    with ThreadPoolExecutor(max_workers=1) as pool:  # Playwright's loop runs in this thread
        replies = pool.submit(asyncio.run, core.handle(message)).result()
    return [reply.text for reply in replies]


def supervisor_logs_in(page: Page, console: RunningConsole) -> None:
    """Sam, a supervisor, sets up a second factor and logs in."""
    phone = Authenticator()
    page.goto(f"{console.url}/console/login")
    page.locator("#name").fill("sam")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    phone.enroll("sam", page.locator("#totp-secret").inner_text().replace(" ", ""))
    page.locator("#code").fill(phone.code("sam"))
    page.get_by_role("button", name="Confirm and log in").click()
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online")


def test_a_flagged_person_is_blocked_from_the_supervisor_page_and_gets_the_neutral_message(
    page: Page, browser: Browser, console: RunningConsole
) -> None:
    problems: list[str] = []
    page.on("console", lambda message: _keep_errors(message, problems))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda response: _keep_failures(response, problems))
    page.goto(f"{console.url}/console/login")
    page.locator("#name").fill("ana")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online")
    ticket, pseudonym = console.survivor_asks("es", "normal")
    page.locator("#offered tbody tr", has_text=ticket.nickname).get_by_role("button", name="Claim").click()
    page.locator("#flag-reason").select_option("threats_to_staff")
    page.get_by_role("button", name="Flag as abusive").click()
    expect(page.locator(".notice")).to_contain_text("Chat flagged")

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    supervisor = context.new_page()
    supervisor_logs_in(supervisor, console)
    supervisor.goto(f"{console.url}/console/supervisor")
    row = supervisor.locator("#flagged tbody tr", has_text=ticket.nickname)
    expect(row).to_contain_text("Threats to staff")
    assert pseudonym not in supervisor.content()
    row.locator("select").select_option("7d")
    row.get_by_role("button", name="Block").click()
    expect(supervisor.locator(".notice")).to_contain_text("Blocked")
    expect(supervisor.locator("#blocks tbody tr", has_text=ticket.nickname)).to_be_visible()

    replies = person_writes(console, pseudonym, "hola")
    assert replies == [
        LIBRARY.reply("blocked", "es", "ES").text,
        LIBRARY.reply_for_intent("immediate_danger", "es", "ES").text,
    ]
    assert "112" in replies[1]

    supervisor.locator("#blocks tbody tr", has_text=ticket.nickname).get_by_role(
        "button", name="Unblock"
    ).click()
    expect(supervisor.locator(".notice")).to_contain_text("Block ended")
    expect(supervisor.get_by_text("Nobody is blocked.")).to_be_visible()
    assert person_writes(console, pseudonym, "hola") == ["the bot's answer"]
    trail = [line.action for line in console.handoffs.audit_trail(handoff_id=ticket.id)]
    assert {"flagged", "blocked", "unblocked"} <= set(trail)
    context.close()
    assert problems == [], problems
