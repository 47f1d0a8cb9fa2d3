"""Rasa's secrets from files (compose secrets), where Rasa runs (its own Python 3.10 environment): the
launcher puts them into the environment before Rasa expands endpoints.yml and credentials.yml, the Redis
password joins the trackers' URL, and the encrypted tracker store works with its key and Redis as files."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

EXPAND = """
import json
from helpline_rasa.secret_files import resolve_into_environment
resolve_into_environment()
from rasa.shared.utils.io import read_config_file
from rasa.utils.endpoints import read_endpoint_config
store = read_endpoint_config("endpoints.yml", "tracker_store")
credentials = read_config_file("credentials.yml")["helpline_rasa.channel.TokenRestInput"]
print(json.dumps({"url": store.url, "token": credentials["token"]}))
"""

STORE = """
import asyncio, json, sys
from helpline_rasa.tracker_store import EncryptedRedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

async def main():
    domain = Domain.load("domain.yml")
    store = EncryptedRedisTrackerStore(domain=domain, key_prefix=sys.argv[1])
    events = [UserUttered("the Zephyrine bakery")]
    await store.save(DialogueStateTracker.from_events("someone", events, domain.slots))
    raw = store.red.get(sys.argv[1] + "someone")
    back = await store.retrieve("someone")
    print(json.dumps({"raw": raw.decode(), "seen": [e.as_dict().get("text") for e in back.events]}))

asyncio.run(main())
"""


def rasa_env(**variables: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HELPLINE_")}
    env.update(PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore", SQLALCHEMY_SILENCE_UBER_WARNING="1")
    env["RASA_TELEMETRY_ENABLED"] = "false"
    return {**env, **variables}


def run_in_rasa(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    if not RASA_PYTHON.exists():
        pytest.fail("Rasa's environment is missing: run `make setup`")
    return subprocess.run(
        [str(RASA_PYTHON), *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )


def write(path: Path, content: str) -> str:
    path.write_text(content)
    return str(path)


@pytest.mark.integration
def test_rasas_yml_files_get_the_token_and_the_redis_password_from_files(tmp_path: Path) -> None:
    env = rasa_env(
        HELPLINE_RASA_TOKEN_FILE=write(tmp_path / "token", "token-from-a-file\n"),
        HELPLINE_REDIS_URL="redis://redis:6379/0",
        HELPLINE_REDIS_PASSWORD_FILE=write(tmp_path / "password", "pass/word+\n"),
        HELPLINE_NLG_URL="http://actions:5055/nlg",
        HELPLINE_ACTIONS_URL="http://actions:5055/webhook",
    )
    done = run_in_rasa(["-c", EXPAND], env)
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"url": "redis://:pass%2Fword%2B@redis:6379/0", "token": "token-from-a-file"}


@pytest.mark.integration
def test_the_launcher_refuses_an_empty_token_file_and_a_token_on_its_command_line(tmp_path: Path) -> None:
    empty = run_in_rasa(
        ["-m", "helpline_rasa.serve", "--enable-api"],
        rasa_env(HELPLINE_RASA_TOKEN_FILE=write(tmp_path / "t", "\n")),
    )
    assert empty.returncode == 2 and "HELPLINE_RASA_TOKEN_FILE" in empty.stderr and "is empty" in empty.stderr
    argv = run_in_rasa(
        ["-m", "helpline_rasa.serve", "--auth-token", "x"],
        rasa_env(HELPLINE_RASA_TOKEN_FILE=write(tmp_path / "t", "token\n")),
    )
    assert argv.returncode == 2 and "not with --auth-token" in argv.stderr  # the file's token was taken


@pytest.mark.integration
def test_the_tracker_store_works_with_its_key_and_redis_from_files(
    tmp_path: Path, redis_url: str, prefix: str
) -> None:
    env = rasa_env(
        HELPLINE_REDIS_URL_FILE=write(tmp_path / "url", redis_url + "\n"),
        HELPLINE_TRANSCRIPT_KEY_FILE=write(tmp_path / "key", Fernet.generate_key().decode() + "\n"),
    )
    done = run_in_rasa(["-c", STORE, prefix], env)
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["raw"].startswith("gAAAAA") and "Zephyrine" not in found["raw"]
    assert found["seen"] == ["the Zephyrine bakery"]
