"""Attacks on the Rasa server of a running helpline (issue 14): its token is on no command line, and its REST
channel answers only the helpline (the token), so nobody else can write into a person's conversation."""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

import httpx
import pytest
import redis

from bot.engine.rasa import REST_WEBHOOK, TRACKER_KEY_PREFIX
from tests.stack import ROOT, Helpline

pytestmark = pytest.mark.integration
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"


def descendants(pid: int) -> list[int]:
    """Every process started, directly or not, by `pid`."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def command_line(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def say(helpline: Helpline, sender: str, **auth: str) -> httpx.Response:
    """POST one message to Rasa's REST channel, with whatever `headers` or `params` an attacker chooses."""
    return httpx.post(
        f"{helpline.rasa_url}{REST_WEBHOOK}",
        json={"sender": sender, "message": "hello", "metadata": {"locale": "en"}},
        timeout=30,
        **auth,  # type: ignore[arg-type]
    )


def has_tracker(helpline: Helpline, sender: str) -> bool:
    return bool(redis.Redis.from_url(helpline.redis_url).exists(TRACKER_KEY_PREFIX + sender))


def test_no_process_of_the_helpline_has_the_rasa_token_on_its_command_line(helpline: Helpline) -> None:
    lines = [command_line(pid) for pid in descendants(helpline.process.pid)]
    assert any("helpline_rasa.serve" in line for line in lines), "Rasa runs through the launcher"
    assert [line for line in lines if helpline.rasa_token in line] == []


@pytest.mark.parametrize(
    "auth",
    [
        {},
        {"headers": {"Authorization": "Bearer wrong-token"}},
        {"headers": {"Authorization": "wrong-token"}},
        {"params": {"token": "wrong-token"}},
        {"params": {"token": ""}},
    ],
    ids=["none", "wrong-bearer", "no-scheme", "wrong-query", "empty-query"],
)
def test_a_message_without_the_token_is_refused_and_makes_no_tracker(
    helpline: Helpline, auth: dict[str, dict[str, str]]
) -> None:
    sender = f"forger-{secrets.token_hex(6)}"
    assert say(helpline, sender, **auth).status_code == 403
    assert not has_tracker(helpline, sender)


def test_rasas_own_rest_channel_is_not_served(helpline: Helpline) -> None:
    sender = f"forger-{secrets.token_hex(6)}"
    response = httpx.post(
        f"{helpline.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": "hello"}, timeout=30
    )
    assert response.status_code == 404
    assert not has_tracker(helpline, sender)


@pytest.mark.parametrize("where", ["header", "query"])
def test_with_the_token_rasa_answers(helpline: Helpline, where: str) -> None:
    sender = f"helpline-{secrets.token_hex(6)}"
    auth = (
        {"headers": {"Authorization": f"Bearer {helpline.rasa_token}"}}
        if where == "header"
        else {"params": {"token": helpline.rasa_token}}
    )
    response = say(helpline, sender, **auth)
    assert response.status_code == 200 and response.json()
    assert has_tracker(helpline, sender)


def test_the_launcher_takes_rasa_runs_options_and_the_token_only_from_the_environment() -> None:
    script = """
from helpline_rasa.serve import TokenOnCommandLine, run_arguments
parsed = run_arguments(["--enable-api", "--port", "5123", "--credentials", "credentials.yml"], "tok")
print(parsed.auth_token, parsed.port, parsed.enable_api, parsed.credentials, parsed.func.__module__)
try:
    run_arguments(["--auth-token", "x"], "tok")
except TokenOnCommandLine:
    print("refused")
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}
    env["RASA_TELEMETRY_ENABLED"] = "false"
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    expected = ["tok 5123 True credentials.yml rasa.cli.run", "refused"]
    assert done.stdout.split("\n")[:2] == expected, done.stderr
    unset = {key: value for key, value in env.items() if key != "HELPLINE_RASA_TOKEN"}
    without = subprocess.run(
        [str(RASA_PYTHON), "-m", "helpline_rasa.serve", "--enable-api"],
        cwd=ROOT,
        env=unset,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert without.returncode == 2 and "HELPLINE_RASA_TOKEN" in without.stderr
