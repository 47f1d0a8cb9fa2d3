"""`helpline run` supervises its parts: waits for readiness, names what failed, stops everything."""

import io
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from bot.metrics import read_restarts
from bot.supervisor import Part, PartFailed, RestartPolicy, Supervisor

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


QUICK = RestartPolicy(first_pause_s=0.05, max_pause_s=0.4, burst=3, window_s=60)


def watch_for(supervisor: Supervisor, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    supervisor.watch(lambda: time.monotonic() > deadline, tick_s=0.02)


def test_a_part_killed_is_started_again_while_the_others_keep_running(tmp_path: Path) -> None:
    out = io.StringIO()
    supervisor = Supervisor(tmp_path, out, QUICK)
    supervisor.spawn(Part(name="rasa", argv=SLEEPER, ready=lambda: True))
    supervisor.spawn(Part(name="web", argv=SLEEPER, ready=lambda: True))
    rasa, web = (running.process for running in supervisor._running)
    os.kill(rasa.pid, signal.SIGKILL)
    watch_for(supervisor, 1.0)
    new_rasa, same_web = (running.process for running in supervisor._running)
    assert new_rasa.pid != rasa.pid and new_rasa.poll() is None
    assert same_web is web and web.poll() is None
    assert supervisor.restarts() == {"rasa": 1, "web": 0}
    assert read_restarts(tmp_path) == {"rasa": 1, "web": 0}  # what the web app's /metrics shows
    said = out.getvalue()
    assert "✘ rasa stopped (exit code -9); starting it again" in said
    assert "✔ rasa is back" in said
    assert "rasa stopped" in (tmp_path / "supervisor.log").read_text()
    supervisor.stop_all(grace_s=5)


def test_a_part_that_keeps_crashing_is_retried_ever_more_slowly_and_never_stops_the_others(
    tmp_path: Path,
) -> None:
    out = io.StringIO()
    supervisor = Supervisor(tmp_path, out, QUICK)
    supervisor.spawn(
        Part(name="broken", argv=[sys.executable, "-c", "raise SystemExit(3)"], ready=lambda: True)
    )
    supervisor.spawn(Part(name="web", argv=SLEEPER, ready=lambda: True))
    watch_for(supervisor, 3.0)
    said = out.getvalue()
    assert "keeps stopping" in said and "The other parts go on" in said
    # pauses 0.05, 0.1, 0.2, then 0.4 s each: a handful of starts in 3 s, not hundreds
    assert 4 <= supervisor.restarts()["broken"] <= 12
    assert supervisor._running[1].process.poll() is None
    supervisor.stop_all(grace_s=5)


def test_a_restarted_part_that_never_gets_ready_is_started_again(tmp_path: Path) -> None:
    ready = iter([True])  # ready once (at the first start), never after

    out = io.StringIO()
    supervisor = Supervisor(tmp_path, out, QUICK)
    supervisor.spawn(Part(name="stuck", argv=SLEEPER, ready=lambda: next(ready, False), ready_timeout_s=0.3))
    supervisor.wait_ready("stuck")
    os.kill(supervisor._running[0].process.pid, signal.SIGKILL)
    watch_for(supervisor, 1.5)
    assert "was not ready after" in out.getvalue()
    assert supervisor.restarts()["stuck"] >= 2
    supervisor.stop_all(grace_s=5)


def test_restart_pauses_double_up_to_the_longest() -> None:
    policy = RestartPolicy(first_pause_s=1, max_pause_s=60, burst=5, window_s=600)
    assert [policy.pause_after(n) for n in (1, 2, 3, 4, 5, 6, 9)] == [1, 2, 4, 8, 16, 60, 60]


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
