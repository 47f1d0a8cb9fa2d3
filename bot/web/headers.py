"""The security headers of every page the helpline serves, and the one middleware that sets them.

The survivors' pages (chat, privacy notice) and the counsellors' console share the same rules: nothing
cached, no Referer, no framing, no camera or location; only their Content-Security-Policy differs.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Nothing of the chat or of a console page should linger in caches or leak to the next site.
PRIVATE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
# The survivors' pages: their own script and style, their own socket, nothing else.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# The console: `default-src 'self'` covers scripts, styles and the WebSocket; nothing inline or foreign.
CONSOLE_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
)


def page_headers(content_security_policy: str) -> dict[str, str]:
    """Every security header of an HTML page with this Content-Security-Policy."""
    return {
        **PRIVATE_HEADERS,
        "Content-Security-Policy": content_security_policy,
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "X-Robots-Tag": "noindex, nofollow",
    }


PAGE_HEADERS = page_headers(CONTENT_SECURITY_POLICY)
CONSOLE_HEADERS = page_headers(CONSOLE_CONTENT_SECURITY_POLICY)
_STARTS = ("http.response.start", "websocket.http.response.start")


class SecurityHeaders:
    """Sets fixed headers on every HTTP response of the wrapped app (WebSocket refusals too)."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self._app = app
        self._headers = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
        self._names = {name for name, _ in self._headers}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request through; replace these headers in the response's start."""

        async def send_with_headers(message: Message) -> None:
            if message["type"] in _STARTS:
                kept = [
                    (name, value) for name, value in message.get("headers", []) if name not in self._names
                ]
                message = {**message, "headers": [*kept, *self._headers]}
            await send(message)

        await self._app(scope, receive, send_with_headers)
