"""The encrypted tracker store, run where Rasa runs it (Rasa's own environment) against a real Redis."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

# Saves a tracker with a distinctive text, reads it back, then saves it with no events (the erase).
SCRIPT = """
import asyncio, json, sys
from helpline_rasa.tracker_store import EncryptedRedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

async def main():
    domain = Domain.load("domain.yml")
    store = EncryptedRedisTrackerStore(domain=domain, key_prefix=sys.argv[1])
    events = [UserUttered("the Zephyrine bakery"), BotUttered("Here is what I can tell you")]
    await store.save(DialogueStateTracker.from_events("someone", events, domain.slots))
    raw = store.red.get(sys.argv[1] + "someone")
    back = await store.retrieve("someone")
    seen = [event.as_dict().get("text") for event in back.events]
    keys = list(await store.keys())
    ttl = store.red.ttl(sys.argv[1] + "someone")
    await store.save(DialogueStateTracker.from_dict("someone", [], domain.slots))
    print(json.dumps({"raw": raw.decode(), "seen": seen, "keys": keys, "ttl": ttl,
                      "after_erase": store.red.exists(sys.argv[1] + "someone")}))

asyncio.run(main())
"""


@pytest.mark.integration
def test_trackers_are_stored_encrypted_with_an_expiry_and_erased_by_an_empty_save(
    redis_url: str, prefix: str
) -> None:
    if not RASA_PYTHON.exists():
        pytest.fail("Rasa's environment is missing: run `make setup`")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PYTHONWARNINGS": "ignore",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "HELPLINE_REDIS_URL": redis_url,
        "HELPLINE_TRANSCRIPT_KEY": Fernet.generate_key().decode(),
        "HELPLINE_TRACKER_RETENTION_H": "2",
    }
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", SCRIPT, prefix],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["raw"].startswith("gAAAAA") and "Zephyrine" not in result["raw"]
    assert result["seen"] == ["the Zephyrine bakery", "Here is what I can tell you"]
    assert result["keys"] == ["someone"]
    assert 0 < result["ttl"] <= 2 * 3600
    assert result["after_erase"] == 0
