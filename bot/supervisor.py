"""`helpline run`: start every part of the helpline, watch them, restart one that dies, stop them all cleanly.

One crashed part must not stop the helpline (issue 15): a part that exits on its own is started again
after a pause that doubles with each crash in a row (1 s, 2 s, 4 s … at most a minute), while the others
keep serving. Each crash and each return is one clear line on the terminal and in the supervisor's log.
A part that keeps crashing (more than `RestartPolicy.burst` times within `window_s`) is retried once a
minute, never abandoned: a helpline must come back by itself once the cause (a full disk, say) is gone.
"""

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

from bot.metrics import write_restarts
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


@dataclass(frozen=True)
class RestartPolicy:
    """How a part that died is started again: pauses that double from `first_pause_s` to `max_pause_s`;
    more than `burst` crashes within `window_s` is "keeps crashing" (the pause is then always the longest)."""

    first_pause_s: float = 1.0
    max_pause_s: float = 60.0
    burst: int = 5
    window_s: float = 600.0

    def pause_after(self, crashes_in_window: int) -> float:
        """The pause before the next start, after this many crashes within the window."""
        if crashes_in_window > self.burst:
            return self.max_pause_s
        return min(self.max_pause_s, self.first_pause_s * 2.0 ** max(0, crashes_in_window - 1))


@dataclass
class _Running:
    part: Part
    process: subprocess.Popen[bytes]
    log_file: Path
    started: float
    crashes: list[float] = field(default_factory=list)  # when it died, within the policy's window
    restart_at: float | None = None  # dead, to be started again then
    restarting: bool = False  # started again, not ready yet
    restarts: int = 0


class Supervisor:
    """Starts parts in order, waits until each is ready, and stops them in reverse order."""

    def __init__(self, log_dir: Path, out: IO[str] = sys.stdout, policy: RestartPolicy | None = None) -> None:
        self._log_dir = log_dir
        self._out = out
        self._policy = policy or RestartPolicy()
        self._running: list[_Running] = []

    def say(self, line: str) -> None:
        """Tell the person at the terminal what is happening; the same line goes to `supervisor.log`."""
        print(line, file=self._out, flush=True)
        if line.strip():
            private_dir(self._log_dir)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            with (self._log_dir / "supervisor.log").open("a", encoding="utf-8") as log:
                log.write(f"{stamp} {line.strip()}\n")

    def spawn(self, part: Part) -> None:
        """Start a part's process, its output going to its own log file."""
        process, log_file = self._start(part)
        self._running.append(_Running(part, process, log_file, time.monotonic()))
        self._publish_restarts()

    def restarts(self) -> dict[str, int]:
        """How many times each part was started again after dying."""
        return {running.part.name: running.restarts for running in self._running}

    def _publish_restarts(self) -> None:
        """Write the restart counts where the web app's /metrics reads them; a failure never stops us."""
        with contextlib.suppress(OSError):
            write_restarts(self._log_dir, self.restarts())

    def _start(self, part: Part) -> tuple[subprocess.Popen[bytes], Path]:
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
        return process, log_file

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

    def watch(self, should_stop: Callable[[], bool], tick_s: float = 0.25) -> None:
        """Keep every part running until asked to stop: a part that dies is started again (see the module's
        docstring), and the others go on serving meanwhile."""
        while not should_stop():
            now = time.monotonic()
            for running in self._running:
                self._look_after(running, now)
            time.sleep(tick_s)

    def _look_after(self, running: _Running, now: float) -> None:
        part = running.part
        if running.restart_at is not None:
            if now >= running.restart_at:
                running.process, running.log_file = self._start(part)
                running.started, running.restart_at, running.restarting = now, None, True
                running.restarts += 1
                self._publish_restarts()
            return
        code = running.process.poll()
        if code is None and running.restarting:
            if _safe(part.ready):
                running.restarting = False
                self.say(f"  ✔ {part.name} is back ({now - running.started:.1f} s after its restart)")
            elif now - running.started > part.ready_timeout_s:
                self.say(f"✘ {part.name} was not ready after {part.ready_timeout_s:.0f} s; starting it again")
                _signal_group(running.process, signal.SIGKILL)
                running.process.wait()
                self._schedule_restart(running, now, "not ready")
            return
        if code is not None:
            self._schedule_restart(running, now, f"exit code {code}")

    def _schedule_restart(self, running: _Running, now: float, why: str) -> None:
        policy = self._policy
        running.crashes = [at for at in running.crashes if now - at <= policy.window_s] + [now]
        pause = policy.pause_after(len(running.crashes))
        running.restart_at, running.restarting = now + pause, False
        name = running.part.name
        if len(running.crashes) > policy.burst:
            minutes = policy.window_s / 60
            self.say(
                f"✘ {name} keeps stopping ({len(running.crashes)} times in {minutes:.0f} min, {why}); "
                f"trying again every {pause:.0f} s. The other parts go on. See {running.log_file}"
            )
        else:
            self.say(f"✘ {name} stopped ({why}); starting it again in {pause:.0f} s. The other parts go on.")

    def stop_all(self, grace_s: float = 15.0) -> None:
        """Stop every part, newest first: SIGTERM, then SIGKILL after a grace period."""
        for running in reversed(self._running):
            running.restart_at = None
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
