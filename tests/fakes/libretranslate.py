"""A fake LibreTranslate on loopback that speaks its real HTTP API, with a small word dictionary.

What is real: `POST /translate` taking JSON or a form (`q`, `source`, `target`, `format`, `api_key`) and
answering `{"translatedText": ...}`; `GET /languages` answering `[{"code", "name", "targets"}]`; errors as
LibreTranslate's JSON `{"error": ...}`: 400 (a missing field, a language it does not have), 403 (an API key
is required or wrong), 429 (too many requests), 500 (the translation failed).

Deviations, on purpose: translation is word by word from a small Ukrainian/English dictionary (an unknown
word is kept as it is, in brackets, so a test sees what was not translated); tests can make the next calls
fail (`fail_next`) or slow (`delay_s`), and read what the server was sent (`requests`).
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.loopback import LoopbackServer

JSON = dict[str, Any]
UK_EN = {
    "мені": "i",
    "потрібна": "need",
    "допомога": "help",
    "я": "i",
    "у": "in",
    "безпеці": "safety",
    "дякую": "thank you",
    "де": "where",
    "можна": "can",
    "спати": "sleep",
    "ми": "we",
    "можемо": "can",
    "вам": "you",
    "допомогти": "help",
    "ви": "you",
    "зараз": "now",
    "в": "in",
}
EN_UK = {
    "we": "ми",
    "can": "можемо",
    "help": "допомогти",
    "you": "вам",
    "are": "ви",
    "safe": "у безпеці",
    "now": "зараз",
    "i": "я",
    "need": "потрібна",
    "thank": "дякую",
}
DICTIONARIES = {("uk", "en"): UK_EN, ("en", "uk"): EN_UK}
LANGUAGES = [
    {"code": "en", "name": "English", "targets": ["en", "uk"]},
    {"code": "uk", "name": "Ukrainian", "targets": ["en", "uk"]},
]
WORD = re.compile(r"[\w']+|[^\w\s]")


def translate_words(text: str, source: str, target: str) -> str:
    """Word by word; an unknown word stays, in brackets."""
    words = DICTIONARIES[(source, target)]
    out = []
    for token in WORD.findall(text):
        if token[0].isalnum():
            out.append(words.get(token.lower(), f"[{token}]"))
        else:
            out.append(token)
    return re.sub(r" ([?.!,])", r"\1", " ".join(out))


@dataclass
class FakeLibreTranslate:
    """One LibreTranslate server in a background thread; thread-safe to drive from tests."""

    api_key: str | None = None  # when set, every request must carry it (403 otherwise)
    port: int = 0
    delay_s: float = 0.0
    requests: list[JSON] = field(default_factory=list)
    _failures: deque[int] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _loopback: LoopbackServer | None = None

    @property
    def base_url(self) -> str:
        """What to give HELPLINE_TRANSLATE_URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Serve on a free loopback port; return once it accepts connections."""
        app = Starlette(
            routes=[
                Route("/translate", self._translate, methods=["POST"]),
                Route("/languages", self._languages, methods=["GET"]),
            ]
        )
        self._loopback = LoopbackServer(app, "fake-libretranslate")
        self.port = self._loopback.start()

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        if self._loopback is not None:
            self._loopback.stop()
        self._loopback = None

    def __enter__(self) -> FakeLibreTranslate:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def fail_next(self, status: int, times: int = 1) -> None:
        """The next `times` translations fail with `status` (400, 403, 429 or 500), as the real one does."""
        with self._lock:
            self._failures.extend([status] * times)

    def translations(self) -> list[JSON]:
        """The bodies of the /translate requests received."""
        with self._lock:
            return list(self.requests)

    async def _languages(self, _request: Request) -> JSONResponse:
        return JSONResponse(LANGUAGES)

    async def _translate(self, request: Request) -> JSONResponse:
        if request.headers.get("content-type", "").startswith("application/json"):
            body: JSON = await request.json()
        else:
            body = dict(await request.form())
        with self._lock:
            self.requests.append(body)
            failure = self._failures.popleft() if self._failures else None
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if failure is not None:
            return _error(failure, _FAILURES[failure])
        for name in ("q", "source", "target"):
            if not body.get(name):
                return _error(400, f"Invalid request: missing {name} parameter")
        if self.api_key is not None and body.get("api_key") != self.api_key:
            return _error(403, "Invalid API key")
        source, target = str(body["source"]), str(body["target"])
        if (source, target) not in DICTIONARIES and source != target:
            unknown = source if source not in ("en", "uk") else target
            return _error(400, f"{unknown} is not supported")
        text = str(body["q"])
        translated = text if source == target else translate_words(text, source, target)
        return JSONResponse({"translatedText": translated})


_FAILURES = {
    400: "Invalid request",
    403: "Visit https://portal.libretranslate.com to get an API key",
    429: "Too many request limits violation",
    500: "Cannot translate text: internal error",
}


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
