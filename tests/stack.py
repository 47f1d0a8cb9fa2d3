"""Start the whole helpline as `make run` does (`helpline run`), for tests and benchmarks."""

from __future__ import annotations

import os
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


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def free_ports(count: int) -> int:
    """The first of `count` consecutive TCP ports nobody listens on right now (a scaled-out helpline puts
    its second web process on port+1, and so on)."""
    for _ in range(200):
        first = free_port()
        try:
            for port in range(first + 1, first + count):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise RuntimeError(f"no {count} consecutive free ports")


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
