"""Scale-out on one machine (issue 15, part 5): two web processes, two Telegram gateways in webhook mode
behind `helpline balance`, two action servers and two Rasa processes, over one Redis and one database
(PostgreSQL where one is reachable), all started by `helpline run`.

Conversations stay on their Rasa process (Rasa i asks action server i, whose log names the conversation's
pseudonym prefix), replies are neither lost nor doubled, a handoff claimed on one web process reaches the
survivor through the other, and when a Rasa process is killed its conversations carry on on the other.
"""

from __future__ import annotations

import os
import secrets
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import pytest
from alembic import command
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import text

from bot.content import ContentLibrary
from bot.engine.rasa import rasa_processes_for
from bot.messages import Channel
from bot.privacy.pseudonym import pseudonym_for
from bot.store.counsellors import CounsellorStore
from bot.store.database import alembic_config, create_database_engine
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.stack import ROOT, Helpline, free_ports, running_helpline

pytestmark = pytest.mark.e2e
expect.set_options(timeout=60_000)

WORKERS = 2
POSTGRES_URL = os.environ.get("HELPLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
STAFFING_ALWAYS_OPEN = ROOT / "tests" / "fixtures" / "staffing-always-open.yml"
PASSWORD = "correct horse battery staple"
THANKS = "thank you so much"
user_ids = count(760_000_001)


@dataclass(frozen=True)
class ScaledHelpline:
    helpline: Helpline
    telegram: FakeTelegramAPI
    web_urls: list[str]
    rasa_urls: list[str]

    def log(self, part: str) -> str:
        path = self.helpline.data_dir / "logs" / f"{part}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def pseudonym(self, user: int) -> str:
        return pseudonym_for(Channel.TELEGRAM, user, self.helpline.pseudonym_secret)

    def pinned_rasa(self, pseudonym: str) -> int:
        """1 or 2: the Rasa process (and so the action server) the conversation is pinned to."""
        return self.rasa_urls.index(rasa_processes_for(pseudonym, self.rasa_urls)[0]) + 1

    def answered_by(self, pseudonym: str) -> set[int]:
        """The action servers whose logs answered this conversation."""
        return {n for n in range(1, WORKERS + 1) if f"pseudonym={pseudonym[:12]}" in self.log(f"actions-{n}")}


def _postgres() -> str | None:
    try:
        engine = create_database_engine(POSTGRES_URL)
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception:
        return None
    return POSTGRES_URL


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScaledHelpline]:
    telegram = FakeTelegramAPI(token="765432:SCALE-OUT-TOKEN")
    telegram.start()
    balancer_port = free_ports(1 + WORKERS)  # the balancer, then one webhook port per gateway
    database = _postgres()
    env = {
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{balancer_port}/telegram",
        "TELEGRAM_WEBHOOK_SECRET": secrets.token_urlsafe(16),
        "HELPLINE_TELEGRAM_WEBHOOK_PORT": str(balancer_port),
        "HELPLINE_WEB_WORKERS": str(WORKERS),
        "HELPLINE_GATEWAY_WORKERS": str(WORKERS),
        "HELPLINE_ACTIONS_WORKERS": str(WORKERS),
        "HELPLINE_RASA_WORKERS": str(WORKERS),
        "HELPLINE_STAFFING_FILE": str(STAFFING_ALWAYS_OPEN),
        **({"HELPLINE_DATABASE_URL": database} if database else {}),
    }
    if database:
        command.downgrade(alembic_config(database), "base")  # `helpline run` migrates it afresh
    try:
        with running_helpline(tmp_path_factory.mktemp("scaled"), env, workers=WORKERS) as helpline:
            web_port = int(helpline.web_url.rsplit(":", 1)[1])
            rasa_port = int(helpline.rasa_url.rsplit(":", 1)[1])
            yield ScaledHelpline(
                helpline,
                telegram,
                [f"http://127.0.0.1:{web_port + n}" for n in range(WORKERS)],
                [f"http://127.0.0.1:{rasa_port + n}" for n in range(WORKERS)],
            )
    finally:
        telegram.stop()
        if database:
            command.downgrade(alembic_config(database), "base")


@pytest.fixture(scope="module")
def content() -> ContentLibrary:
    return ContentLibrary.load(ROOT / "content")


def people_on_each_rasa(scaled: ScaledHelpline, per_rasa: int) -> list[int]:
    """Telegram users, `per_rasa` of them pinned to each Rasa process."""
    chosen: dict[int, list[int]] = {n: [] for n in range(1, WORKERS + 1)}
    while any(len(users) < per_rasa for users in chosen.values()):
        user = next(user_ids)
        users = chosen[scaled.pinned_rasa(scaled.pseudonym(user))]
        if len(users) < per_rasa:
            users.append(user)
    return [user for users in chosen.values() for user in users]


def test_telegram_conversations_stay_on_their_rasa_and_each_update_is_answered_once(
    scaled: ScaledHelpline, content: ContentLibrary
) -> None:
    telegram = scaled.telegram
    people = people_on_each_rasa(scaled, per_rasa=3)
    for user in people:
        telegram.send_text(user, THANKS, language_code="en")
    for user in people:
        telegram.wait_for_messages(user, 1, timeout=120)
    for user in people:
        telegram.send_text(user, THANKS, language_code="en")
    for user in people:
        telegram.wait_for_messages(user, 2, timeout=120)

    thanks = content.reply_for_intent("thank", "en").text
    for user in people:
        answers = telegram.sent_messages(user)
        assert len(answers) == 2, "one answer to each update, none lost, none doubled"
        assert [answer["text"] for answer in answers] == [thanks, thanks]
        pseudonym = scaled.pseudonym(user)
        assert scaled.answered_by(pseudonym) == {scaled.pinned_rasa(pseudonym)}, "pinned to one Rasa"
    turns = [scaled.log(f"gateway-{n}").count("turn") for n in range(1, WORKERS + 1)]
    assert all(turns), f"the balancer spreads updates over both gateways: {turns}"


def log_in(browser: Browser, web_url: str, database_url: str) -> Page:
    name = f"scale{secrets.token_hex(3)}"
    engine = create_database_engine(database_url)
    CounsellorStore(engine).add(name, PASSWORD, "counsellor", ["en"], 3)
    engine.dispose()
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(f"{web_url}/console")
    page.locator("#name").fill(name)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online")
    return page


def test_a_handoff_claimed_on_one_web_process_is_relayed_through_the_other(
    scaled: ScaledHelpline, browser: Browser, content: ContentLibrary
) -> None:
    web_1, web_2 = scaled.web_urls
    counsellor = log_in(browser, web_1, scaled.helpline.database_url)
    survivor = browser.new_context(locale="en-GB").new_page()
    survivor.goto(f"{web_2}/chat")
    expect(survivor.locator("#status")).to_have_attribute("data-state", "connected")
    survivor.locator("#message-input").fill("can i talk to a real person please")
    survivor.locator("#message-input").press("Enter")
    offer = content.reply("handoff_offer", "en").text
    expect(survivor.locator(".msg.bot .msg-text").last).to_have_text(offer)
    survivor.locator(".reply-buttons").last.locator("button").first.click()  # "Yes, connect me"

    row = counsellor.locator("#offered tbody tr.ticket")
    expect(row).to_have_count(1)
    row.first.get_by_role("button", name="Claim").click()
    expect(counsellor.locator("#chat-log")).to_be_visible()
    expect(survivor.locator(".msg.bot.system .msg-text").last).to_be_visible()  # "A counsellor has joined"

    survivor.locator("#message-input").fill("hello from the second web process")
    survivor.locator("#message-input").press("Enter")
    from_survivor = counsellor.locator("#chat-log .msg.survivor .msg-text", has_text="second web process")
    expect(from_survivor).to_have_count(1)
    counsellor.locator("#message-text").fill("Hello from the first web process.")
    counsellor.get_by_role("button", name="Send").click()
    from_counsellor = survivor.locator(".msg.bot.counsellor .msg-text")
    expect(from_counsellor).to_have_text(["Hello from the first web process."])  # once

    counsellor.locator("#outcome").select_option("information_given")
    counsellor.get_by_role("button", name="Resolve").click()
    expect(survivor.locator(".msg.bot.system .msg-text")).to_have_count(2)
    expect(from_counsellor).to_have_count(1)  # never delivered twice, by either web process


def rasa_pid(port: int) -> int:
    """The Rasa server process serving on `port`."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"helpline_rasa.serve" in argv and b"--port" in argv and str(port).encode() in argv:
            return int(entry.name)
    raise AssertionError(f"no Rasa process on port {port}")


def test_a_killed_rasa_process_moves_its_conversations_to_the_other(
    scaled: ScaledHelpline, content: ContentLibrary
) -> None:
    telegram = scaled.telegram
    user = people_on_each_rasa(scaled, per_rasa=1)[0]  # on Rasa 1
    pseudonym = scaled.pseudonym(user)
    telegram.send_text(user, THANKS, language_code="en")
    telegram.wait_for_messages(user, 1, timeout=120)
    assert scaled.answered_by(pseudonym) == {1}

    os.kill(rasa_pid(int(scaled.rasa_urls[0].rsplit(":", 1)[1])), signal.SIGKILL)
    telegram.send_text(user, THANKS, language_code="en")
    answers = telegram.wait_for_messages(user, 2, timeout=120)

    assert answers[1]["text"] == content.reply_for_intent("thank", "en").text, "Rasa 2 answered, not degraded"
    assert scaled.answered_by(pseudonym) == {1, 2}
    assert len(telegram.sent_messages(user)) == 2
    gateways = scaled.log("gateway-1") + scaled.log("gateway-2")
    assert f"pseudonym={pseudonym[:12]}" in gateways and "rasa_conversation_moved" in gateways
