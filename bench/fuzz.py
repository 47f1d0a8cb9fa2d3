"""Fuzz: odd and malformed inputs through every entry point of a running helpline, from a seeded generator.

The whole helpline runs as `make run` does (tests/stack.py) with a fake Telegram Bot API (long polling), and a
second gateway in webhook mode beside it (its own fake Bot API), as tests/e2e/test_telegram_webhook.py does.
Entry points and their share of the inputs:
- Telegram updates through getUpdates (odd texts, buttons, unknown update kinds, missing optional fields:
  what Telegram's schema allows) and POSTs to the webhook with its secret (anything: broken JSON, wrong
  types, missing fields, binary, over 1 MB) and without it;
- web chat frames (invalid JSON, wrong types, huge and binary frames, no hello, second hello);
- the console's forms (login, CSRF-less posts, huge fields, odd ticket ids) and its live socket;
- the action server's /webhook and /nlg (malformed Rasa payloads).

- fuzz_crashes: a part restarted (the supervisor's log), a 5xx answer, a socket closed with 1011.
- fuzz_tracebacks_to_users: any answer, frame, page or message to a person that looks like a stack trace
  ("Traceback", `File "`, an exception class name, "line N, in").
Both must be 0. Prints the figures and merges them into bench/results.json. No input text is logged.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chaos_kit import helpline_on_fake_telegram, part_pids, report, source_address  # noqa: E402
from bot.store.counsellors import CounsellorStore  # noqa: E402
from bot.store.database import create_database_engine  # noqa: E402
from tests.conftest import STAFFING_ALWAYS_OPEN  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramAPI  # noqa: E402
from tests.stack import ROOT as STACK_ROOT  # noqa: E402
from tests.stack import Helpline, free_port  # noqa: E402

TRACE = re.compile(r"Traceback|File \"|\b[A-Z][A-Za-z]*(?:Error|Exception)\b|line \d+, in ")
SHARES = {"telegram": 0.2, "webhook": 0.15, "webchat": 0.3, "console": 0.2, "actions": 0.15}
WEBHOOK_SECRET = "fuzz-webhook-secret"
PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
USERS = 778_000_000


class Findings:
    def __init__(self) -> None:
        self.crashes: Counter[str] = Counter()
        self.traces: Counter[str] = Counter()
        self.inputs: Counter[str] = Counter()
        self.client_errors: Counter[str] = Counter()

    def answer(self, entry: str, text: str) -> None:
        if TRACE.search(text):
            self.traces[entry] += 1

    def status(self, entry: str, status: int) -> None:
        if status >= 500:
            self.crashes[f"{entry}_5xx"] += 1


# ----- the generator --------------------------------------------------------------------------------


def odd_text(rng: random.Random) -> str:
    pick = rng.randrange(14)
    if pick == 0:
        return "x" * rng.choice([4096, 4097, 5000, 70_000])
    if pick == 1:
        return "".join(chr(rng.randrange(0, 32)) for _ in range(rng.randrange(1, 60)))
    if pick == 2:
        return "\u202e\u2066hello\u2069 \u200f" + "مرحبا" * rng.randrange(1, 50)
    if pick == 3:
        return "".join(rng.choice("😀🆘🔥👨‍👩‍👧‍👦🏳️‍🌈\u200d\ufe0f") for _ in range(rng.randrange(1, 300)))
    if pick == 4:
        return rng.choice(["", " ", "\n\n\t", "\x00", "\ufeff", "\u0000abc"])
    if pick == 5:
        return rng.choice(["/start", "/stop", "/menu", "/handoff", "/handoff_x", "/help@other_bot", "/"]) + (
            " " + "a" * rng.randrange(0, 100)
        )
    if pick == 6:
        return rng.choice(["<script>alert(1)</script>", "{0}%s%n{{x}}", "'; DROP TABLE x; --", "${jndi:x}"])
    if pick == 7:
        return "\ud800\udfff"[rng.randrange(2)] + "a"  # a lone surrogate
    if pick == 8:
        return " ".join(
            rng.choice(["help", "passport", "ayuda", "помогите", "ajutor", "الشرطة"]) for _ in range(20)
        )
    if pick == 9:
        return "".join(chr(rng.randrange(0x20, 0x2FFFF)) for _ in range(rng.randrange(1, 200)))
    if pick == 10:
        return "/ask_shelter" if rng.random() < 0.5 else "/accept_" + "f" * rng.randrange(0, 80)
    if pick == 11:
        return "a\r\nb\u2028c\u2029d\x7f\x85"
    if pick == 12:
        return "%" * rng.randrange(1, 50) + "\\" * rng.randrange(1, 50)
    return "i need help " + str(rng.randrange(10**6))


def wire(text: str) -> str:
    """The text as a client can put it on the wire (a lone surrogate has no UTF-8; JSON escapes it)."""
    return text.encode("utf-8", "replace").decode("utf-8")


def odd_value(rng: random.Random, depth: int = 0) -> Any:
    pick = rng.randrange(9 if depth < 3 else 6)
    if pick == 0:
        return None
    if pick == 1:
        return rng.choice([0, -1, 2**63, -(2**70), 1.5e308])
    if pick == 2:
        return rng.random() < 0.5
    if pick in (3, 4, 5):
        return odd_text(rng)[:2000]
    if pick == 6:
        return [odd_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    return {odd_text(rng)[:20]: odd_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))}


def mutate(rng: random.Random, data: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """Drop a field, change its type, or add junk."""
    data = dict(data)
    for _ in range(rng.randrange(1, 3)):
        key = rng.choice(keys)
        how = rng.randrange(3)
        if how == 0:
            data.pop(key, None)
        elif how == 1:
            data[key] = odd_value(rng)
        else:
            data[odd_text(rng)[:30]] = odd_value(rng)
    return data


def telegram_update(rng: random.Random, update_id: int, breaking: bool) -> dict[str, Any]:
    """An update whose content is odd; with `breaking`, also one that breaks Telegram's schema."""
    user_id = USERS + rng.randrange(300)
    user = {"id": user_id, "is_bot": False, "first_name": odd_text(rng)[:64] or "x"}
    if rng.random() < 0.5:
        user["language_code"] = rng.choice(["en", "ar", "xx", "", "zz-ZZ-long", "ru"])
    chat = {"id": user_id, "type": rng.choice(["private", "private", "group", "channel", "supergroup"])}
    message: dict[str, Any] = {"message_id": rng.randrange(1, 10**6), "date": int(time.time()), "chat": chat}
    message["from"] = user
    kind = rng.choice(["message", "message", "edited_message", "callback_query", "channel_post", "odd"])
    pick = rng.randrange(5)
    if pick == 0:
        message["text"] = odd_text(rng)
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": rng.randrange(0, 40)}]
    elif pick == 1:
        message["sticker"] = {
            "file_id": "x",
            "file_unique_id": "y",
            "width": 1,
            "height": 1,
            "type": "regular",
            "is_animated": False,
            "is_video": False,
        }
    elif pick == 2:
        message["caption"] = odd_text(rng)
        message["photo"] = [{"file_id": "x", "file_unique_id": "y", "width": 1, "height": 1}]
    else:
        message["text"] = odd_text(rng)
    payload: dict[str, Any] = message
    if kind == "callback_query":
        payload = {
            "id": str(rng.randrange(10**9)),
            "from": user,
            "chat_instance": "c",
            "data": odd_text(rng)[:64],
        }
        if rng.random() < 0.5:
            payload["message"] = message
    if breaking:
        payload = mutate(rng, payload, list(payload))
    update: dict[str, Any] = {"update_id": update_id, kind: payload}
    if kind == "odd" and breaking:
        update = {"update_id": update_id, rng.choice(["poll", "business_message", "xyz", "chat_boost"]): {}}
    elif kind == "odd":  # a kind of update this bot does not know yet (Telegram adds kinds)
        update = {"update_id": update_id, "future_kind_of_update": {"x": odd_text(rng)[:50]}}
    if breaking and rng.random() < 0.3:
        update = mutate(rng, update, list(update))
    return update


def web_frame(rng: random.Random) -> str | bytes:
    pick = rng.randrange(10)
    if pick == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 500)))
    if pick == 1:
        return "{" + wire(odd_text(rng)[:100])
    if pick == 2:
        return json.dumps(odd_value(rng))
    if pick == 3:
        return json.dumps({"type": "message", "id": odd_value(rng), "text": odd_value(rng)})
    if pick == 4:
        return json.dumps({"type": "message", "text": "x" * rng.choice([30_000, 200_000])})
    if pick == 5:
        return json.dumps({"type": "hello", "session": odd_value(rng), "languages": odd_value(rng)})
    if pick == 6:
        return json.dumps({"type": odd_value(rng), "text": "hi"})
    if pick == 7:
        return "[" * 10_000 + "]" * 10_000
    return json.dumps({"type": "message", "id": str(rng.randrange(100)), "text": odd_text(rng)})


# ----- the entry points --------------------------------------------------------------------------------


async def fuzz_telegram(telegram: FakeTelegramAPI, rng: random.Random, count: int, found: Findings) -> None:
    """Updates through getUpdates: odd contents within Telegram's schema (the API never sends others)."""
    for number in range(count):
        # Telegram sends valid UTF-8 only: a lone surrogate becomes "?" here.
        update = json.loads(wire(json.dumps(telegram_update(rng, 0, breaking=False), ensure_ascii=False)))
        kind = next(key for key in update if key != "update_id")
        telegram._push(kind, update[kind])
        found.inputs["telegram"] += 1
        if number % 50 == 49:
            await asyncio.sleep(0.5)


async def fuzz_webhook(port: int, rng: random.Random, count: int, found: Findings) -> None:
    url = f"http://127.0.0.1:{port}/telegram"
    async with httpx.AsyncClient(timeout=30) as client:
        for number in range(count):
            headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET, "Content-Type": "application/json"}
            pick = rng.randrange(10)
            body: bytes
            if pick == 0:
                headers.pop("X-Telegram-Bot-Api-Secret-Token")
                body = b"{}"
            elif pick == 1:
                body = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 2000)))
            elif pick == 2:
                body = b"{" * rng.choice([10, 100_000])
            elif pick == 3:
                body = b'{"update_id": 1, "message": "' + b"a" * 1_100_000 + b'"}'
            elif pick == 4:
                body = json.dumps(odd_value(rng)).encode()
            else:
                body = json.dumps(telegram_update(rng, 10**6 + number, breaking=True)).encode()
            try:
                response = await client.post(url, content=body, headers=headers)
            except httpx.HTTPError:
                found.crashes["webhook_no_answer"] += 1
                continue
            found.inputs["webhook"] += 1
            found.status("webhook", response.status_code)
            found.answer("webhook", response.text)


async def fuzz_webchat(helpline: Helpline, rng: random.Random, count: int, found: Findings) -> None:
    """Frames over many sockets, each from its own loopback address; the real per-address limits hold."""
    url = helpline.web_url.replace("http://", "ws://") + "/chat/ws"
    sockets = max(1, count // 60)
    plans = [[web_frame(rng) for _ in range(count // sockets)] for _ in range(sockets)]
    hellos = [rng.random() < 0.9 for _ in range(sockets)]

    async def one(number: int, frames: list[str | bytes], hello: bool) -> None:
        """Send the frames; a socket the server closed on purpose (a frame over the size limit: 1009, no
        hello: 1008) is opened again for the rest, as the page does."""
        left = list(frames)
        while left:
            try:
                await send_frames(number, left, hello)
            except websockets.ConnectionClosed as closed:
                if closed.rcvd is not None and closed.rcvd.code == 1011:
                    found.crashes["webchat_1011"] += 1
            except (OSError, TimeoutError):
                found.crashes["webchat_refused"] += 1
                return
            except Exception as error:  # the fuzzer's own trouble, not the helpline's: counted apart
                found.client_errors[type(error).__name__] += 1
                return

    async def send_frames(number: int, left: list[str | bytes], hello: bool) -> None:
        async with websockets.connect(
            url, local_addr=(source_address(1000 + number), 0), max_size=2**24, open_timeout=30
        ) as socket:
            if hello:
                await socket.send(json.dumps({"type": "hello", "languages": ["en"]}))
            while left:
                await socket.send(left.pop(0))
                found.inputs["webchat"] += 1
                await asyncio.sleep(0.3)
                while True:
                    try:
                        raw = await asyncio.wait_for(socket.recv(), 0.01)
                    except TimeoutError:
                        break
                    found.answer("webchat", raw if isinstance(raw, str) else raw.decode(errors="replace"))
            await asyncio.sleep(2)

    batch = 25
    for start in range(0, sockets, batch):
        await asyncio.gather(
            *(one(n, plans[n], hellos[n]) for n in range(start, min(sockets, start + batch)))
        )


async def fuzz_console(helpline: Helpline, rng: random.Random, count: int, found: Findings) -> None:
    engine = create_database_engine(helpline.database_url)
    CounsellorStore(engine).add("fuzz", PASSWORD, "counsellor", ["en"], 3)
    engine.dispose()
    async with httpx.AsyncClient(base_url=helpline.web_url, follow_redirects=False, timeout=30) as client:
        login = await client.get("/console/login")
        token = CSRF.search(login.text)
        assert token, "no CSRF token on the login page"
        signed_in = await client.post(
            "/console/login", data={"csrf": token.group(1), "name": "fuzz", "password": PASSWORD}
        )
        queue = await client.get("/console/", follow_redirects=True)
        session_csrf = CSRF.search(queue.text)
        csrf = session_csrf.group(1) if session_csrf else ""
        assert signed_in.status_code < 400
        paths = [
            "/",
            "/admin",
            "/chats/{}",
            "/chats/{}/canned",
            "/chats/{}/messages",
            "/chats/{}/notes",
            "/chats/{}/requeue",
            "/chats/{}/resolve",
            "/chats/{}/transfer",
            "/tickets/{}/claim",
            "/login",
            "/login/code",
            "/login/enroll",
            "/logout",
            "/{}",
        ]
        forms = count * 3 // 4
        for _ in range(forms):
            path = "/console" + rng.choice(paths).format(
                rng.choice(["x", "0" * 32, "../..", "%00", "a" * 3000, "🙂", "%2e%2e%2f"])
            )
            fields = {
                wire(odd_text(rng)[:30]) or "f": wire(odd_text(rng)[: rng.choice([10, 5000, 2_000_000])])
            }
            for name in ("csrf", "text", "name", "password", "code", "counsellor", "reason"):
                if rng.random() < 0.4:
                    fields[name] = wire(odd_text(rng)[: rng.choice([10, 10_000])])
            if rng.random() < 0.5:
                fields["csrf"] = csrf
            method = rng.choice(["GET", "POST", "POST", "PUT"])
            try:
                if method == "GET":
                    response = await client.get(path)
                else:
                    response = await client.request(method, path, data=fields)
            except httpx.HTTPError:
                found.crashes["console_no_answer"] += 1
                continue
            found.inputs["console"] += 1
            found.status("console", response.status_code)
            found.answer("console", response.text)
    # The forms may have logged the session out (a POST to /logout with its CSRF token): log in again.
    async with httpx.AsyncClient(base_url=helpline.web_url, follow_redirects=True, timeout=30) as client:
        login = await client.get("/console/login")
        token = CSRF.search(login.text)
        assert token, "no CSRF token on the login page"
        data = {"csrf": token.group(1), "name": "fuzz", "password": PASSWORD}
        session_csrf = CSRF.search((await client.post("/console/login", data=data)).text)
        csrf = session_csrf.group(1) if session_csrf else ""
        await fuzz_console_live(helpline, client, csrf, rng, count - forms, found)


async def fuzz_console_live(
    helpline: Helpline, client: httpx.AsyncClient, csrf: str, rng: random.Random, count: int, found: Findings
) -> None:
    cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    url = helpline.web_url.replace("http://", "ws://") + "/console/live"
    sent = 0
    while sent < count:
        headers = {"Origin": helpline.web_url}
        if rng.random() < 0.8:
            headers["Cookie"] = cookies
        try:
            async with websockets.connect(url, additional_headers=headers, max_size=2**24) as socket:
                if rng.random() < 0.7:
                    await socket.send(json.dumps({"type": "hello", "csrf": csrf}))
                for _ in range(20):
                    await socket.send(web_frame(rng))
                    sent += 1
                    found.inputs["console_live"] += 1
                    try:
                        raw = await asyncio.wait_for(socket.recv(), 0.05)
                        found.answer(
                            "console_live", raw if isinstance(raw, str) else raw.decode(errors="replace")
                        )
                    except TimeoutError:
                        pass
        except websockets.ConnectionClosed as closed:
            sent += 1
            if closed.rcvd is not None and closed.rcvd.code == 1011:
                found.crashes["console_live_1011"] += 1
        except websockets.InvalidStatus as refused:
            sent += 1
            found.status("console_live", refused.response.status_code)


async def fuzz_actions(helpline: Helpline, rng: random.Random, count: int, found: Findings) -> None:
    async with httpx.AsyncClient(base_url=helpline.actions_url, timeout=30) as client:
        for _ in range(count):
            endpoint = rng.choice(["/webhook", "/nlg"])
            pick = rng.randrange(6)
            body: Any
            if pick == 0:
                content = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 500)))
                request = client.post(endpoint, content=content, headers={"Content-Type": "application/json"})
            else:
                if endpoint == "/webhook":
                    body = {
                        "next_action": rng.choice(["action_handoff", "action_x", odd_text(rng)[:40]]),
                        "sender_id": odd_value(rng),
                        "tracker": odd_value(rng),
                        "domain": odd_value(rng),
                        "version": "3.6.21",
                    }
                else:
                    body = {
                        "response": rng.choice(["utter_greet", odd_text(rng)[:40]]),
                        "arguments": odd_value(rng),
                        "tracker": {
                            "sender_id": odd_value(rng),
                            "slots": odd_value(rng),
                            "latest_message": odd_value(rng),
                        },
                        "channel": {"name": odd_value(rng)},
                    }
                if pick == 1:
                    body = mutate(rng, body, list(body))
                request = client.post(endpoint, content=json.dumps(body))
            try:
                response = await request
            except httpx.HTTPError:
                found.crashes["actions_no_answer"] += 1
                continue
            found.inputs["actions"] += 1
            found.status("actions", response.status_code)
            found.answer("actions", response.text)


def webhook_gateway(helpline: Helpline, telegram: FakeTelegramAPI, port: int) -> subprocess.Popen[bytes]:
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("HELPLINE_", "TELEGRAM_"))},
        "HELPLINE_DATA_DIR": str(helpline.data_dir),
        "HELPLINE_SECRETS_DIR": str(helpline.secrets_dir),
        "HELPLINE_RASA_URL": helpline.rasa_url,
        "HELPLINE_RASA_TOKEN": helpline.rasa_token,
        "HELPLINE_REDIS_URL": helpline.redis_url,
        "HELPLINE_PSEUDONYM_SECRET": helpline.pseudonym_secret.decode(),
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "HELPLINE_TELEGRAM_WEBHOOK_PORT": str(port),
        "HELPLINE_STAFFING_FILE": str(STAFFING_ALWAYS_OPEN),
    }
    log = helpline.data_dir / "logs" / "webhook-gateway.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "gateway"], cwd=STACK_ROOT, env=env, stdout=out, stderr=out
        )
    telegram.wait_for_call("setWebhook", timeout=120)
    return process


def told_people(telegram: FakeTelegramAPI, found: Findings, entry: str) -> int:
    """Check every message the bot sent (the fake knows no chat of a raw update: read its calls)."""
    calls = telegram.calls("sendMessage") + telegram.calls("editMessageText")
    for call in calls:
        found.answer(entry, str(call.params.get("text", "")) + str(call.params.get("reply_markup", "")))
    return len(calls)


async def still_answers(telegram: FakeTelegramAPI, user: int) -> bool:
    telegram.send_text(user, "i need a lawyer", language_code="en")
    try:
        await telegram.await_messages(user, 1, timeout=120)
        return True
    except AssertionError:
        return False


async def fuzz_all(
    helpline: Helpline,
    telegram: FakeTelegramAPI,
    hooked: FakeTelegramAPI,
    port: int,
    args: argparse.Namespace,
) -> dict[str, Any]:
    rng = random.Random(args.seed)
    found = Findings()
    count = {entry: int(args.inputs * share) for entry, share in SHARES.items()}
    pids_before = part_pids(helpline.process.pid)
    started = time.monotonic()
    await asyncio.gather(
        fuzz_telegram(telegram, random.Random(rng.random()), count["telegram"], found),
        fuzz_webhook(port, random.Random(rng.random()), count["webhook"], found),
        fuzz_webchat(helpline, random.Random(rng.random()), count["webchat"], found),
        fuzz_console(helpline, random.Random(rng.random()), count["console"], found),
        fuzz_actions(helpline, random.Random(rng.random()), count["actions"], found),
    )
    deadline = time.monotonic() + 300  # the gateways work through their queues
    while (telegram.pending_updates() or hooked.pending_updates()) and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(1)
    for entry, fake in (("telegram", telegram), ("webhook", hooked)):
        if not await still_answers(fake, 779_000_000 + len(entry)):
            found.crashes[f"{entry}_stopped_answering"] += 1
    told = told_people(telegram, found, "telegram") + told_people(hooked, found, "webhook")
    restarts = helpline.supervisor_log.read_text(errors="replace").count("starting it again")
    if restarts:
        found.crashes["part_restarted"] += restarts
    pids_after = part_pids(helpline.process.pid)
    found.crashes["part_pid_changed"] += sum(
        1 for part, pid in pids_before.items() if pids_after.get(part) != pid
    )
    return {
        "fuzz_crashes": sum(found.crashes.values()),
        "fuzz_tracebacks_to_users": sum(found.traces.values()),
        "fuzz_inputs": sum(found.inputs.values()),
        "fuzz_detail": {
            "inputs": dict(found.inputs),
            "crashes": dict(found.crashes),
            "tracebacks": dict(found.traces),
            "fuzzer_client_errors": dict(found.client_errors),
            "telegram_messages_checked": told,
            "seed": args.seed,
            "seconds": round(time.monotonic() - started),
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--inputs", type=int, default=10_000, help="fuzzed inputs in all (10000)")
    parser.add_argument("--seed", type=int, default=15, help="the generator's seed (15)")
    args = parser.parse_args()
    hooked = FakeTelegramAPI(token="654321:WEBHOOK-TOKEN")
    hooked.start()
    try:
        with helpline_on_fake_telegram(STAFFING_ALWAYS_OPEN) as (helpline, telegram):
            port = free_port()
            gateway = webhook_gateway(helpline, hooked, port)
            try:
                figures = asyncio.run(fuzz_all(helpline, telegram, hooked, port, args))
            finally:
                gateway.terminate()
                gateway.wait(timeout=30)
            if gateway.returncode not in (0, -15):
                figures["fuzz_crashes"] += 1
    finally:
        hooked.stop()
    report(figures, "targets: fuzz_crashes = 0, fuzz_tracebacks_to_users = 0")
    return 0 if figures["fuzz_crashes"] == 0 and figures["fuzz_tracebacks_to_users"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
