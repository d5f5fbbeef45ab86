"""The supervisor's waits between restarts, and JSON log lines: no database, no Temporal."""

from __future__ import annotations

import json
import logging
import re
import sys
import time

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
