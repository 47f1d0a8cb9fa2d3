"""A small client of LibreTranslate's HTTP API: `POST /translate` and `GET /languages`.

Only the deployment's own server is ever called (HELPLINE_TRANSLATE_URL), with short timeouts. Errors come
back as `TranslationFailed` naming the HTTP status or the kind of failure, never the text: the caller sends
the original instead, and logs carry no text.
"""

from __future__ import annotations

from typing import Any

import httpx

CONNECT_TIMEOUT_S = 2.0
# Newer LibreTranslate names Chinese by script; the helpline's `zh` is simplified Chinese.
SCRIPT_CODES = {"zh": ("zh-Hans", "zh")}


class TranslationFailed(Exception):
    """The server did not translate: `reason` is its HTTP status ("429") or the failure ("ConnectTimeout")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LibreTranslate:
    """POST /translate (q, source, target, format, api_key) and GET /languages of one server."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        timeout_s: float = 8.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._api_key = api_key
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout_s, connect=min(CONNECT_TIMEOUT_S, timeout_s)),
            transport=transport,
            follow_redirects=False,
            trust_env=False,  # never through a proxy from the environment: the text goes to this server only
        )
        self._codes: dict[str, str] | None = None

    async def translate(self, text: str, source: str, target: str) -> str:
        """`text` from the `source` language into `target` (helpline locales: "uk", "en", "zh")."""
        codes = await self._server_codes()
        body: dict[str, Any] = {
            "q": text,
            "source": codes.get(source, source),
            "target": codes.get(target, target),
            "format": "text",
        }
        if self._api_key:
            body["api_key"] = self._api_key
        answer = await self._call("POST", "/translate", body)
        translated = answer.get("translatedText") if isinstance(answer, dict) else None
        if not isinstance(translated, str):
            raise TranslationFailed("unexpected answer")
        return translated

    async def languages(self) -> dict[str, tuple[str, ...]]:
        """The server's languages and, for each, the languages it translates into."""
        answer = await self._call("GET", "/languages", None)
        if not isinstance(answer, list):
            raise TranslationFailed("unexpected answer")
        return {
            str(item["code"]): tuple(str(code) for code in item.get("targets", ()))
            for item in answer
            if isinstance(item, dict) and "code" in item
        }

    async def aclose(self) -> None:
        """Close the connections."""
        await self._client.aclose()

    async def _server_codes(self) -> dict[str, str]:
        """The server's code for each helpline locale that differs (learnt once; none if it cannot tell)."""
        if self._codes is None:
            try:
                known = await self.languages()
            except TranslationFailed:
                return {}
            self._codes = {
                locale: next(code for code in candidates if code in known)
                for locale, candidates in SCRIPT_CODES.items()
                if any(code in known for code in candidates)
            }
        return self._codes

    async def _call(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        try:
            response = await self._client.request(method, path, json=body)
        except httpx.HTTPError as error:
            raise TranslationFailed(type(error).__name__) from None
        if response.status_code != 200:
            raise TranslationFailed(str(response.status_code))
        try:
            return response.json()
        except ValueError:
            raise TranslationFailed("unexpected answer") from None
