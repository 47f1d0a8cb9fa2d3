"""Shared by bench/chaos.py, bench/fuzz.py and bench/soak.py: a whole helpline on a fake Telegram Bot API, the
parts of a running helpline (found by the supervisor's children and their command lines), their resident
memory, web chat people on their own loopback addresses, handoffs set up for them, and the results file.

Nothing here logs or stores a message's text: the benchmarks make synthetic texts and keep only counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets
from redis.asyncio import Redis

from tests.fakes.telegram_api import FakeTelegramAPI
from tests.stack import Helpline, free_ports, running_helpline

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
HANDOFF_ASK = "can i talk to a real person please"


def merge_results(figures: dict[str, Any]) -> None:
    """Write these keys into bench/results.json, keeping every other key."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.update(figures)
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


def report(figures: dict[str, Any], targets: str) -> None:
    """Print the figures and their targets, and merge them into bench/results.json."""
    width = max(map(len, figures)) + 2
    for name, value in figures.items():
        print(f"{name:<{width}} {value}")
    print(targets)
    merge_results(figures)


@contextlib.contextmanager
def helpline_on_fake_telegram(
    staffing_file: Path | None = None, workers: int = 1
) -> Iterator[tuple[Helpline, FakeTelegramAPI]]:
    """The whole helpline as `make run` starts it, in a temporary data dir, on a fake Telegram Bot API.

    With `workers` > 1, scaled out (docs/operations.md): that many web processes (on consecutive ports
    from `helpline.web_url`), gateways in webhook mode behind `helpline balance`, action servers and Rasa
    processes.
    """
    telegram = FakeTelegramAPI()
    telegram.start()
    env = {
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "HELPLINE_TELEGRAM_RATE_LIMIT": "false",
    }
    if staffing_file is not None:
        env["HELPLINE_STAFFING_FILE"] = str(staffing_file)
    if workers > 1:
        balancer_port = free_ports(1 + workers)
        env |= {
            "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{balancer_port}/telegram",
            "TELEGRAM_WEBHOOK_SECRET": "bench-webhook-secret",
            "HELPLINE_TELEGRAM_WEBHOOK_PORT": str(balancer_port),
            **{f"HELPLINE_{kind}_WORKERS": str(workers) for kind in ("WEB", "GATEWAY", "ACTIONS", "RASA")},
        }
    try:
        with tempfile.TemporaryDirectory() as data, running_helpline(Path(data), env, workers) as helpline:
            yield helpline, telegram
    finally:
        telegram.stop()


def web_urls(helpline: Helpline, workers: int) -> list[str]:
    """The web processes of a (maybe scaled-out) helpline."""
    base, port = helpline.web_url.rsplit(":", 1)
    return [f"{base}:{int(port) + n}" for n in range(workers)]


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _part_name(pid: int) -> str | None:
    try:
        argv = (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    if b"redis-server" in argv[0]:
        return "redis"
    if b"helpline_rasa.serve" in argv:
        port = argv[argv.index(b"--port") + 1].decode()
        return f"rasa:{port}"
    if b"bot.cli" in argv:
        return argv[argv.index(b"bot.cli") + 1].decode()
    return None


def part_pids(supervisor_pid: int) -> dict[str, int]:
    """The running parts of `helpline run`: {"redis", "actions", "rasa", "web", "gateway"} → pid, named
    "web-1", "web-2" … (in start order) where it runs several of a kind (scale-out)."""
    found: dict[str, list[int]] = {}
    for pid in sorted(_children(supervisor_pid)):
        name = _part_name(pid)
        if name is not None:
            found.setdefault(name.split(":")[0], []).append(pid)
    rasas = sorted(
        (pid for pid in _children(supervisor_pid) if (_part_name(pid) or "").startswith("rasa:")),
        key=lambda pid: _part_name(pid) or "",
    )
    if rasas:
        found["rasa"] = rasas  # by port: rasa-1 is the first port
    parts: dict[str, int] = {}
    for name, pids in found.items():
        for index, pid in enumerate(pids):
            parts[name if len(pids) == 1 else f"{name}-{index + 1}"] = pid
    return parts


def rss_mb(pid: int) -> float:
    """Resident memory of a process and everything it started, in MB (VmRSS from /proc)."""
    total_kb, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in (Path("/proc") / str(current) / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
        todo += _children(current)
    return round(total_kb / 1024, 1)


async def mark_counsellor_online(redis_url: str, name: str) -> None:
    """Someone is on duty (offers are made), as the console's presence does."""
    from bot.handoff.presence import ONLINE_KEY

    redis = Redis.from_url(redis_url)
    await redis.zadd(ONLINE_KEY, {name: time.time() + 3600})
    await redis.aclose()


def handoff_button(buttons: list[dict[str, Any]]) -> str | None:
    """The payload of the "Yes, connect me" button of an offer, if there is one."""
    for button in buttons:
        payload = str(button.get("payload") or button.get("callback_data") or "")
        if payload.startswith("/handoff"):
            return payload
    return None


@dataclass
class WebUser:
    """A person in the web chat, as chat.js behaves: one session kept across reconnects, every message kept
    in an outbox until the server acknowledges it (ack, or an error answering it) and sent again after each
    "ready". Connects from its own 127.0.0.x address
    (Linux routes all of 127/8 to loopback), so the per-address limits stay as in production."""

    web_url: str
    source: str
    session: str | None = None
    frames: list[dict[str, Any]] = field(default_factory=list)
    socket: Any = None
    outbox: dict[str, str] = field(default_factory=dict)  # frame id -> frame, until acknowledged
    connects: int = 0
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _reader: asyncio.Task[None] | None = None

    async def connect(self, timeout_s: float = 10) -> None:
        url = self.web_url.replace("http://", "ws://") + "/chat/ws"
        socket = await asyncio.wait_for(
            websockets.connect(url, local_addr=(self.source, 0), max_size=2**22, open_timeout=timeout_s),
            timeout_s,
        )
        await socket.send(json.dumps({"type": "hello", "session": self.session, "languages": ["en"]}))
        while True:
            frame = json.loads(await asyncio.wait_for(socket.recv(), timeout_s))
            if frame.get("type") == "ready":
                self.session = frame["session"]
                break
        self.socket, self.connects = socket, self.connects + 1
        self._reader = asyncio.create_task(self._read(socket))
        for raw in list(self.outbox.values()):
            await socket.send(raw)

    async def _read(self, socket: Any) -> None:
        try:
            async for raw in socket:
                if isinstance(raw, str):
                    frame = json.loads(raw)
                    self.frames.append(frame)
                    if frame.get("type") in ("ack", "error"):
                        self.outbox.pop(str(frame.get("id") or frame.get("reply_to")), None)
                    self._changed.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            if self.socket is socket:
                self.socket = None
            self._changed.set()

    @property
    def connected(self) -> bool:
        return self.socket is not None

    async def send(self, text: str, frame_id: str) -> bool:
        """Type a message: sent now if connected (True); it stays in the outbox until acknowledged."""
        raw = json.dumps({"type": "message", "id": frame_id, "text": text})
        self.outbox[frame_id] = raw
        if self.socket is None:
            return False
        try:
            await self.socket.send(raw)
            return True
        except websockets.ConnectionClosed:
            return False

    async def wait_frame(self, predicate: Any, timeout_s: float = 30) -> dict[str, Any]:
        """The first frame so far (or to come) that matches."""
        deadline = time.monotonic() + timeout_s
        while True:
            for frame in self.frames:
                if predicate(frame):
                    return frame
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no such frame")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


def source_address(number: int) -> str:
    """A distinct loopback address for person `number` (127.0.1.1, 127.0.1.2, …)."""
    return f"127.0.{1 + number // 250}.{1 + number % 250}"


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
