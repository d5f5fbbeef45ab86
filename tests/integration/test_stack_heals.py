"""`liaison up` heals: each of its processes, killed in turn, is started again while the board
keeps answering; Ctrl-C still stops everything, PostgreSQL and Temporal included.

The real stack: `liaison up` as a user runs it, its own embedded PostgreSQL and Temporal dev
server, on free ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from workers.stack import HEALTH_OFFSETS

pytestmark = pytest.mark.postgres

MODULES = {f"workers.{name}": name for name in ("projector", "worker", "dispatcher", "web")}
RESTARTED_WITHIN = 30.0


def _free_ports(count: int) -> int:
    """The first of `count` consecutive ports that are all free on 127.0.0.1."""
    for base in range(20000 + os.getpid() % 20000, 60000, 17):
        try:
            for port in range(base, base + count):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free block of ports")


def _children(pid: int) -> dict[str, int]:
    """The supervised processes of `liaison up` by name (Temporal's dev server as `temporal`)."""
    found: dict[str, int] = {}
    listed = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for child in map(int, listed):
        try:
            argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except FileNotFoundError:
            continue
        words = [a.decode() for a in argv]
        for module, name in MODULES.items():
            if module in words:
                found[name] = child
        if "start-dev" in words:
            found["temporal"] = child
    return found


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as answer:
            return int(answer.status) < 500
    except (OSError, urllib.error.HTTPError):
        return False


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Seconds until `condition` held; fails after `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        time.sleep(0.2)
    pytest.fail(f"{what} not within {timeout:.0f} s")


def _body(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=3) as answer:
            return bytes(answer.read())
    except OSError:
        return b""


def _status(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`liaison status` as an operator runs it beside `liaison up`."""
    liaison = Path(sys.executable).parent / "liaison"
    return subprocess.run(
        [str(liaison), "status"], env={**env, "COLUMNS": "200"}, capture_output=True,
        text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], dict[str, str], Path]]:
    """`liaison up` on free ports, in a data folder of its own; stopped (Ctrl-C) afterwards."""
    base = _free_ports(8)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "TEMPORAL_"))}
    env.update(
        LIAISON_DATA_DIR=str(tmp_path / "data"),
        LIAISON_WEB_PORT=str(base),
        LIAISON_TEMPORAL_DEV_PORT=str(base + 6),
        LIAISON_TEMPORAL_UI_PORT=str(base + 7),
        LIAISON_LANG="en",
    )
    log = tmp_path / "up.log"
    liaison = Path(sys.executable).parent / "liaison"
    with log.open("wb") as output:
        up = subprocess.Popen(
            [str(liaison), "up"], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        yield up, env, log
    finally:
        if up.poll() is None:
            up.send_signal(signal.SIGINT)
            try:
                up.wait(60)
            except subprocess.TimeoutExpired:
                up.kill()
                up.wait()


def test_each_process_killed_is_restarted_while_the_board_answers_and_ctrl_c_stops_all(
    stack: tuple[subprocess.Popen[bytes], dict[str, str], Path],
) -> None:
    up, env, log = stack
    base = int(env["LIAISON_WEB_PORT"])
    board = f"http://127.0.0.1:{base}"
    health = {name: f"http://127.0.0.1:{base + o}/healthz" for name, o in HEALTH_OFFSETS.items()}
    health["web"] = f"{board}/healthz"

    _wait(
        lambda: all(_answers(url) for url in health.values()),
        180,
        "the stack answering on every health endpoint",
    )
    first = _children(up.pid)
    assert set(first) == {"temporal", *MODULES.values()}
    ready = _status(env)
    assert ready.returncode == 0, ready.stdout
    assert ready.stdout.count(" ready ") == 4, ready.stdout
    # The sample member's workflow ran: the worker's metrics carry the Temporal SDK's latencies.
    worker_metrics = health["worker"].replace("/healthz", "/metrics")
    _wait(
        lambda: b"temporal_workflow_task_execution_latency" in _body(worker_metrics),
        60,
        "the worker's workflow task latency on its /metrics",
    )

    for name in ("worker", "dispatcher", "projector", "web"):
        old = _children(up.pid)[name]
        os.kill(old, signal.SIGKILL)
        if name != "web":
            assert _answers(f"{board}/"), f"the board stopped answering when {name} died"

        def back(name: str = name, old: int = old) -> bool:
            pid = _children(up.pid).get(name)
            return pid not in (None, old) and _answers(health[name]) and _answers(f"{board}/")

        took = _wait(back, RESTARTED_WITHIN, f"{name} restarted and answering")
        assert up.poll() is None, "liaison up itself stopped"
        print(f"{name} back in {took:.1f} s")

    text = log.read_text()
    for name in ("worker", "dispatcher", "projector", "web"):
        assert f"{name} exited (code -9); restarting it in" in text
        assert f"{name} restarted (pid" in text

    last = _children(up.pid)
    up.send_signal(signal.SIGINT)  # what Ctrl-C at the terminal sends
    assert up.wait(60) == 0
    for name, pid in last.items():
        _wait(lambda pid=pid: not Path(f"/proc/{pid}").exists(), 10, f"{name} (pid {pid}) stopped")
    assert not (log.parent / "data" / "postgres" / "postmaster.pid").exists()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", base + 6)) != 0, "Temporal still listens"
    stopped = _status(env)
    assert stopped.returncode == 1
    assert stopped.stdout.count("not answering") == 4, stopped.stdout
