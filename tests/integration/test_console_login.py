"""Logging in to the console under attack (issue 14), on a real Redis and SQLite: failed logins throttle
their source and never lock the account, many failures for one account alert the admins, and supervisors
and admins get no session without a second factor (a TOTP code, used once, within a short-lived step)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import structlog

from bot.console.auth import SessionStore
from bot.console.throttle import LoginPolicy
from tests.authenticator import uri_in
from tests.integration.console_world import (
    PASSWORD,
    SOURCE_HEADER,
    Staff,
    World,
    code_attempt,
    console_world,
    login,
    login_attempt,
    second_step,
)

pytestmark = pytest.mark.integration

STRANGER, COUNSELLORS_OFFICE = "203.0.113.66", "198.51.100.20"


@pytest.fixture
def world(tmp_path: Path, redis_url: str) -> Iterator[World]:
    """The console with the default login policy: 10 failures per source in 15 min, an alert at 20."""
    with console_world(tmp_path, redis_url) as found:
        yield found


def _session_cookie(response: httpx.Response) -> str | None:
    return response.cookies.get("helpline_console")


def _keys_and_values(world: World) -> str:
    """Everything the console keeps in Redis, as one text (to look for addresses)."""

    async def dump() -> str:
        parts = []
        async for key in world.redis.scan_iter(match=f"{world.prefix}*"):
            parts.append(key.decode())
            if await world.redis.type(key) == b"string":
                parts.append(str(await world.redis.get(key)))
        return "\n".join(parts)

    return world.run(dump)


# Throttling per source, not lockout per account


def test_a_strangers_wrong_passwords_never_lock_the_counsellor_out(world: World) -> None:
    world.counsellors.add("ana", PASSWORD, "counsellor", "en")
    for attempt in range(40):  # from four addresses, ten each: every one of them ends up throttled
        stranger = f"203.0.113.{attempt % 4}"
        assert login_attempt(world.client, "ana", f"guess {attempt}", stranger).status_code == 401
    arrived = time.monotonic()
    from_her_desk = login_attempt(world.client, "ana", PASSWORD, COUNSELLORS_OFFICE)
    assert from_her_desk.status_code == 303 and from_her_desk.headers["location"] == "/console/"
    assert _session_cookie(from_her_desk)
    assert time.monotonic() - arrived < 2  # at once: no lockout, no delay


def test_a_source_with_too_many_failures_is_throttled_even_with_the_right_password(world: World) -> None:
    world.counsellors.add("ana", PASSWORD, "counsellor", "en")
    with structlog.testing.capture_logs() as logs:
        failures = [login_attempt(world.client, "ana", "guess", STRANGER).status_code for _ in range(10)]
        right_password = login_attempt(world.client, "ana", PASSWORD, STRANGER)
        unknown_name = login_attempt(world.client, "nobody", "whatever at all", STRANGER)
    assert failures == [401] * 10
    assert right_password.status_code == unknown_name.status_code == 429
    assert _session_cookie(right_password) is None
    assert right_password.headers["retry-after"] == "900"
    assert "Wait 15 minutes" in right_password.text
    # The same page whatever the name: nothing to learn about accounts from it.
    assert right_password.text.count("Too many failed logins") == unknown_name.text.count("Too many") == 1
    # Another source is not held back.
    assert login_attempt(world.client, "ana", PASSWORD, COUNSELLORS_OFFICE).status_code == 303
    throttled = [entry for entry in world.handoffs.audit_trail() if entry.action == "source_throttled"]
    assert [(entry.counsellor_id, entry.detail) for entry in throttled] == [
        (None, "a source after 10 failed logins within 15 min")
    ]
    # No address anywhere: not in Redis (keys are keyed hashes), not in the logs, not in the audit trail.
    assert STRANGER not in _keys_and_values(world)
    assert STRANGER not in repr(logs)
    assert all(STRANGER not in entry.detail for entry in world.handoffs.audit_trail())
    assert "console_login_source_throttled" in {log["event"] for log in logs}


def test_a_throttled_source_may_try_again_when_the_wait_is_over(tmp_path: Path, redis_url: str) -> None:
    policy = LoginPolicy(max_failures=3, window_s=60, throttle_s=1)
    with console_world(tmp_path, redis_url, login_policy=policy) as world:
        world.counsellors.add("ana", PASSWORD, "counsellor", "en")
        for _ in range(3):
            login_attempt(world.client, "ana", "guess", STRANGER)
        during = login_attempt(world.client, "ana", PASSWORD, STRANGER).status_code
        time.sleep(1.2)
        after = login_attempt(world.client, "ana", PASSWORD, STRANGER).status_code
    assert (during, after) == (429, 303)


def test_wrong_codes_count_as_failed_logins_of_their_source(world: World) -> None:
    sam = world.counsellor("sam", role="supervisor")
    statuses = []
    for _ in range(2):  # five wrong codes end a pending login; two of them make ten failures
        after_password = login_attempt(world.client, "sam", PASSWORD, STRANGER)
        for _ in range(5):
            wrong = code_attempt(world.client, "/console/login/code", lambda _page: "000000", STRANGER)
            statuses.append(wrong.status_code)
        assert after_password.status_code == 303
    refused = login_attempt(world.client, "sam", PASSWORD, STRANGER)
    assert statuses == [401, 401, 401, 401, 303] * 2  # the fifth ends the step: back to the password
    assert refused.status_code == 429
    assert sam.get("/console/supervisor").status_code == 200  # their own session is untouched


# The admins' alert


def test_many_failed_logins_for_one_account_alert_the_admins(world: World) -> None:
    ana = world.counsellors.add("ana", PASSWORD, "counsellor", "en")
    root = world.counsellor("root", role="admin")
    assert 'id="login-alerts"' not in root.get("/console/admin").text
    with structlog.testing.capture_logs() as logs:
        for attempt in range(20):  # from five addresses, four each: none of them is throttled
            login_attempt(world.client, "ana", "guess", f"203.0.113.{attempt % 5}")
    page = root.get("/console/admin").text
    alerts = [entry for entry in world.handoffs.audit_trail() if entry.action == "login_alert"]
    assert 'id="login-alerts"' in page and f'data-alert="{ana.id}"' in page and "<strong>ana</strong>" in page
    assert [(entry.counsellor_id, entry.detail) for entry in alerts] == [
        (ana.id, "20 failed logins within 60 min")
    ]
    alert_logs = [log for log in logs if log["event"] == "console_login_alert"]
    assert alert_logs == [
        {"event": "console_login_alert", "counsellor": ana.id, "failures": 20, "log_level": "warning"}
    ]
    # It stays until an admin acknowledges it, and the acknowledgement is audited.
    assert 'id="login-alerts"' in root.get("/console/admin").text
    acknowledged = root.post(f"/console/admin/counsellors/{ana.id}/acknowledge-alert")
    assert acknowledged.headers["location"] == "/console/admin?notice=alert_acknowledged"
    assert 'id="login-alerts"' not in root.get("/console/admin").text
    latest = world.handoffs.audit_trail()[0]
    assert (latest.counsellor_id, latest.action, latest.detail) == (
        root.account.id,
        "login_alert_acknowledged",
        f"id {ana.id}",
    )
    assert login_attempt(world.client, "ana", PASSWORD, COUNSELLORS_OFFICE).status_code == 303


def test_a_counsellor_cannot_acknowledge_an_alert(world: World) -> None:
    ana = world.counsellor("ana")
    world.counsellors.raise_login_alert(ana.account.id, 20, 3600)
    assert ana.post(f"/console/admin/counsellors/{ana.account.id}/acknowledge-alert").status_code == 403
    account = world.counsellors.get(ana.account.id)
    assert account is not None and account.login_alert_at is not None


# The second factor


def test_a_new_supervisor_enrolls_before_getting_any_session(world: World) -> None:
    world.counsellors.add("sam", PASSWORD, "supervisor", "en")
    after_password = login_attempt(world.client, "sam", PASSWORD)
    assert after_password.headers["location"] == "/console/login/enroll"
    assert _session_cookie(after_password) is None
    assert world.client.get("/console/supervisor", follow_redirects=False).status_code == 303
    page = world.client.get("/console/login/enroll")
    uri = uri_in(page.text)
    assert (
        uri.startswith("otpauth://totp/Helpline%20console:sam?secret=") and "issuer=Helpline%20console" in uri
    )
    assert "<svg" in page.text and 'class="qr"' in page.text
    wrong = code_attempt(world.client, "/console/login/enroll", lambda _page: "123456")
    assert wrong.status_code == 401 and _session_cookie(wrong) is None
    enrolled = second_step(world.client, after_password, "sam", world.authenticator)
    assert enrolled.headers["location"] == "/console/" and _session_cookie(enrolled)
    account = world.counsellors.by_name("sam")
    assert account is not None and account.second_factor
    # From now on, the password leads to the code.
    world.client.cookies.clear()
    assert login_attempt(world.client, "sam", PASSWORD).headers["location"] == "/console/login/code"


def test_a_supervisor_without_a_valid_code_gets_no_session(world: World) -> None:
    world.counsellor("sam", role="supervisor")
    after_password = login_attempt(world.client, "sam", PASSWORD)
    assert _session_cookie(after_password) is None
    for wrong_code in ("000000", "12345", "abcdef", "١٢٣٤٥٦", ""):
        refused = code_attempt(world.client, "/console/login/code", lambda _page, code=wrong_code: code)
        assert _session_cookie(refused) is None
    # The fifth wrong code dropped the pending login: even the right code no longer helps.
    assert refused.headers["location"] == "/console/login?notice=login_again"
    late = world.client.post(
        "/console/login/code", data={"code": world.authenticator.code("sam")}, follow_redirects=False
    )
    assert late.headers["location"].startswith("/console/login") and _session_cookie(late) is None
    assert world.client.get("/console/supervisor", follow_redirects=False).status_code == 303


def test_a_code_cannot_be_replayed(world: World) -> None:
    sam = world.counsellor("sam", role="supervisor")
    assert sam.post("/console/logout").status_code == 303
    login(world.client, "sam", PASSWORD, world.authenticator)
    used = world.authenticator.used_code("sam")
    login_attempt(world.client, "sam", PASSWORD)
    replayed = code_attempt(world.client, "/console/login/code", lambda _page: used)
    assert replayed.status_code == 401 and _session_cookie(replayed) is None
    assert "That code did not work" in replayed.text
    assert ("login_failed", "code used before") in {
        (entry.action, entry.detail) for entry in world.handoffs.audit_trail()
    }


def test_a_pending_login_is_used_once(world: World) -> None:
    world.counsellor("sam", role="supervisor")
    login_attempt(world.client, "sam", PASSWORD)
    pending = world.client.cookies["helpline_console_pending"]
    page = world.client.get("/console/login/code")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    first = world.client.post(
        "/console/login/code",
        data={"csrf": csrf, "code": world.authenticator.code("sam")},
        follow_redirects=False,
    )
    assert _session_cookie(first)
    world.client.cookies.clear()
    again = world.client.post(
        "/console/login/code",
        data={"csrf": csrf, "code": "000000"},  # refused before any code is checked
        headers={"cookie": f"helpline_console_pending={pending}"},
        follow_redirects=False,
    )
    assert again.headers["location"] == "/console/login?notice=login_again"
    assert _session_cookie(again) is None


def test_a_pending_login_expires(tmp_path: Path, redis_url: str) -> None:
    with console_world(tmp_path, redis_url, login_policy=LoginPolicy(pending_s=1)) as world:
        world.counsellor("sam", role="supervisor")
        login_attempt(world.client, "sam", PASSWORD)
        page = world.client.get("/console/login/code")
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        time.sleep(1.2)
        late = world.client.post(
            "/console/login/code",
            data={"csrf": csrf, "code": world.authenticator.code("sam")},
            follow_redirects=False,
        )
    assert late.headers["location"] == "/console/login?notice=login_again"
    assert _session_cookie(late) is None


def test_the_second_step_has_its_own_csrf_token(world: World) -> None:
    sam = world.counsellor("sam", role="supervisor")
    login_attempt(world.client, "sam", PASSWORD)
    login_form_token = world.client.cookies["helpline_console_login"]
    for token in (None, login_form_token, sam.csrf, "x" * 43):
        data = {"code": "000000", **({"csrf": token} if token else {})}
        refused = world.client.post("/console/login/code", data=data, follow_redirects=False)
        assert refused.status_code == 403 and _session_cookie(refused) is None


def test_a_supervisor_session_without_a_second_factor_is_no_session(world: World) -> None:
    # Defence in depth: even a session made on a password alone (by a bug, or before an upgrade) is refused.
    sam = world.counsellors.add("sam", PASSWORD, "supervisor", "en")
    sessions = SessionStore(world.redis, f"{world.prefix}console:", 3600)
    session = world.run(lambda: sessions.start(sam, second_factor=False))
    page = world.client.get(
        "/console/supervisor", headers={"cookie": f"helpline_console={session.token}"}, follow_redirects=False
    )
    assert page.status_code == 303


def test_a_counsellor_logs_in_with_a_password_alone(world: World) -> None:
    world.counsellors.add("ana", PASSWORD, "counsellor", "en")
    response = login_attempt(world.client, "ana", PASSWORD)
    assert response.headers["location"] == "/console/" and _session_cookie(response)


def test_an_admin_resets_a_second_factor_and_the_person_enrolls_again(world: World) -> None:
    root, sam = world.counsellor("root", role="admin"), world.counsellor("sam", role="supervisor")
    reset = root.post(f"/console/admin/counsellors/{sam.account.id}/reset-second-factor")
    assert reset.headers["location"] == "/console/admin?notice=second_factor_reset"
    assert sam.get("/console/supervisor").status_code == 303  # their sessions ended
    latest = world.handoffs.audit_trail()[0]
    assert (latest.counsellor_id, latest.action, latest.detail) == (
        root.account.id,
        "second_factor_reset",
        f"id {sam.account.id}",
    )
    assert login_attempt(world.client, "sam", PASSWORD).headers["location"] == "/console/login/enroll"
    sam_again = Staff(world, sam.account, *login(world.client, "sam", PASSWORD, world.authenticator))
    # Not one's own (it would end this very session), and never by a supervisor.
    own = root.post(f"/console/admin/counsellors/{root.account.id}/reset-second-factor")
    assert own.headers["location"].endswith("invalid")
    assert (
        sam_again.post(f"/console/admin/counsellors/{root.account.id}/reset-second-factor").status_code == 403
    )


def test_the_admin_page_says_who_has_a_second_factor(world: World) -> None:
    root = world.counsellor("root", role="admin")
    world.counsellors.add("ana", PASSWORD, "counsellor", "en")
    world.counsellors.add("sam", PASSWORD, "supervisor", "en")
    page = root.get("/console/admin").text
    rows = {name: page.split(f"<td>{name}")[1].split("</tr>")[0] for name in ("ana", "root", "sam")}
    assert "Not needed" in rows["ana"] and "Set up" in rows["root"] and "At next login" in rows["sam"]


def test_no_source_header_means_the_peer_address(world: World) -> None:
    # The tests' sources stand for client addresses; without one, the TestClient's own address counts.
    world.counsellors.add("ana", PASSWORD, "counsellor", "en")
    assert SOURCE_HEADER == "x-test-source"
    assert login_attempt(world.client, "ana", PASSWORD).status_code == 303
