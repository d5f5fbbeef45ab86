"""A big catch-up on every core: each bulk group of read models folds the log in its own process.

Each process is a `Projector` over its group's models: it reads and decodes the log itself and
commits each batch's rows with its models' tracking positions, as a single projector does, so a
process that dies leaves each of its models at a position its rows match (the next catch-up goes
on from there), and the other groups are not held back by it. The processes share nothing but
the database; each reports how far it got, and the slowest is the progress shown.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from projections.cores import end_with_parent
from projections.model import ReadModel
from projections.runner import Progress, Projector

POLL_SECONDS = 0.5
"""How often the progress is reported while the processes fold."""

log = logging.getLogger(__name__)


class CatchUpFailed(RuntimeError):
    """A process of a parallel catch-up failed and the others were stopped: each model stays at
    the last batch it committed, and the next catch-up goes on from there."""


@dataclass(frozen=True)
class GroupWork:
    """What one process folds: these models (by class and table suffix) up to `target`."""

    env: dict[str, str]
    models: list[tuple[type[ReadModel], str]]
    target: int
    bulk: bool
    batch: int
    fail_after_rows: int | None


@dataclass
class _Run:
    start: int
    process: BaseProcess
    done: Any  # a shared 64-bit counter: the events the process has folded so far
    outcome: Connection
    sending: Connection  # the process's end, closed here once it started


def in_processes(
    projector: Projector,
    groups: Sequence[Sequence[ReadModel]],
    positions: Mapping[str, int],
    target: int,
    progress: Progress | None = None,
    stop_event: threading.Event | None = None,
) -> int:
    """Fold each group up to `target` in a process of its own; return the events the
    furthest-behind group folded. A failed process stops the others and raises `CatchUpFailed`;
    once `stop_event` is set, every process is stopped and what they folded is returned.

    A group already at `target` gets a process too: a catch-up stopped after the group had
    folded its last batch but before `ReadModel.complete` built what it leaves behind (the
    facts' steps and tasks) is completed there, as `Projector.catch_up_here` completes every
    model it starts with.
    """
    context = multiprocessing.get_context("spawn")  # no pool, thread or socket inherited
    runs: list[_Run] = []
    for group in groups:
        start = min(positions[m.tracking_name] for m in group)
        work = GroupWork(
            projector.env,
            [(type(m), m.suffix) for m in group],
            target,
            projector.bulk(group, positions, target),
            projector.batch,
            projector.fail_after_rows,
        )
        done = context.Value("q", 0, lock=False)
        receive, send = context.Pipe(duplex=False)
        name = f"projections-{'+'.join(m.name for m in group)}"
        # Not a daemon, so that it may spread the steps it builds at its end over every core
        # (`projections.cores`); it ends with this process all the same (`cores.end_with_parent`).
        process = context.Process(target=fold, args=(work, done, send), name=name, daemon=False)
        runs.append(_Run(start, process, done, receive, send))
    if not runs:
        return 0
    lowest = min(r.start for r in runs)
    try:
        for run in runs:
            run.process.start()
            run.sending.close()
        waiting = {run.process.sentinel: run for run in runs}
        while waiting and not (stop_event and stop_event.is_set()):
            for sentinel in wait(list(waiting), POLL_SECONDS):
                run = waiting.pop(sentinel)  # type: ignore[arg-type]
                run.process.join()
                if run.process.exitcode != 0:
                    raise CatchUpFailed(_failure(run))
            if progress is not None:
                progress(min(r.start + r.done.value for r in runs) - lowest, target)
        return max(int(r.done.value) for r in runs)
    finally:
        for run in runs:
            if run.process.is_alive():
                run.process.terminate()  # its open batch is rolled back with its connection
        for run in runs:
            if run.process.pid is not None:
                run.process.join()


def _failure(run: _Run) -> str:
    """What a failed process said about its failure (or how it ended, when it said nothing)."""
    try:
        said = run.outcome.recv() if run.outcome.poll() else None
    except EOFError:  # it died before it could say anything
        said = None
    why = said[1] if said and said[0] == "failed" else f"exit code {run.process.exitcode}"
    return f"{run.process.name} failed: {why}"


def fold(work: GroupWork, done: Any, outcome: Connection) -> None:
    """A process's whole life: fold its models up to the target, then say how it went."""
    threading.Thread(target=end_with_parent, name="parent-watch", daemon=True).start()
    projector = Projector(work.env, [cls(suffix) for cls, suffix in work.models], work.batch)
    projector.fail_after_rows = work.fail_after_rows

    def report(events: int, _target: int) -> None:
        done.value = events

    try:
        report(projector.catch_up_here(work.target, work.bulk, report), work.target)
        outcome.send(("done", done.value))
    except BaseException as error:
        outcome.send(("failed", f"{type(error).__name__}: {error}"))
        raise
    finally:
        projector.close()
