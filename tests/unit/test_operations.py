"""The supervisor's waits between restarts, and JSON log lines: no database, no Temporal."""

from __future__ import annotations

import json
import logging
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workers.logs import configure_logging
from workers.settings import Settings
from workers.stack import Child, Stack


def test_a_child_that_keeps_dying_is_restarted_after_doubling_waits(
    caplog: pytest.LogCaptureFixture,
) -> None:
    child = Child("dies", [sys.executable, "-c", "raise SystemExit(3)"])
    stack = Stack(temporal_address="", ui_url=None, children=[child])
    child.start()
    caplog.set_level(logging.WARNING, logger="workers.stack")
    deadline = time.monotonic() + 20
    while child.restarts < 2 and time.monotonic() < deadline:
        stack.heal()
        time.sleep(0.05)
    stack.stop()

    lines = [r.getMessage() for r in caplog.records]
    patterns = [
        r"dies exited \(code 3\); restarting it in 0\.5 s",
        r"dies restarted \(pid \d+, restart 1\)",
        r"dies exited \(code 3\); restarting it in 1 s",
        r"dies restarted \(pid \d+, restart 2\)",
    ]
    assert len(lines) >= 4
    for line, pattern in zip(lines, patterns, strict=False):
        assert re.fullmatch(pattern, line), line


def test_a_child_stopped_with_the_stack_is_not_restarted() -> None:
    child = Child("sleeps", [sys.executable, "-c", "import time; time.sleep(60)"])
    stack = Stack(temporal_address="", ui_url=None, children=[child])
    child.start()
    first = child.process
    stack.stop()
    for _ in range(3):
        stack.heal()
        time.sleep(0.3)
    assert first is not None
    assert first.returncode is not None
    assert child.process is first


_DEAF = (
    "import signal, sys, time\n"
    "def heard(*_):\n"
    "    open(sys.argv[1], 'w').write(repr(time.monotonic()))\n"
    "signal.signal(signal.SIGTERM, heard)\n"
    "open(sys.argv[1] + '.up', 'w').close()\n"
    "while True: time.sleep(0.05)\n"
)
"""A child that notes when SIGTERM reached it, and stays until killed."""


def test_the_stack_stops_its_processes_together_and_temporal_after_them(
    tmp_path: Path,
) -> None:
    """Each stopped in turn with a wait of its own, five processes slow to stop took five waits;
    the board, dispatcher, worker and projector are told together, and Temporal, which they
    talk to, once they are gone."""
    names = ("temporal", "projector", "worker")
    children = [Child(n, [sys.executable, "-c", _DEAF, str(tmp_path / n)]) for n in names]
    stack = Stack(temporal_address="", ui_url=None, children=children)
    for child in children:
        child.start()
    deadline = time.monotonic() + 20
    while not all((tmp_path / f"{n}.up").exists() for n in names) and time.monotonic() < deadline:
        time.sleep(0.05)
    stack.stop(timeout=2.0)
    told = {n: float((tmp_path / n).read_text()) for n in names}
    assert abs(told["projector"] - told["worker"]) < 1.0  # not one timeout after the other
    assert told["temporal"] >= max(told["projector"], told["worker"]) + 1.9  # after they went
    assert all(c.process is not None and c.process.returncode is not None for c in children)


def test_the_stack_says_which_process_it_stops_and_which_it_had_to_kill(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A stop that hangs must say what it waits for: a line as each process is told, as each
    one goes, and for one that had to be killed; one that had already exited is not told."""
    quick = Child("projector", [sys.executable, "-c", "import time; time.sleep(60)"])
    deaf = Child("worker", [sys.executable, "-c", _DEAF, str(tmp_path / "worker")])
    gone = Child("board", [sys.executable, "-c", "raise SystemExit(0)"])
    stack = Stack(temporal_address="", ui_url=None, children=[quick, deaf, gone])
    for child in stack.children:
        child.start()
    deadline = time.monotonic() + 20
    while not (tmp_path / "worker.up").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone.process is not None
    gone.process.wait(timeout=20)
    caplog.set_level(logging.INFO, logger="workers.stack")
    stack.stop(timeout=1.0)

    lines = sorted(r.getMessage() for r in caplog.records)
    patterns = sorted(
        [
            r"projector stopped \(exit code -15\) after \d+\.\d s",
            r"stopping projector \(pid \d+\)",
            r"stopping worker \(pid \d+\)",
            r"worker did not stop within 1 s: killed",
        ]
    )
    assert len(lines) == len(patterns), lines
    for line, pattern in zip(lines, patterns, strict=True):
        assert re.fullmatch(pattern, line), line


def test_liaison_up_stops_on_sigint_even_when_started_with_it_ignored() -> None:
    """A script's `liaison up &` starts it with SIGINT ignored; Ctrl-C sent to it must still
    stop it (the healing test's Ctrl-C was ignored when the suite itself ran in the background)."""
    probe = (
        "import signal\n"
        "from workers.cli import stop_on_signals\n"
        "assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN\n"
        "stop_on_signals()\n"
        "try:\n"
        "    signal.raise_signal(signal.SIGINT)\n"
        "except KeyboardInterrupt:\n"
        "    raise SystemExit(0)\n"
        "raise SystemExit(5)\n"
    )
    ignoring = subprocess.run(
        [sys.executable, "-c", probe],
        check=False,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        capture_output=True,
        timeout=60,
    )
    assert ignoring.returncode == 0, ignoring.stderr.decode()


def test_json_log_lines_name_the_process(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    kept = root.handlers[:], root.level
    try:
        configure_logging(Settings(log_format="json"), "projector")
        logging.getLogger("workers.projector").warning("Lag %s events in «%s»", 3, "Phường 1")
    finally:
        root.handlers[:], root.level = kept
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["process"] == "projector"
    assert line["level"] == "WARNING"
    assert line["logger"] == "workers.projector"
    assert line["message"] == "Lag 3 events in «Phường 1»"
    assert "time" in line
