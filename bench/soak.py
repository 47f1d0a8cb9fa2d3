"""Soak: many people at once for minutes, web chat and Telegram, against one running helpline.

The whole helpline runs as `make run` does (tests/stack.py) with a fake Telegram Bot API on loopback.
Web chat people are WebSocket clients, each on its own 127.0.x.y address (so the real per-address limits
hold: 20 sockets, 1 message/s after a burst of 5); Telegram people write through the fake Bot API. Each
sends a realistic message, waits for the answer, thinks 2–8 s, and again, for the whole run.

- soak_errors: a message with no answer within 60 s, an error frame, a socket that could not connect or
  closed under the person. Target 0.
- soak_p95_ms / soak_p50_ms: message sent → first answer shown (web chat frame; Telegram sendMessage).
- soak_msgs_per_s: answered messages per second over the run.
- soak_rss_mb: resident memory of every part at the end (the part's process and its children).
Prints the figures and merges them into bench/results.json. Texts are synthetic and never stored.

`--workers 2`: the same against the helpline scaled out (two web processes, web chat people spread over
them; two gateways in webhook mode behind `helpline balance`; two action servers; two Rasa processes), with
its figures under `scale_out_*` instead of `soak_*`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chaos_kit import (  # noqa: E402
    WebUser,
    helpline_on_fake_telegram,
    part_pids,
    percentile,
    report,
    rss_mb,
    source_address,
    web_urls,
)
from tests.fakes.telegram_api import FakeTelegramAPI  # noqa: E402
from tests.stack import Helpline  # noqa: E402

LINES = (
    ("en", "hello"),
    ("en", "i need a lawyer"),
    ("en", "where can i sleep tonight"),
    ("en", "my employer took my passport"),
    ("en", "they don't pay me and i can't leave"),
    ("es", "necesito un abogado gratis"),
    ("es", "hola, tengo una pregunta sobre mi contrato"),
    ("fr", "j'ai besoin d'un endroit pour dormir"),
    ("pt", "preciso de ajuda com meus documentos"),
    ("ro", "am nevoie de ajutor"),
    ("ru", "мне нужна помощь, у меня забрали паспорт"),
    ("uk", "де я можу переночувати"),
    ("ar", "أحتاج إلى مساعدة"),
    ("sq", "me duhet nje avokat falas"),
    ("ti", "ናጻ ጠበቓ የድልየኒ"),
    ("tl", "kailangan ko ng libreng abogado pls"),
    ("en", "menu"),
    ("en", "thank you"),
)
ANSWER_TIMEOUT_S = 60
TELEGRAM_USERS = 790_000_000


class Soak:
    def __init__(self, helpline: Helpline, telegram: FakeTelegramAPI, args: argparse.Namespace) -> None:
        self.helpline, self.telegram, self.args = helpline, telegram, args
        self.latencies_ms: list[float] = []
        self.errors: Counter[str] = Counter()
        self.answered = 0
        self.until = 0.0

    async def web_person(self, number: int, rng: random.Random) -> None:
        urls = web_urls(self.helpline, self.args.workers)
        person = WebUser(urls[number % len(urls)], source_address(number))
        try:
            await person.connect(timeout_s=30)
        except Exception:
            self.errors["web_connect"] += 1
            return
        turn = 0
        await asyncio.sleep(rng.uniform(0, 8))  # people arrive over the first seconds
        while time.monotonic() < self.until:
            if not person.connected:
                self.errors["web_socket_closed"] += 1
                try:
                    await person.connect(timeout_s=30)
                except Exception:
                    self.errors["web_connect"] += 1
                    return
            frame_id = f"m{turn}"
            _locale, text = rng.choice(LINES)
            started = time.monotonic()
            await person.send(text, frame_id)
            turn += 1
            try:
                frame = await person.wait_frame(
                    lambda f, i=frame_id: f.get("reply_to") == i, ANSWER_TIMEOUT_S
                )
            except TimeoutError:
                self.errors["web_no_answer"] += 1
                continue
            if frame.get("type") == "error":
                self.errors["web_error_frame"] += 1
            else:
                self.latencies_ms.append((time.monotonic() - started) * 1000)
                self.answered += 1
            person.frames.clear()
            await asyncio.sleep(rng.uniform(2, 8))
        await person.close()

    async def telegram_person(self, number: int, rng: random.Random) -> None:
        user = TELEGRAM_USERS + number
        await asyncio.sleep(rng.uniform(0, 8))
        while time.monotonic() < self.until:
            locale, text = rng.choice(LINES)
            before = len(self.telegram.sent_messages(user))
            started = time.monotonic()
            self.telegram.send_text(user, text, language_code=locale)
            while len(self.telegram.sent_messages(user)) <= before:
                if time.monotonic() - started > ANSWER_TIMEOUT_S:
                    self.errors["telegram_no_answer"] += 1
                    break
                await asyncio.sleep(0.05)
            else:
                self.latencies_ms.append((time.monotonic() - started) * 1000)
                self.answered += 1
            await asyncio.sleep(rng.uniform(2, 8))

    async def run(self) -> dict[str, Any]:
        rng = random.Random(self.args.seed)
        started = time.monotonic()
        self.until = started + self.args.minutes * 60
        people = [self.web_person(n, random.Random(rng.random())) for n in range(self.args.web_users)]
        people += [
            self.telegram_person(n, random.Random(rng.random())) for n in range(self.args.telegram_users)
        ]
        await asyncio.gather(*people)
        seconds = time.monotonic() - started
        errors = len(self.telegram.errors())
        if errors:
            self.errors["telegram_api_errors"] += errors
        rss = {part: rss_mb(pid) for part, pid in sorted(part_pids(self.helpline.process.pid).items())}
        return {
            "soak_errors": sum(self.errors.values()),
            "soak_p50_ms": round(percentile(self.latencies_ms, 0.5), 1),
            "soak_p95_ms": round(percentile(self.latencies_ms, 0.95), 1),
            "soak_msgs_per_s": round(self.answered / seconds, 2),
            "soak_rss_mb": rss,
            "soak_detail": {
                "errors": dict(self.errors),
                "answered": self.answered,
                "web_users": self.args.web_users,
                "telegram_users": self.args.telegram_users,
                "minutes": self.args.minutes,
                "think_s": "2-8",
                "webchat_limits": "production defaults; each web user on its own 127.0.x.y address",
            },
        }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--web-users", type=int, default=200, help="web chat people at once (200)")
    parser.add_argument("--telegram-users", type=int, default=50, help="Telegram people at once (50)")
    parser.add_argument("--minutes", type=float, default=5, help="how long (5)")
    parser.add_argument("--seed", type=int, default=15, help="the generator's seed (15)")
    parser.add_argument("--workers", type=int, default=1, help="scale-out: how many of each part (1)")
    args = parser.parse_args()
    with helpline_on_fake_telegram(workers=args.workers) as (helpline, telegram):
        figures = asyncio.run(Soak(helpline, telegram, args).run())
        restarts = helpline.supervisor_log.read_text(errors="replace").count("starting it again")
    figures["soak_detail"]["restarts"] = restarts
    figures["soak_errors"] += restarts
    if args.workers > 1:
        figures = {name.replace("soak_", "scale_out_", 1): value for name, value in figures.items()}
        figures["scale_out_detail"]["workers"] = args.workers
    errors = figures.get("soak_errors", figures.get("scale_out_errors"))
    report(figures, "target: soak_errors = 0 (scale_out_errors = 0)")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
