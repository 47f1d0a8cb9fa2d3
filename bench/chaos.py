"""Chaos: kill -9 each part of a running helpline in turn while counsellors and survivors write to each other.

The whole helpline runs as `make run` does (tests/stack.py), with a fake Telegram Bot API on loopback.
Survivors on Telegram and in the web chat (each web person on its own 127.0.x.y address) are handed to a
counsellor, who writes through the relay as the console does; other people keep chatting with the bot.
Meanwhile each part (gateway, web, actions, every Rasa, Redis with its AOF) gets SIGKILL in turn, and the
bench waits until that part serves again.

- chaos_lost_messages / chaos_duplicated_messages: relayed markers that never arrived / arrived twice on the
  other side (survivor: the fake Bot API's sent messages, the web chat's frames across reconnects;
  counsellor: the ticket's chat stream, which the console reads). Target: 0 and 0.
- chaos_recovery_s {part: s}, chaos_recovery_s_max: kill → the part serving again (gateway and web: a
  message answered through it; actions, Rasa: their health/model status; Redis: answering commands).
Prints the figures and merges them into bench/results.json. No message text is logged or stored.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chaos_kit import (  # noqa: E402
    HANDOFF_ASK,
    WebUser,
    handoff_button,
    helpline_on_fake_telegram,
    mark_counsellor_online,
    part_pids,
    report,
    source_address,
)
from bot.handoff.queue import CounsellorSeat, HandoffQueue, Ticket  # noqa: E402
from bot.handoff.relay import Relay  # noqa: E402
from bot.messages import Channel  # noqa: E402
from bot.privacy.crypto import TranscriptCipher, transcript_keys  # noqa: E402
from bot.privacy.pseudonym import pseudonym_for  # noqa: E402
from tests.conftest import STAFFING_ALWAYS_OPEN  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramAPI  # noqa: E402
from tests.stack import Helpline  # noqa: E402

TELEGRAM_SURVIVORS = 760_000_000
TELEGRAM_CHATTERS = 761_000_000
TELEGRAM_PROBES = 762_000_000
BOT_LINES = ("hello", "i need a lawyer", "where can i sleep tonight", "my boss took my passport", "menu")
RECOVERY_TIMEOUT_S = 240


class Chaos:
    def __init__(self, helpline: Helpline, telegram: FakeTelegramAPI, args: argparse.Namespace) -> None:
        self.helpline, self.telegram, self.args = helpline, telegram, args
        self.redis = Redis.from_url(helpline.redis_url, socket_timeout=5)
        cipher = TranscriptCipher(transcript_keys(None, helpline.secrets_dir / "transcript.key"))
        self.relay, self.queue = Relay(self.redis, cipher), HandoffQueue(self.redis)
        self.tickets: dict[str, Ticket] = {}  # pseudonym → ticket
        self.telegram_of: dict[str, int] = {}  # pseudonym → user id
        self.web_of: dict[str, WebUser] = {}  # pseudonym → person
        self.to_survivor: dict[str, str] = {}  # marker → pseudonym
        self.to_counsellor: dict[str, str] = {}
        self.sent = 0
        self.stop_chatting = asyncio.Event()
        self.bot_turns = Counter[str]()
        self.probes = 0
        self.not_back: list[str] = []

    async def retrying(self, call: Any, timeout_s: float = RECOVERY_TIMEOUT_S) -> Any:
        """A Redis call the console would retry (the counsellor presses Send again)."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                return await call()
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)

    # ----- setting up the chats ------------------------------------------------------------------------

    async def open_handoffs(self) -> None:
        await mark_counsellor_online(self.helpline.redis_url, "chaos")
        secret = self.helpline.pseudonym_secret
        for number in range(self.args.telegram_chats):
            user = TELEGRAM_SURVIVORS + number
            self.telegram.send_text(user, HANDOFF_ASK, language_code="en")
            [offer] = await self.telegram.await_messages(user, 1, timeout=120)
            rows = (offer.get("reply_markup") or {}).get("inline_keyboard", [])
            payload = handoff_button([button for row in rows for button in row])
            assert payload, "no handoff offer on Telegram"
            self.telegram.press_button(user, offer, payload, language_code="en")
            await self.telegram.await_messages(user, 2, timeout=60)
            self.telegram_of[pseudonym_for(Channel.TELEGRAM, user, secret)] = user
        for number in range(self.args.web_chats):
            person = WebUser(self.helpline.web_url, source_address(number))
            await person.connect()
            await person.send(HANDOFF_ASK, "ask")
            offer = await person.wait_frame(
                lambda f: f.get("reply_to") == "ask" and handoff_button(f["buttons"])
            )
            await person.send(str(handoff_button(offer["buttons"])), "yes")
            await person.wait_frame(lambda f: f.get("reply_to") == "yes")
            self.web_of[pseudonym_for(Channel.WEBCHAT, str(person.session), secret)] = person
        seat = CounsellorSeat(
            "chaos", frozenset({"en"}), capacity=len(self.telegram_of) + len(self.web_of) + 1
        )
        while len(self.tickets) < len(self.telegram_of) + len(self.web_of):
            ticket = await self.queue.claim_next(seat)
            assert ticket is not None, "a survivor's ticket is missing from the queue"
            self.tickets[ticket.pseudonym] = ticket

    # ----- the relayed messages -------------------------------------------------------------------------

    async def write_all(self) -> None:
        pseudonyms = sorted(self.tickets)
        for number in range(self.args.messages):
            pseudonym = pseudonyms[(number // 2) % len(pseudonyms)]  # each chat carries both directions
            ticket = self.tickets[pseudonym]
            if number % 2 == 0:  # counsellor → survivor
                marker = f"chaos c{number}"
                self.to_survivor[marker] = pseudonym
                await self.retrying(
                    lambda t=ticket, m=marker, n=number: self.relay.to_survivor(
                        t.id, t.channel, t.pseudonym, m, f"chaos-c-{n}"
                    )
                )
            else:  # survivor → counsellor
                marker = f"chaos s{number}"
                self.to_counsellor[marker] = pseudonym
                if pseudonym in self.telegram_of:
                    self.telegram.send_text(self.telegram_of[pseudonym], marker, language_code="en")
                else:
                    await self.web_of[pseudonym].send(marker, f"s{number}")
            self.sent += 1
            await asyncio.sleep(1 / self.args.rate)

    async def keep_web_connected(self) -> None:
        """chat.js reconnects by itself (with backoff) and resumes its session."""
        while not self.stop_chatting.is_set():
            for person in self.web_of.values():
                if not person.connected:
                    with contextlib.suppress(Exception):
                        await person.connect(timeout_s=5)
            await asyncio.sleep(0.5)

    def survivor_counts(self) -> Counter[str]:
        seen = Counter[str]()
        for user in self.telegram_of.values():
            seen.update(m.get("text", "") for m in self.telegram.sent_messages(user))
        for person in self.web_of.values():
            seen.update(f.get("text", "") for f in person.frames if f.get("from") == "counsellor")
        return seen

    async def counsellor_counts(self) -> Counter[str]:
        seen = Counter[str]()
        for ticket in self.tickets.values():
            chat = await self.retrying(lambda t=ticket: self.relay.chat(t.id))
            seen.update(message.text for message in chat if message.sender == "survivor")
        return seen

    async def tally(self) -> tuple[int, int, dict[str, int]]:
        """(lost, duplicated, by direction), once everything arrived or the settling time ran out."""
        deadline = time.monotonic() + self.args.settle_s
        while True:
            at_survivor, at_counsellor = self.survivor_counts(), await self.counsellor_counts()
            missing = [m for m in self.to_survivor if not at_survivor[m]] + [
                m for m in self.to_counsellor if not at_counsellor[m]
            ]
            if not missing or time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
        await asyncio.sleep(3)  # room for a late duplicate
        at_survivor, at_counsellor = self.survivor_counts(), await self.counsellor_counts()
        detail = {
            "lost_to_survivor": sum(1 for m in self.to_survivor if not at_survivor[m]),
            "lost_to_counsellor": sum(1 for m in self.to_counsellor if not at_counsellor[m]),
            "duplicated_to_survivor": sum(1 for m in self.to_survivor if at_survivor[m] > 1),
            "duplicated_to_counsellor": sum(1 for m in self.to_counsellor if at_counsellor[m] > 1),
        }
        for channel, users in (("telegram", self.telegram_of), ("webchat", self.web_of)):
            detail[f"lost_to_survivor_{channel}"] = sum(
                1 for m, p in self.to_survivor.items() if p in users and not at_survivor[m]
            )
            detail[f"lost_to_counsellor_{channel}"] = sum(
                1 for m, p in self.to_counsellor.items() if p in users and not at_counsellor[m]
            )
        lost = detail["lost_to_survivor"] + detail["lost_to_counsellor"]
        return lost, detail["duplicated_to_survivor"] + detail["duplicated_to_counsellor"], detail

    # ----- people chatting with the bot meanwhile ---------------------------------------------------

    async def bot_chatter_telegram(self, user: int) -> None:
        turn = 0
        while not self.stop_chatting.is_set():
            before = len(self.telegram.sent_messages(user))
            self.telegram.send_text(user, BOT_LINES[turn % len(BOT_LINES)], language_code="en")
            turn += 1
            deadline = time.monotonic() + 90
            while len(self.telegram.sent_messages(user)) <= before and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.2)
            answered = len(self.telegram.sent_messages(user)) > before
            self.bot_turns["answered" if answered else "unanswered"] += 1
            await asyncio.sleep(2)

    async def bot_chatter_web(self, person: WebUser) -> None:
        turn = 0
        while not self.stop_chatting.is_set():
            try:
                if not person.connected:
                    await person.connect(timeout_s=5)
                frame_id = f"b{turn}"
                await person.send(BOT_LINES[turn % len(BOT_LINES)], frame_id)
                turn += 1
                await person.wait_frame(lambda f, i=frame_id: f.get("reply_to") == i, timeout_s=90)
                self.bot_turns["answered"] += 1
            except Exception:
                self.bot_turns["unanswered"] += 1
                await asyncio.sleep(1)
            await asyncio.sleep(2)

    # ----- the kills ----------------------------------------------------------------------------------

    async def serving(self, part: str) -> bool:
        helpline = self.helpline
        try:
            if part == "gateway":
                return await self.probe_gateway()
            if part == "web":
                probe = WebUser(helpline.web_url, f"127.0.200.{1 + self.probes % 250}")
                self.probes += 1
                await probe.connect(timeout_s=5)
                await probe.send("hello", "probe")
                await probe.wait_frame(lambda f: f.get("reply_to") == "probe", timeout_s=30)
                await probe.close()
                return True
            async with httpx.AsyncClient(timeout=5) as client:
                if part == "actions":
                    return (await client.get(f"{helpline.actions_url}/health")).status_code == 200
                if part.startswith("rasa"):
                    pid_port = {name: pid for name, pid in part_pids(helpline.process.pid).items()}
                    if part not in pid_port:
                        return False
                    port = _port_of(pid_port[part])
                    status = await client.get(
                        f"http://127.0.0.1:{port}/status", params={"token": helpline.rasa_token}
                    )
                    return status.status_code == 200 and bool(status.json().get("model_file"))
            if part == "redis":
                probe = Redis.from_url(helpline.redis_url, socket_timeout=2)
                try:
                    return bool(await probe.ping())
                finally:
                    await probe.aclose()
        except Exception:
            return False
        return False

    async def probe_gateway(self) -> bool:
        user = TELEGRAM_PROBES + self.probes
        self.probes += 1
        self.telegram.send_text(user, "hello", language_code="en")
        deadline = time.monotonic() + RECOVERY_TIMEOUT_S
        while not self.telegram.sent_messages(user):
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.1)
        return True

    async def kill_each(self, recovery: dict[str, float]) -> None:
        supervisor = self.helpline.process.pid
        names = sorted(part_pids(supervisor))
        order = [n for n in ("gateway", "web", "actions") if n in names]
        order += [n for n in names if n.startswith("rasa")] + ["redis"]
        for part in order:
            while self.sent < self.args.messages * (len(recovery) + 1) / (len(order) + 1):  # noqa: ASYNC110
                await asyncio.sleep(0.2)  # kills spread over the relayed messages
            pid = part_pids(supervisor)[part]
            os.kill(pid, signal.SIGKILL)
            killed = time.monotonic()
            print(f"  killed {part} (pid {pid}) after {self.sent} relayed messages", flush=True)
            await asyncio.sleep(0.5)
            while not (part_pids(supervisor).get(part, pid) != pid and await self.serving(part)):
                if time.monotonic() - killed > RECOVERY_TIMEOUT_S:
                    break
                await asyncio.sleep(0.25)
            recovery[part] = round(time.monotonic() - killed, 1)
            if recovery[part] > RECOVERY_TIMEOUT_S:
                self.not_back.append(part)
                print(f"  {part} NOT serving again after {recovery[part]} s", flush=True)
            else:
                print(f"  {part} serving again after {recovery[part]} s", flush=True)

    async def run(self) -> dict[str, Any]:
        await self.open_handoffs()
        print(f"  {len(self.tickets)} handoffs open; relaying {self.args.messages} messages", flush=True)
        chatters = [
            asyncio.create_task(self.bot_chatter_telegram(TELEGRAM_CHATTERS + n))
            for n in range(self.args.bot_chats)
        ] + [
            asyncio.create_task(self.bot_chatter_web(WebUser(self.helpline.web_url, f"127.0.100.{n + 1}")))
            for n in range(self.args.bot_chats)
        ]
        reconnector = asyncio.create_task(self.keep_web_connected())
        recovery: dict[str, float] = {}
        started = time.monotonic()
        await asyncio.gather(self.write_all(), self.kill_each(recovery))
        lost, duplicated, detail = await self.tally()
        self.stop_chatting.set()
        await asyncio.gather(reconnector, *chatters, return_exceptions=True)
        for person in self.web_of.values():
            await person.close()
        await self.redis.aclose()
        return {
            "chaos_lost_messages": lost,
            "chaos_duplicated_messages": duplicated,
            "chaos_recovery_s": recovery,
            "chaos_recovery_s_max": max(recovery.values()),
            "chaos_parts_not_back": self.not_back,  # not serving within RECOVERY_TIMEOUT_S of the kill
            "chaos_detail": detail,
            "chaos_bot_turns": dict(self.bot_turns),
            "chaos_parameters": {
                "relayed_messages": self.args.messages,
                "telegram_chats": self.args.telegram_chats,
                "web_chats": self.args.web_chats,
                "bot_chats_per_channel": self.args.bot_chats,
                "seconds": round(time.monotonic() - started),
            },
        }


def _port_of(pid: int) -> str:
    argv = (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")
    return argv[argv.index(b"--port") + 1].decode()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=1000, help="relayed messages, both ways (1000)")
    parser.add_argument("--telegram-chats", type=int, default=5, help="handoffs on Telegram (5)")
    parser.add_argument("--web-chats", type=int, default=5, help="handoffs in the web chat (5)")
    parser.add_argument("--bot-chats", type=int, default=2, help="bot chats per channel meanwhile (2)")
    parser.add_argument("--rate", type=float, default=2.0, help="relayed messages per second (2)")
    parser.add_argument("--settle-s", type=float, default=120, help="wait for late messages (120)")
    args = parser.parse_args()
    with helpline_on_fake_telegram(STAFFING_ALWAYS_OPEN) as (helpline, telegram):
        figures = asyncio.run(Chaos(helpline, telegram, args).run())
        restarts = helpline.supervisor_log.read_text(errors="replace").count("starting it again")
    figures["chaos_parameters"]["restarts_seen"] = restarts
    report(
        figures, "targets: chaos_lost_messages = 0, chaos_duplicated_messages = 0, chaos_recovery_s_max <= 60"
    )
    return 0 if figures["chaos_lost_messages"] == 0 and figures["chaos_duplicated_messages"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
