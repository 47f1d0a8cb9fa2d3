"""The counsellor console: a Starlette app the web app mounts at /console.

Every page and form but the login (password, then the second factor) needs a session (pages and forms:
303 to the login; WebSockets: 401),
every form and the first frame of every WebSocket carry the session's CSRF token, and every response
carries the security headers (a strict CSP: no inline script, nothing from another site).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from bot.console.abuse import AbusePages
from bot.console.admin import AdminPages
from bot.console.chat import ChatPages
from bot.console.deps import Console, ConsoleDeps, ConsoleEngine
from bot.console.live import ChatLive, QueueLive
from bot.console.login import LoginFlow, LoginPages
from bot.console.second_factor import SecondFactorPages
from bot.console.security import MAX_FORM_BYTES
from bot.console.settings import SettingsPages
from bot.console.views import QueuePages
from bot.web.headers import CONSOLE_HEADERS, SecurityHeaders
from bot.web.templates import STATIC_DIR

__all__ = ["ConsoleDeps", "ConsoleEngine", "console_routes", "create_console"]

TICKET = "{ticket_id:str}"
COUNSELLOR = "{counsellor_id:str}"  # read by row_id: an int convertor fails on a 5,000-digit id


def console_routes(console: Console) -> list[BaseRoute]:
    """Every route of the console, in one readable table."""
    guard = console.guard
    queue, chat, settings = QueuePages(console), ChatPages(console), SettingsPages(console)
    post = ["POST"]
    return [
        *login_routes(console),
        Route("/", guard(queue.queue), methods=["GET"], name="console_queue"),
        Route(f"/tickets/{TICKET}/claim", guard(queue.claim), methods=post, name="console_claim"),
        Route(f"/chats/{TICKET}", guard(chat.page), methods=["GET"], name="console_chat"),
        Route(f"/chats/{TICKET}/messages", guard(chat.message), methods=post, name="console_message"),
        Route(f"/chats/{TICKET}/canned", guard(chat.canned), methods=post, name="console_canned"),
        Route(f"/chats/{TICKET}/translate", guard(chat.translate), methods=post, name="console_translate"),
        Route(f"/chats/{TICKET}/notes", guard(chat.note), methods=post, name="console_note"),
        Route(f"/chats/{TICKET}/transfer", guard(chat.transfer), methods=post, name="console_transfer"),
        Route(f"/chats/{TICKET}/requeue", guard(chat.requeue), methods=post, name="console_requeue"),
        Route(f"/chats/{TICKET}/resolve", guard(chat.resolve), methods=post, name="console_resolve"),
        Route("/settings", guard(settings.page), methods=["GET"], name="console_settings"),
        Route("/settings/language", guard(settings.language), methods=post, name="console_language"),
        Route(
            "/supervisor", guard(queue.supervisor, "supervisor"), methods=["GET"], name="console_supervisor"
        ),
        *abuse_routes(console),
        *admin_routes(console),
        WebSocketRoute("/live", QueueLive(console).serve, name="console_live"),
        WebSocketRoute(f"/chats/{TICKET}/live", ChatLive(console).serve, name="console_chat_live"),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="console_static"),
    ]


def abuse_routes(console: Console) -> list[BaseRoute]:
    """Flagging a chat as abusive (its readers), blocking and unblocking the person (supervisors)."""
    guard, abuse = console.guard, AbusePages(console)
    return [
        Route(f"/chats/{TICKET}/flag", guard(abuse.flag), methods=["POST"], name="console_flag"),
        Route(
            "/supervisor/flags/{flag_id:str}/block",
            guard(abuse.block, "supervisor"),
            methods=["POST"],
            name="console_block",
        ),
        Route(
            "/supervisor/blocks/{block_id:str}/unblock",
            guard(abuse.unblock, "supervisor"),
            methods=["POST"],
            name="console_unblock",
        ),
    ]


def login_routes(console: Console) -> list[BaseRoute]:
    """The password, then the second factor (a code, or enrolling one), and logging out."""
    flow = LoginFlow(console)
    login, second = LoginPages(flow), SecondFactorPages(flow)
    get, post = ["GET"], ["POST"]
    return [
        Route("/login", login.form, methods=get, name="console_login"),
        Route("/login", login.submit, methods=post, name="console_login_submit"),
        Route("/login/code", second.code_form, methods=get, name="console_login_code"),
        Route("/login/code", second.code_submit, methods=post, name="console_login_code_submit"),
        Route("/login/enroll", second.enroll_form, methods=get, name="console_login_enroll"),
        Route("/login/enroll", second.enroll_submit, methods=post, name="console_login_enroll_submit"),
        Route("/logout", login.logout, methods=post, name="console_logout"),
    ]


def admin_routes(console: Console) -> list[BaseRoute]:
    """The admin's page and forms: the team's accounts."""
    guard, admin = console.guard, AdminPages(console)
    account = f"/admin/counsellors/{COUNSELLOR}"
    return [
        Route("/admin", guard(admin.page, "admin"), methods=["GET"], name="console_admin"),
        Route(
            "/admin/counsellors", guard(admin.add, "admin"), methods=["POST"], name="console_add_counsellor"
        ),
        Route(
            f"{account}/deactivate",
            guard(admin.deactivate, "admin"),
            methods=["POST"],
            name="console_deactivate",
        ),
        Route(
            f"{account}/activate", guard(admin.activate, "admin"), methods=["POST"], name="console_activate"
        ),
        Route(
            f"{account}/reset-second-factor",
            guard(admin.reset_second_factor, "admin"),
            methods=["POST"],
            name="console_reset_second_factor",
        ),
        Route(
            f"{account}/acknowledge-alert",
            guard(admin.acknowledge_alert, "admin"),
            methods=["POST"],
            name="console_acknowledge_alert",
        ),
    ]


def create_console(deps: ConsoleDeps) -> Starlette:
    """The console app over services opened by the caller; mount it at /console."""
    console = Console.build(deps)
    return Starlette(
        routes=console_routes(console),
        middleware=[
            Middleware(SecurityHeaders, headers=CONSOLE_HEADERS, strict_transport=deps.secure_cookies)
        ],
        max_body_size=MAX_FORM_BYTES,
    )
