"""Logging in and out of the console: the password (argon2, through CounsellorStore), then for supervisors and
admins (and anyone enrolled) a second factor (`second_factor.py`) before there is a session.

Every step goes through the throttle of failed logins (`throttle.py`): a source with too many failures is
refused for a while, whatever name and password it sends, and no account is ever locked by failures.
"""

from __future__ import annotations

import asyncio

import structlog
from starlette.requests import Request
from starlette.responses import Response

from bot.console.auth import FORM_EXPIRED, SESSION_COOKIE, cookie_path
from bot.console.deps import Console
from bot.console.pending import PENDING_COOKIE
from bot.console.render import see_other
from bot.console.security import FormTooLarge, is_token, new_token, read_form, tokens_match
from bot.i18n import _
from bot.store.counsellors import CounsellorAccount, LoginRefused
from bot.web.headers import https_only

log = structlog.get_logger(__name__)

LOGIN_COOKIE = "helpline_console_login"  # the CSRF token of the login form, before there is a session
LOGIN_FORM_TTL_S = 3600
# One sentence for every refusal: a wrong name, a wrong password, an inactive account look alike.
LOGIN_REFUSED = _("That name and password did not work. Try again, or ask an administrator.")
# One sentence for a throttled source, whatever name it sends: it tells nothing about any account.
THROTTLED = _("Too many failed logins from this connection. Wait %(minutes)s minutes, then try again.")
LOGIN_FORM_EXPIRED = _("The form had expired. Try again.")


class LoginFlow:
    """What the password and the second step share: the throttle, counting failures (and the admins' alert),
    starting a session, the login page and the console's cookies."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.pending = console.pending
        self._throttle = console.throttle
        self._secure = console.deps.secure_cookies

    async def refused_if_throttled(self, request: Request) -> Response | None:
        """The 429 page when the request's source must wait; None when it may try."""
        if not await self._throttle.throttled(self._throttle.source_of(request)):
            return None
        log.info("console_login_throttled")  # never the address, never the name tried
        wait_s = self._throttle.policy.throttle_s
        minutes = max(1, -(-wait_s // 60))
        response = self.login_page(request, THROTTLED, 429, {"minutes": minutes})
        response.headers["Retry-After"] = str(wait_s)
        return response

    async def failed(self, request: Request, counsellor_id: int | None) -> None:
        """Count a failed login (a wrong password or code) against its source and its account."""
        deps, policy = self.console.deps, self._throttle.policy
        failure = await self._throttle.failed(self._throttle.source_of(request), counsellor_id)
        if failure.throttled_now:
            detail = f"a source after {policy.max_failures} failed logins within {policy.window_s // 60} min"
            log.warning("console_login_source_throttled", failures=policy.max_failures)
            await asyncio.to_thread(deps.handoffs.audit, "source_throttled", None, None, detail)
        if failure.alert_failures is not None and counsellor_id is not None:
            log.warning("console_login_alert", counsellor=counsellor_id, failures=failure.alert_failures)
            await asyncio.to_thread(
                deps.counsellors.raise_login_alert,
                counsellor_id,
                failure.alert_failures,
                policy.alert_window_s,
            )

    async def start_session(
        self, request: Request, account: CounsellorAccount, second_factor: bool
    ) -> Response:
        """Log the account in: a new session (never an old one carried over), and on to the queue."""
        sessions = self.console.sessions
        stale = await sessions.of_connection(request)
        if stale is not None:
            await sessions.end(stale)
        session = await sessions.start(account, second_factor)
        log.info("console_login", counsellor=account.id, second_factor=second_factor)
        response = see_other(request, "/")
        self.set_cookie(request, response, SESSION_COOKIE, session.token, self.console.deps.session_ttl_s)
        response.delete_cookie(LOGIN_COOKIE, path=cookie_path(request))
        response.delete_cookie(PENDING_COOKIE, path=cookie_path(request))
        return response

    async def second_step(self, request: Request, account: CounsellorAccount) -> Response:
        """After the right password: an enrolled account's code, or enrolling for a role that needs it."""
        earlier = await self.pending.get(request.cookies.get(PENDING_COOKIE))
        if earlier is not None:
            await self.pending.drop(earlier)
        if account.second_factor:
            pending, path = await self.pending.start(account.id, "code"), "/login/code"
        else:
            offer = self.console.deps.second_factor.offer()
            pending, path = await self.pending.start(account.id, "enroll", offer.sealed), "/login/enroll"
        response = see_other(request, path)
        # The cookie outlives the step (which Redis ends on time), so the page can say that it expired.
        self.set_cookie(request, response, PENDING_COOKIE, pending.token, self.pending.ttl_s + 300)
        return response

    def login_page(
        self,
        request: Request,
        error: str | None,
        status_code: int,
        error_args: dict[str, object] | None = None,
    ) -> Response:
        """The login form, with a CSRF token also kept in a short-lived cookie (double submit); `error` is
        translated on the page, then filled with `error_args`."""
        token = request.cookies.get(LOGIN_COOKIE)
        if not is_token(token):
            token = new_token()
        renderer = self.console.renderer
        context = {"csrf": token, "error": error, "error_args": error_args or {}}
        response = renderer.page(request, "login.html", context, status_code)
        self.set_cookie(request, response, LOGIN_COOKIE, token, LOGIN_FORM_TTL_S)
        return response

    def set_cookie(self, request: Request, response: Response, name: str, value: str, max_age: int) -> None:
        """A console cookie: HttpOnly, SameSite=Strict, for the console's path only, Secure over HTTPS."""
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path=cookie_path(request),
            secure=https_only(request.scope, self._secure),
            httponly=True,
            samesite="strict",
        )


class LoginPages:
    """GET and POST /login, POST /logout."""

    def __init__(self, flow: LoginFlow) -> None:
        self._flow = flow
        self._console = flow.console

    async def form(self, request: Request) -> Response:
        """GET /login: the form."""
        if await self._console.sessions.of_connection(request) is not None:
            return see_other(request, "/")
        return self._flow.login_page(request, None, 200)

    async def submit(self, request: Request) -> Response:
        """POST /login: the CSRF token, the throttle, then the password; then a session or the second step."""
        flow = self._flow
        try:
            form = await read_form(request)
        except FormTooLarge:
            return flow.login_page(request, LOGIN_REFUSED, 413)
        if not tokens_match(request.cookies.get(LOGIN_COOKIE), form.get("csrf")):
            return flow.login_page(request, LOGIN_FORM_EXPIRED, 403)
        throttled = await flow.refused_if_throttled(request)
        if throttled is not None:
            return throttled
        name, password = form.get("name", "")[:64], form.get("password", "")[:1024]
        try:
            account = await asyncio.to_thread(self._console.deps.counsellors.verify_password, name, password)
        except LoginRefused as refusal:
            log.info("console_login_refused", reason=refusal.reason)  # the store audits who and why
            await flow.failed(request, refusal.counsellor_id)
            return flow.login_page(request, LOGIN_REFUSED, 401)
        if account.needs_second_factor:
            return await flow.second_step(request, account)
        return await flow.start_session(request, account, second_factor=False)

    async def logout(self, request: Request) -> Response:
        """POST /logout (with the session's CSRF token): the session ends, the counsellor is offline."""
        sessions = self._console.sessions
        session = await sessions.of_connection(request)
        if session is None:
            return see_other(request, "/login")
        form = await read_form(request)
        if not tokens_match(session.csrf, form.get("csrf")):
            return self._console.renderer.refusal(request, 403, FORM_EXPIRED, session)
        await sessions.end(session)
        await self._console.presence.mark_offline(session.seat_id)
        response = see_other(request, "/login")
        response.delete_cookie(SESSION_COOKIE, path=cookie_path(request))
        return response
