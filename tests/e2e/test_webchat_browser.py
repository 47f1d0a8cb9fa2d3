"""A survivor in a real browser talks to the whole helpline through the web chat, and can leave at once."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Locator, Page, Request, Route, WebSocket, expect

from bot.i18n import SUPPORTED_LOCALES

pytestmark = pytest.mark.e2e
expect.set_options(timeout=20_000)

SESSION_KEY = "chat-session"
NEUTRAL_PAGE = "<!doctype html><title>Weather</title><p>Sunny.</p>"


def open_chat(page: Page, web_base_url: str) -> None:
    page.goto(f"{web_base_url}/chat")
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")


def say(page: Page, text: str) -> None:
    page.locator("#message-input").fill(text)
    page.locator("#message-input").press("Enter")


def greet_and_wait_for_the_menu(page: Page, web_base_url: str) -> None:
    open_chat(page, web_base_url)
    say(page, "hi")
    expect(page.locator(".msg.me").last).to_have_text("hi")
    expect(answers_to_the_last_message(page).locator(".reply-buttons button").first).to_be_visible()


def answers_to_the_last_message(page: Page) -> Locator:
    """Bot messages that came after the person's latest message."""
    return page.locator(
        "xpath=(//div[contains(concat(' ', @class, ' '), ' me ')])[last()]"
        "/following-sibling::div[contains(concat(' ', @class, ' '), ' bot ')]"
    )


def stub_the_neutral_site(page: Page) -> str:
    """Answer the quick exit URL locally, so leaving needs no network; returns that URL."""
    url = page.locator("#quick-exit").get_attribute("data-quick-exit-url")
    assert url, "the page must carry the quick exit URL"
    page.context.route(url, lambda route: route.fulfill(content_type="text/html", body=NEUTRAL_PAGE))
    return url


def wait_until(condition: Callable[[], bool], page: Page, seconds: float = 10) -> None:
    """Let Playwright's events run until `condition` holds."""
    for _ in range(int(seconds * 20)):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError("timed out")


def watch_the_chat(page: Page) -> list[str]:
    """What the chat shows (messages in the log, text in the input), reported by the page every 50 ms.

    Reported through the console because Playwright's own evaluate waits while a navigation is pending.
    """
    reports: list[str] = []
    page.on("console", lambda message: reports.append(message.text))
    page.evaluate(
        """setInterval(() => console.log(JSON.stringify({
            messages: document.querySelectorAll('#log > *').length,
            draft: document.getElementById('message-input').value,
        })), 50)"""
    )
    return reports


def session_storage_of_the_chat(page: Page, web_base_url: str) -> int:
    """How many keys the chat's origin keeps in this tab's sessionStorage (read where chat.js is not)."""
    page.goto(f"{web_base_url}/static/chat.css")
    return int(page.evaluate("window.sessionStorage.length"))


def test_a_person_says_hi_and_gets_a_reply_with_buttons(page: Page, web_base_url: str) -> None:
    greet_and_wait_for_the_menu(page, web_base_url)
    reply = page.locator(".msg.bot").filter(has=page.locator(".reply-buttons button")).last
    expect(reply.locator(".msg-text")).not_to_be_empty()
    assert reply.locator(".reply-buttons button").count() >= 1
    assert page.evaluate(f"window.sessionStorage.getItem('{SESSION_KEY}')"), "the session is kept for the tab"


def test_pressing_a_reply_button_sends_its_title_and_gets_another_answer(
    page: Page, web_base_url: str
) -> None:
    greet_and_wait_for_the_menu(page, web_base_url)
    button = page.locator(".msg.bot .reply-buttons button").first
    title = button.inner_text()
    button.click()
    expect(page.locator(".msg.me").last).to_have_text(title)
    expect(answers_to_the_last_message(page).first).to_be_visible()


def test_quick_exit_empties_the_chat_forgets_the_session_and_opens_the_neutral_page(
    page: Page, web_base_url: str
) -> None:
    greet_and_wait_for_the_menu(page, web_base_url)
    neutral_url = stub_the_neutral_site(page)
    page.locator("#message-input").fill("a draft nobody should see")
    reports = watch_the_chat(page)
    held: list[Route] = []
    page.route(neutral_url, lambda route: held.append(route))  # hold the navigation: the chat stays loaded

    page.locator("#quick-exit").click(no_wait_after=True)

    wait_until(lambda: bool(held), page)
    reports.clear()
    wait_until(lambda: bool(reports), page)
    assert json.loads(reports[-1]) == {"messages": 0, "draft": ""}
    held[0].fulfill(content_type="text/html", body=NEUTRAL_PAGE)
    page.wait_for_url(neutral_url)
    assert session_storage_of_the_chat(page, web_base_url) == 0


def test_quick_exit_leaves_no_way_back_to_the_chat(page: Page, web_base_url: str) -> None:
    greet_and_wait_for_the_menu(page, web_base_url)
    neutral_url = stub_the_neutral_site(page)
    page.locator("#quick-exit").click()
    page.wait_for_url(neutral_url)
    page.go_back()
    assert "/chat" not in page.url


def test_pressing_escape_twice_is_a_quick_exit(page: Page, web_base_url: str) -> None:
    greet_and_wait_for_the_menu(page, web_base_url)
    neutral_url = stub_the_neutral_site(page)
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.wait_for_url(neutral_url)
    assert session_storage_of_the_chat(page, web_base_url) == 0


def test_a_single_escape_keeps_the_chat_open(page: Page, web_base_url: str) -> None:
    open_chat(page, web_base_url)
    stub_the_neutral_site(page)
    page.keyboard.press("Escape")
    page.wait_for_timeout(1_200)
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)
    assert urlsplit(page.url).path == "/chat"


def test_the_chat_talks_to_no_other_host(page: Page, web_base_url: str) -> None:
    requests: list[str] = []
    sockets: list[str] = []

    def record_request(request: Request) -> None:
        requests.append(request.url)

    def record_socket(socket: WebSocket) -> None:
        sockets.append(socket.url)

    page.on("request", record_request)
    page.on("websocket", record_socket)
    greet_and_wait_for_the_menu(page, web_base_url)
    page.locator(".msg.bot .reply-buttons button").first.click()
    expect(page.locator(".msg.me")).to_have_count(2)

    server = urlsplit(web_base_url).netloc
    assert requests and sockets
    assert {urlsplit(url).netloc for url in requests + sockets} == {server}


def test_the_page_is_neutral_and_has_the_accessibility_basics(page: Page, web_base_url: str) -> None:
    open_chat(page, web_base_url)
    assert page.title() == "Chat"
    assert page.locator("html").get_attribute("lang")
    assert page.locator("html").get_attribute("dir") in ("ltr", "rtl")
    labels = page.evaluate(
        "Array.from(document.getElementById('message-input').labels).map(l => l.textContent.trim())"
    )
    assert labels and all(labels), "the message input needs a label"
    log = page.locator("#log")
    assert log.get_attribute("role") == "log"
    assert log.get_attribute("aria-live") == "polite"
    expect(page.locator("#send")).not_to_have_text("")
    exit_name = page.locator("#quick-exit").get_attribute("aria-label") or ""
    assert page.locator("#quick-exit").inner_text() in exit_name, "the spoken name includes the visible one"
    expect(page.locator("#quick-exit")).to_be_in_viewport()


def test_the_chat_fits_a_phone_screen(page: Page, web_base_url: str) -> None:
    greet_and_wait_for_the_menu(page, web_base_url)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "nothing should scroll sideways on a 390 px wide phone"
    for element in ("#quick-exit", "#message-input", "#send"):
        expect(page.locator(element)).to_be_in_viewport()


def test_erase_in_the_web_chat_clears_the_page_and_starts_a_new_session(
    page: Page, web_base_url: str
) -> None:
    page.goto(f"{web_base_url}/chat")
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")
    first_session = page.evaluate("window.sessionStorage.getItem('chat-session')")
    page.locator("#message-input").fill("i need a lawyer")
    page.locator("#message-input").press("Enter")
    expect(page.locator(".msg.bot")).to_have_count(1)
    page.locator(".privacy-action[data-payload='/delete_data']").click()
    page.get_by_role("button", name="Yes, erase everything").click()
    expect(page.locator(".msg")).to_have_count(1)  # the conversation is gone; only "Done." shows
    expect(page.locator(".msg.bot .msg-text")).to_have_text("Done.")
    expect(page.locator(".msg")).to_have_count(0, timeout=30_000)  # and then that goes too
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")
    assert page.evaluate("window.sessionStorage.getItem('chat-session')") not in (None, first_session)


def test_the_privacy_notice_page_speaks_the_browsers_language(page: Page, web_base_url: str) -> None:
    page.goto(f"{web_base_url}/privacy?lang=ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator(".notice-text").first).to_be_visible()
    expect(page.locator(".notice-languages a")).to_have_count(len(SUPPORTED_LOCALES))


def test_disappearing_messages_clear_the_web_chat_after_the_chosen_silence(
    page: Page, web_base_url: str
) -> None:
    page.clock.install()
    page.goto(f"{web_base_url}/chat")
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")
    page.locator(".privacy-action[data-payload='/privacy_question']").click()
    page.get_by_role("button", name="Disappearing messages").click()
    page.get_by_role("button", name="After 5 minutes").click()
    expect(page.locator(".msg.bot")).to_have_count(3)
    page.clock.fast_forward("04:50")
    expect(page.locator(".msg.bot")).to_have_count(3)
    page.clock.fast_forward("00:20")
    expect(page.locator(".msg")).to_have_count(0)
