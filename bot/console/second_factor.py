"""The second step of a console login: a TOTP code (GET and POST /login/code), or, for a supervisor or
admin who has none yet, enrolling one (GET and POST /login/enroll) before any session.

Both steps need the pending login made by the right password (`pending.py`), its own CSRF token, and a
source that is not throttled; every wrong code counts as a failed login, and after a few the password is
asked again.
"""

from __future__ import annotations

import asyncio

import segno
import structlog
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from bot.console.auth import cookie_path
from bot.console.login import LoginFlow
from bot.console.pending import PENDING_COOKIE, PendingLogin, Stage
from bot.console.render import see_other
from bot.console.security import FormTooLarge, read_form, tokens_match
from bot.i18n import _
from bot.store.second_factor import CodeCheck, code_from, provisioning_uri

log = structlog.get_logger(__name__)

CODE_REFUSED = _("That code did not work. Enter the code your app shows now.")
CODE_FORM_EXPIRED = _("The form had expired. Enter the code again.")


class SecondFactorPages:
    """GET and POST /login/code and /login/enroll."""

    def __init__(self, flow: LoginFlow) -> None:
        self._flow = flow
        self._deps = flow.console.deps
        self._renderer = flow.console.renderer

    async def code_form(self, request: Request) -> Response:
        """The form for the code of an enrolled account."""
        pending = await self._pending(request, "code")
        if pending is None:
            return self._start_again(request)
        return self._code_page(request, pending, None, 200)

    async def code_submit(self, request: Request) -> Response:
        """Check the code: a session when it is right (and not used before), else another try or none."""
        return await self._submit(request, "code")

    async def enroll_form(self, request: Request) -> Response:
        """The secret to add to an authenticator app (as text, as an otpauth:// link and as a QR code)."""
        pending = await self._pending(request, "enroll")
        if pending is None:
            return self._start_again(request)
        return await self._enroll_page(request, pending, None, 200)

    async def enroll_submit(self, request: Request) -> Response:
        """Confirm enrolling with a code of the new secret: it is kept, and the session starts."""
        return await self._submit(request, "enroll")

    async def _submit(self, request: Request, stage: Stage) -> Response:
        pending = await self._pending(request, stage)
        if pending is None:
            return self._start_again(request)
        try:
            form = await read_form(request)
        except FormTooLarge:
            return await self._again(request, pending, CODE_FORM_EXPIRED, 413)
        if not tokens_match(pending.csrf, form.get("csrf")):
            return await self._again(request, pending, CODE_FORM_EXPIRED, 403)
        throttled = await self._flow.refused_if_throttled(request)
        if throttled is not None:
            return throttled
        code = code_from(form.get("code", "")[:32]) or ""
        outcome: CodeCheck
        if stage == "code":
            outcome = await asyncio.to_thread(self._deps.second_factor.check, pending.counsellor_id, code)
        else:
            assert pending.sealed_secret is not None  # an enroll stage always has its secret
            outcome = await asyncio.to_thread(
                self._deps.second_factor.enroll, pending.counsellor_id, pending.sealed_secret, code
            )
        if outcome == "accepted":
            return await self._log_in(request, pending)
        if outcome in ("wrong", "reused"):
            log.info("console_second_factor_refused", reason=outcome, counsellor=pending.counsellor_id)
            await self._flow.failed(request, pending.counsellor_id)
            if await self._flow.pending.wrong_code(pending):
                return self._start_again(request)
            return await self._again(request, pending, CODE_REFUSED, 401)
        # Reset, deactivated or enrolled elsewhere meanwhile: this pending login can lead nowhere.
        log.info("console_second_factor_refused", reason=outcome, counsellor=pending.counsellor_id)
        await self._flow.pending.drop(pending)
        return self._start_again(request)

    async def _log_in(self, request: Request, pending: PendingLogin) -> Response:
        """The code was right: use the pending login up (once) and start the session."""
        if not await self._flow.pending.take(pending):
            return self._start_again(request)  # another request used it first
        account = await asyncio.to_thread(self._deps.counsellors.get, pending.counsellor_id)
        if account is None or not account.active:
            return self._start_again(request)
        return await self._flow.start_session(request, account, second_factor=True)

    async def _pending(self, request: Request, stage: Stage) -> PendingLogin | None:
        pending = await self._flow.pending.get(request.cookies.get(PENDING_COOKIE))
        return pending if pending is not None and pending.stage == stage else None

    def _start_again(self, request: Request) -> Response:
        """Back to the password: with a word of why when a second step was under way."""
        notice = "login_again" if PENDING_COOKIE in request.cookies else None
        response = see_other(request, "/login", notice)
        response.delete_cookie(PENDING_COOKIE, path=cookie_path(request))
        return response

    async def _again(self, request: Request, pending: PendingLogin, error: str, status_code: int) -> Response:
        if pending.stage == "code":
            return self._code_page(request, pending, error, status_code)
        return await self._enroll_page(request, pending, error, status_code)

    def _code_page(
        self, request: Request, pending: PendingLogin, error: str | None, status_code: int
    ) -> Response:
        context = {"csrf": pending.csrf, "error": error, "minutes": self._minutes}
        return self._renderer.page(request, "login_code.html", context, status_code)

    async def _enroll_page(
        self, request: Request, pending: PendingLogin, error: str | None, status_code: int
    ) -> Response:
        assert pending.sealed_secret is not None
        account = await asyncio.to_thread(self._deps.counsellors.get, pending.counsellor_id)
        secret = self._deps.second_factor.opened(pending.sealed_secret)
        uri = provisioning_uri(secret, account.name if account else str(pending.counsellor_id))
        context = {
            "csrf": pending.csrf,
            "error": error,
            "minutes": self._minutes,
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "uri": uri,
            "qr": qr_svg(uri),
        }
        return self._renderer.page(request, "login_enroll.html", context, status_code)

    @property
    def _minutes(self) -> int:
        return max(1, self._flow.pending.ttl_s // 60)


def qr_svg(text: str) -> Markup:
    """`text` as a QR code in inline SVG (segno, pure Python): no image request, nothing the CSP forbids."""
    code = segno.make(text, error="m")
    svg = code.svg_inline(scale=4, dark="#000", light="#fff", svgclass="qr", lineclass=None, omitsize=False)
    return Markup(svg)  # made here from modules and numbers: no text of the URI is in it
