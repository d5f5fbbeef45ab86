"""Importers for the board's import port that misbehave on purpose, run in its child processes.

Kept in a module of their own (and light to import): a child unpickles them by reference.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from api.imports import ImportOrder, ImportOutcome, Progress
from workers.province.board_import import BoardImports


@dataclass(frozen=True)
class Stalling:
    """Starts a worker process of its own, reports a little progress, then waits to be stopped.

    It writes `<its pid> <its worker's pid>` into `pids` so a test can see both are gone.
    """

    pids: Path

    def screen(self, members: Path, history: Path | None) -> None:
        """Every file passes."""

    def __call__(self, order: ImportOrder, progress: Progress) -> ImportOutcome:
        """Never ends by itself."""
        worker = subprocess.Popen(["sleep", "600"])
        (self.pids / f"{os.getpid()}").write_text(f"{os.getpid()} {worker.pid}")
        progress(3, 10, 42)
        time.sleep(600)
        raise AssertionError("the run was not stopped")


@dataclass(frozen=True)
class Hungry:
    """Asks for more memory than its child may have."""

    gigabytes: int

    def screen(self, members: Path, history: Path | None) -> None:
        """Every file passes."""

    def __call__(self, order: ImportOrder, progress: Progress) -> ImportOutcome:
        """Fails for memory, if the limit holds."""
        hoard = bytearray(self.gigabytes * 2**30)
        raise AssertionError(f"{len(hoard)} bytes were granted")


@dataclass(frozen=True)
class StallsAfterFirstChunk(BoardImports):
    """The province import, stuck after its first chunk of members is handed to the writer."""

    def __call__(self, order: ImportOrder, progress: Progress) -> ImportOutcome:
        """Import, but wait for the time limit once some members are on their way to the store."""

        def stalling(done: int, total: int, events: int) -> None:
            progress(done, total, events)
            if done:
                time.sleep(600)

        return super().__call__(order, stalling)
