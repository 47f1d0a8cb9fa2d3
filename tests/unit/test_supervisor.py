"""`helpline run` supervises its parts: waits for readiness, names what failed, stops everything."""

import io
import sys
import time
from pathlib import Path

import pytest

from bot.supervisor import Part, PartFailed, Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


def test_a_ready_part_is_reported_and_stopped(tmp_path: Path) -> None:
    out = io.StringIO()
    supervisor = Supervisor(tmp_path, out)
    supervisor.spawn(Part(name="sleeper", argv=SLEEPER, ready=lambda: True))
    supervisor.wait_ready("sleeper")
    started = time.monotonic()
    supervisor.stop_all(grace_s=5)
    assert "✔ sleeper ready" in out.getvalue()
    assert time.monotonic() - started < 5


def test_a_part_that_dies_while_starting_is_named_with_its_log(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path, io.StringIO())
    crash = [sys.executable, "-c", "import sys; print('port already in use'); sys.exit(3)"]
    supervisor.spawn(Part(name="rasa", argv=crash, ready=lambda: False))
    with pytest.raises(PartFailed) as failure:
        supervisor.wait_ready("rasa")
    assert failure.value.part == "rasa"
    assert "code 3" in failure.value.reason
    assert "port already in use" in supervisor.log_tail(failure.value.log_file)
    supervisor.stop_all()


def test_a_part_that_never_gets_ready_times_out(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path, io.StringIO())
    supervisor.spawn(Part(name="slow", argv=SLEEPER, ready=lambda: False, ready_timeout_s=0.5))
    with pytest.raises(PartFailed, match="not ready"):
        supervisor.wait_ready("slow")
    supervisor.stop_all(grace_s=5)


def test_a_part_stopping_on_its_own_ends_the_watch(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path, io.StringIO())
    supervisor.spawn(Part(name="short", argv=[sys.executable, "-c", "pass"], ready=lambda: True))
    with pytest.raises(PartFailed, match="stopped unexpectedly"):
        supervisor.watch(lambda: False)
    supervisor.stop_all()


def test_a_part_ignoring_sigterm_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    stubborn = [
        sys.executable,
        "-c",
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)",
    ]
    supervisor = Supervisor(tmp_path, io.StringIO())
    supervisor.spawn(Part(name="stubborn", argv=stubborn, ready=lambda: True))
    time.sleep(0.3)
    started = time.monotonic()
    supervisor.stop_all(grace_s=0.5)
    assert time.monotonic() - started < 5
