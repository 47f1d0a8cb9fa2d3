"""The web chat alone, for browser tests that kill and restart it: the real page and socket, the real frame
ledger on Redis, and an echoing conversation core that writes what it handled to a file (test data only).

`python -m uvicorn --factory tests.e2e.webchat_server:create` with HELPLINE_TEST_REDIS_URL and
WEBCHAT_HANDLED_FILE set.
"""

from __future__ import annotations

import os
from pathlib import Path

from redis.asyncio import Redis
from starlette.applications import Starlette

from bot.channels.webchat import webchat_routes
from bot.channels.webchat_frames import FrameLedger
from bot.messages import Channel, IncomingMessage, Reply
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SECRET = b"test-webchat-server-secret"


class EchoCore:
    """Answers "You said: …" and appends each handled message to a file, one line each."""

    def __init__(self, handled: Path) -> None:
        self._handled = handled

    async def locale_for(self, pseudonym: str, channel: Channel, hint: str) -> str:
        return "en"

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        with self._handled.open("a", encoding="utf-8") as record:
            record.write(message.text + "\n")
        return [Reply(f"You said: {message.text}")]


def create() -> Starlette:
    frames = FrameLedger(Redis.from_url(os.environ["HELPLINE_TEST_REDIS_URL"]))
    core = EchoCore(Path(os.environ["WEBCHAT_HANDLED_FILE"]))
    settings = Settings(content_dir=ROOT / "content")
    return Starlette(routes=webchat_routes(core, settings, SECRET, locales=("en",), frames=frames))
