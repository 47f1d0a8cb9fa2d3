"""`helpline run`: start every part of the helpline, watch them, and stop them all cleanly."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bot.private_files import private_dir

Probe = Callable[[], bool]


class PartFailed(Exception):
    """A part of the helpline did not start or stopped on its own."""

    def __init__(self, part: str, reason: str, log_file: Path) -> None:
        super().__init__(f"{part}: {reason}")
        self.part = part
        self.reason = reason
        self.log_file = log_file


@dataclass
class Part:
    """One supervised process: how to start it and how to know it is ready."""

    name: str
    argv: list[str]
    ready: Probe
    ready_timeout_s: float = 30.0
    waiting_message: str = ""
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None


@dataclass
class _Running:
    part: Part
    process: subprocess.Popen[bytes]
    log_file: Path
    started: float


class Supervisor:
    """Starts parts in order, waits until each is ready, and stops them in reverse order."""

    def __init__(self, log_dir: Path, out: IO[str] = sys.stdout) -> None:
        self._log_dir = log_dir
        self._out = out
        self._running: list[_Running] = []

    def say(self, line: str) -> None:
        """Tell the person at the terminal what is happening."""
        print(line, file=self._out, flush=True)

    def spawn(self, part: Part) -> None:
        """Start a part's process, its output going to its own log file."""
        private_dir(self._log_dir)  # logs name parts and errors: the owner's alone
        log_file = self._log_dir / f"{part.name}.log"
        with log_file.open("ab") as log:
            process = subprocess.Popen(
                part.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **part.env},
                cwd=part.cwd,
                start_new_session=True,  # Ctrl-C reaches us; we stop the children in order
            )
        self._running.append(_Running(part, process, log_file, time.monotonic()))

    def wait_ready(self, name: str) -> None:
        """Block until the part's probe passes, showing progress; raise PartFailed if it dies or times out."""
        running = self._find(name)
        part = running.part
        last_note = 0.0
        interactive = self._out.isatty()
        while True:
            code = running.process.poll()
            if code is not None:
                raise PartFailed(part.name, f"exited with code {code} while starting", running.log_file)
            if _safe(part.ready):
                elapsed = time.monotonic() - running.started
                if interactive and part.waiting_message:
                    self._out.write("\r\033[K")
                self.say(f"  ✔ {part.name} ready ({elapsed:.1f} s)")
                return
            elapsed = time.monotonic() - running.started
            if elapsed > part.ready_timeout_s:
                raise PartFailed(part.name, f"not ready after {part.ready_timeout_s:.0f} s", running.log_file)
            if part.waiting_message:
                if interactive:
                    self._out.write(f"\r  … {part.waiting_message} ({elapsed:.0f} s)")
                    self._out.flush()
                elif elapsed - last_note >= 10:
                    self.say(f"  … {part.waiting_message} ({elapsed:.0f} s)")
                    last_note = elapsed
            time.sleep(0.25)

    def watch(self, should_stop: Callable[[], bool]) -> None:
        """Return when asked to stop; raise PartFailed when any part stops on its own."""
        while not should_stop():
            for running in self._running:
                code = running.process.poll()
                if code is not None:
                    raise PartFailed(
                        running.part.name, f"stopped unexpectedly (exit code {code})", running.log_file
                    )
            time.sleep(0.5)

    def stop_all(self, grace_s: float = 15.0) -> None:
        """Stop every part, newest first: SIGTERM, then SIGKILL after a grace period."""
        for running in reversed(self._running):
            if running.process.poll() is None:
                _signal_group(running.process, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for running in reversed(self._running):
            remaining = max(0.1, deadline - time.monotonic())
            try:
                running.process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                _signal_group(running.process, signal.SIGKILL)
                running.process.wait()
        self._running.clear()

    def log_tail(self, log_file: Path, lines: int = 15) -> str:
        """The last lines a part wrote, to show next to its failure."""
        try:
            return "\n".join(log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _find(self, name: str) -> _Running:
        for running in self._running:
            if running.part.name == name:
                return running
        raise KeyError(name)


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def _safe(probe: Probe) -> bool:
    try:
        return probe()
    except Exception:
        return False
