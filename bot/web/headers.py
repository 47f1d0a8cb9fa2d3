"""The security headers of every page the helpline serves, and the one middleware that sets them.

The survivors' pages (chat, privacy notice) and the counsellors' console share the same rules: nothing
cached, no Referer, no framing, no camera or location; only their Content-Security-Policy differs. The
console also keeps to HTTPS (Secure cookies and HSTS), except over plain HTTP straight to this machine.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from starlette.datastructures import Headers
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
# Browsers keep to HTTPS for a year once they saw this over HTTPS (they ignore it over plain HTTP). Only the
# console sends it: on the survivors' pages it would be one more trace of the visit in their browser.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"


def plain_local_http(scope: Scope) -> bool:
    """True for a request over plain HTTP straight from a browser on this machine (`make run`): scheme http
    or ws, a loopback Host, and no proxy header saying the browser used HTTPS."""
    if scope.get("scheme") not in ("http", "ws"):
        return False
    headers = Headers(scope=scope)
    forwarded_proto = headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    forwarded = headers.get("forwarded", "").lower().replace(" ", "")
    if forwarded_proto == "https" or "proto=https" in forwarded or headers.get("x-forwarded-ssl") == "on":
        return False
    return _is_loopback(urlsplit("//" + headers.get("host", "")).hostname or "")


def _is_loopback(hostname: str) -> bool:
    if hostname == "localhost" or hostname.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def https_only(scope: Scope, setting: bool | None) -> bool:
    """Whether this request's cookies are Secure and HSTS is sent: the setting when set; unset, always but
    for plain HTTP straight to this machine (see `Settings.effective_console_secure_cookies`)."""
    return setting if setting is not None else not plain_local_http(scope)


class SecurityHeaders:
    """Sets fixed headers on every HTTP response of the wrapped app (WebSocket refusals too), and HSTS
    where `strict_transport` (the console's Secure-cookie setting, read by `https_only`) asks for it."""

    def __init__(self, app: ASGIApp, headers: dict[str, str], strict_transport: bool | None = False) -> None:
        self._app = app
        self._headers = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
        self._strict_transport = strict_transport
        self._names = {name for name, _ in self._headers} | {b"strict-transport-security"}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request through; replace these headers in the response's start."""
        headers = list(self._headers)
        if scope["type"] in ("http", "websocket") and https_only(scope, self._strict_transport):
            headers.append((b"strict-transport-security", STRICT_TRANSPORT_SECURITY.encode()))

        async def send_with_headers(message: Message) -> None:
            if message["type"] in _STARTS:
                kept = [
                    (name, value) for name, value in message.get("headers", []) if name not in self._names
                ]
                message = {**message, "headers": [*kept, *headers]}
            await send(message)

        await self._app(scope, receive, send_with_headers)
