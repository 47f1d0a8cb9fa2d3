"""Start the whole helpline as `make run` does (`helpline run`), for tests and benchmarks."""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PSEUDONYM_SECRET = "test-pseudonym-secret-not-for-production"
RASA_TOKEN = "test-rasa-token"
STARTUP_TIMEOUT_S = 300


_HANDED_OUT: set[int] = set()
_LOWEST_PORT = 10_000


def _ephemeral_range() -> tuple[int, int]:
    """The ports the kernel gives to outgoing connections (Linux: 32768–60999 unless changed)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32_768, 60_999


def _free_now(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_ports(count: int) -> int:
    """The first of `count` consecutive TCP ports nobody listens on right now, never handed out before in
    this process (a scaled-out helpline puts its second web process on port+1, and so on).

    Picked below the kernel's ephemeral range: a part like Rasa binds its port only after loading its model,
    and in those seconds any outgoing connection (to Redis, PostgreSQL, a fake) could be given a port from
    the ephemeral range as its own end — one such collision once failed every end-to-end test of a run."""
    ephemeral_low, _ = _ephemeral_range()
    highest = ephemeral_low - count
    if highest <= _LOWEST_PORT + 1_000:
        highest = 65_535 - count  # a machine whose ephemeral range starts low: any port, checked
    for _ in range(500):
        first = random.randint(_LOWEST_PORT, highest)
        ports = range(first, first + count)
        if any(port in _HANDED_OUT for port in ports) or not all(_free_now(port) for port in ports):
            continue
        _HANDED_OUT.update(ports)
        return first
    raise RuntimeError(f"no {count} consecutive free ports")


def free_port() -> int:
    """A TCP port nobody listens on right now, outside the ephemeral range, never handed out before here."""
    return free_ports(1)


@dataclass(frozen=True)
class Helpline:
    """A running helpline: where to reach each part, and what it wrote."""

    web_url: str
    rasa_url: str
    rasa_token: str
    actions_url: str
    redis_url: str
    database_url: str
    data_dir: Path
    secrets_dir: Path
    pseudonym_secret: bytes
    supervisor_log: Path
    process: subprocess.Popen[bytes]

    def logs(self) -> str:
        """Everything every part has logged so far."""
        parts = [path.read_text(errors="replace") for path in sorted((self.data_dir / "logs").glob("*.log"))]
        return "\n".join([self.supervisor_log.read_text(errors="replace"), *parts])


@contextmanager
def running_helpline(
    data_dir: Path, extra_env: dict[str, str] | None = None, workers: int = 1
) -> Iterator[Helpline]:
    """Run `helpline run` with its data in `data_dir` on free ports; stop it with Ctrl-C (SIGINT) after.

    With `workers`, each kind of part has that many consecutive ports free (HELPLINE_WEB_WORKERS and the
    like, in `extra_env`, say how many start).

    Its made-once secrets go to a folder beside `data_dir` (`<data dir>-secrets`, removed afterwards if made
    here), never to ~/.config.
    """
    secrets_dir = data_dir.with_name(f"{data_dir.name}-secrets")
    made_secrets_dir = not secrets_dir.exists()
    web_port, rasa_port, actions_port = free_ports(workers), free_ports(workers), free_ports(workers)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HELPLINE_", "TELEGRAM_", "TWILIO_", "SMS_"))
        and key not in ("REDIS_URL", "DATABASE_URL")
    }
    env.update(
        HELPLINE_DATA_DIR=str(data_dir),
        HELPLINE_SECRETS_DIR=str(secrets_dir),
        HELPLINE_PORT=str(web_port),
        HELPLINE_RASA_PORT=str(rasa_port),
        HELPLINE_ACTIONS_PORT=str(actions_port),
        HELPLINE_GATEWAY_HEALTH_PORT=str(free_ports(workers)),  # never the default 8002 of a helpline here
        HELPLINE_PSEUDONYM_SECRET=PSEUDONYM_SECRET,
        HELPLINE_RASA_TOKEN=RASA_TOKEN,
        **(extra_env or {}),
    )
    supervisor_log = data_dir / "supervisor.out"
    with supervisor_log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_running(process, supervisor_log)
        yield Helpline(
            web_url=f"http://127.0.0.1:{web_port}",
            rasa_url=f"http://127.0.0.1:{rasa_port}",
            rasa_token=RASA_TOKEN,
            actions_url=f"http://127.0.0.1:{actions_port}",
            redis_url=f"unix://{(data_dir / 'redis.sock').resolve()}",
            database_url=env.get("HELPLINE_DATABASE_URL")
            or f"sqlite:///{(data_dir / 'helpline.db').resolve()}",
            data_dir=data_dir,
            secrets_dir=secrets_dir,
            pseudonym_secret=PSEUDONYM_SECRET.encode(),
            supervisor_log=supervisor_log,
            process=process,
        )
    finally:
        stop(process)
        if made_secrets_dir:
            shutil.rmtree(secrets_dir, ignore_errors=True)


def stop(process: subprocess.Popen[bytes], timeout_s: float = 60) -> int:
    """Press Ctrl-C on `helpline run` and wait for it to stop everything."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def _wait_until_running(process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"`helpline run` exited with {process.returncode}:\n{log.read_text()}")
        if "The helpline is running" in log.read_text(errors="replace"):
            return
        time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"`helpline run` did not come up in {STARTUP_TIMEOUT_S} s:\n{log.read_text()}")
