"""A supervisor reads the reports in a real browser: the seeded figures, "< 5" for small counts, the charts
drawn as SVG (no script, no request elsewhere, nothing the CSP refuses); a counsellor is refused the page.
The console is the one of test_console_browser.py (uvicorn over Redis and SQLite)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, Request, expect

from bot.store.database import create_database_engine
from tests.authenticator import Authenticator
from tests.e2e.test_console_browser import (  # noqa: F401 (`console` is the fixture)
    PASSWORD,
    RunningConsole,
    _keep_errors,
    _keep_failures,
    console,
)
from tests.report_seed import EXPECTED_CONTACTS, EXPECTED_TABLES, PERIOD, seed_reports

pytestmark = pytest.mark.e2e
expect.set_options(timeout=20_000)


def test_a_supervisor_reads_the_reports_and_a_counsellor_is_refused(
    page: Page,
    console: RunningConsole,  # noqa: F811
    tmp_path: Path,
) -> None:
    database = create_database_engine(f"sqlite:///{tmp_path / 'helpline.db'}")  # the console's database
    try:
        seed_reports(database)
    finally:
        database.dispose()
    problems: list[str] = []
    elsewhere: list[str] = []
    page.on("console", lambda message: _keep_errors(message, problems))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda response: _keep_failures(response, problems))
    page.on("request", lambda request: _keep_foreign(request, console.url, elsewhere))

    _log_in_with_a_second_factor(page, console, "sam")
    page.get_by_role("link", name="Reports").click()
    expect(page).to_have_url(f"{console.url}/console/reports")
    page.locator("#from").fill("2026-11-02")
    page.locator("#to").fill("2026-11-04")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(f"{console.url}/console/reports?{PERIOD}")

    expect(page.locator("#contacts-total")).to_have_text(EXPECTED_CONTACTS)
    languages = page.locator("#languages-table")
    expect(languages.locator("tbody tr")).to_have_count(4)
    expect(languages.locator("tbody tr").first).to_contain_text("Spanish")
    expect(languages.locator("tbody td")).to_have_text(["15", "< 5", "< 5", "< 5"])
    expect(languages.locator("tfoot td")).to_have_text(EXPECTED_TABLES["languages"]["total"])
    expect(page.locator("#handoffs-table tbody td")).to_have_text(["9", "8", "7", "6", "< 5"])
    expect(page.locator("#times-table tbody tr").first).to_contain_text("3 min")

    chart = page.locator("svg#languages-chart")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("role", "img")
    expect(chart.locator("title")).to_have_text("Languages")
    expect(chart.locator("rect.chart-bar")).to_have_count(1)  # only Spanish has a bar; the rest "< 5"
    expect(page.locator("svg.chart")).to_have_count(8)
    page.screenshot(path=str(tmp_path / "reports.png"), full_page=True)
    assert problems == [] and elsewhere == [], (problems, elsewhere)

    page.get_by_role("button", name="Log out").click()
    page.locator("#name").fill("ana")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online")
    expect(page.get_by_role("link", name="Reports")).to_have_count(0)
    refused = page.goto(f"{console.url}/console/reports?{PERIOD}")
    assert refused is not None and refused.status == 403
    expect(page.locator("#contacts-total")).to_have_count(0)


def _log_in_with_a_second_factor(page: Page, running: RunningConsole, name: str) -> None:
    """A supervisor's first login: password, then enrolling an authenticator from the page."""
    phone = Authenticator()
    page.goto(f"{running.url}/console/login")
    page.locator("#name").fill(name)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{running.url}/console/login/enroll")
    phone.enroll(name, page.locator("#totp-secret").inner_text().replace(" ", ""))
    page.locator("#code").fill(phone.code(name))
    page.get_by_role("button", name="Confirm and log in").click()
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online")


def _keep_foreign(request: Request, origin: str, elsewhere: list[str]) -> None:
    """Requests to anywhere but the console (a chart library, a font): there must be none."""
    if not request.url.startswith(origin) and not request.url.startswith("data:"):
        elsewhere.append(request.url)
