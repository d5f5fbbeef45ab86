"""A bulk build's CPU-bound folding spread over every core (issue 18, point 2).

The steps of a bulk catch-up's end (`projections.standing`) are a sum of every member's part, and
working the parts out is nearly all of their cost: the reading process hands chunks of members to
one worker process per core, round robin, each worker folds its chunks into a state of its own,
and the states come back once, at the end, for the caller to add up. A small build (fewer than
`spread_from` chunks) is folded in this process alone, without starting any.

Each worker, and a bulk build in any process (`seldom_collected`), runs Python's cycle collector
seldom (`YOUNG_OBJECTS`): builds make millions of objects and next to no cycles.

A daemon process may not start processes: there everything is folded here too (a parallel
catch-up's groups, `projections.parallel`, are not daemons, so that the facts group may).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

S = TypeVar("S")
"""A worker's state: what its chunks fold into."""
C = TypeVar("C")
"""A chunk of the work."""

AHEAD = 2
"""Chunks sent to a worker before the reader waits for its oldest (the memory held in flight)."""

_STATE: dict[str, Any] = {}

YOUNG_OBJECTS = 50_000
"""New objects Python's cycle collector lets a bulk build make before it looks at the young ones
(700 by default). A build makes millions of short-lived objects (rows, events, states) beside a
large heap of long-lived ones (liaison states, tallies, an import's input) and almost no cycles:
at 700 a catch-up of the facts and timeline over 331,557 events ran the collector 11,510 times,
82 of them over the whole heap, for a quarter of its CPU (55.2 s, 41.8 s with 50,000), and freed
723 objects in all. Reference counting frees the rest, whatever the threshold. The worker process
collects as seldom: it onboarded 6 % more liaisons a second (10,000 members, four runs each, 32.5–
32.9 → 33.9–36.4 workflows/s), its memory unchanged (223–226 MiB for 1,000 open workflows). So do
the projector and the web process, whose requests and batches make objects by the thousand: in
four alternating runs each of `bench.bench_api 50000`, the API's acknowledgement p99 fell from
157–250 to 138–198 ms and the dashboard's visible p99 from 666–703 to 623–685 ms."""


def collect_seldom() -> tuple[int, int, int]:
    """Let the cycle collector look at new objects every `YOUNG_OBJECTS` (a bulk build's process,
    for its whole life); return the thresholds it had."""
    before = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS, *before[1:])
    return before


@contextmanager
def seldom_collected(freeze: bool = False) -> Iterator[None]:
    """`collect_seldom` for the block, then the thresholds as they were; with `freeze`, the
    objects alive on entry (a long-lived input) are left out of every collection in the block."""
    if freeze:
        gc.freeze()
    before = collect_seldom()
    try:
        yield
    finally:
        gc.set_threshold(*before)
        if freeze:
            gc.unfreeze()


def workers_here() -> int:
    """How many worker processes this process may use: one per core, none in a daemon."""
    if multiprocessing.current_process().daemon:
        return 0
    cores = os.cpu_count() or 1
    return cores if cores > 1 else 0


def end_with_parent() -> None:
    """End this process once the one that started it has ended, even killed with SIGKILL (a
    worker waiting for chunks, or a catch-up nobody waits for, must not stay behind it)."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        parent.join()
        os._exit(1)  # an open transaction is rolled back with its connection


def _begin(start: Callable[[], Any]) -> None:
    threading.Thread(target=end_with_parent, name="parent-watch", daemon=True).start()
    collect_seldom()
    _STATE["here"] = start()


def _fold(fold: Callable[[Any, Any], None], chunk: Any) -> None:
    fold(_STATE["here"], chunk)


def _end() -> Any:
    return _STATE.pop("here")


class Cores(Generic[S, C]):
    """Folds chunks into states: `start()` makes an empty state, `fold(state, chunk)` adds a chunk
    to it (both module-level functions, or `functools.partial`s of them: they are sent to the
    workers). `states()` is every state made, to be added up by the caller."""

    def __init__(
        self,
        start: Callable[[], S],
        fold: Callable[[S, C], None],
        spread_from: int,
        workers: int | None = None,
    ) -> None:
        self.start, self.fold, self.spread_from = start, fold, spread_from
        self.workers = workers_here() if workers is None else workers
        self.here: S = start()
        self.sent = 0
        self._pools: list[ProcessPoolExecutor] = []
        self._pending: list[deque[Future[None]]] = []

    def __enter__(self) -> Cores[S, C]:
        return self

    def __exit__(self, *exc: object) -> None:
        for pool in self._pools:
            pool.shutdown(cancel_futures=True)

    def add(self, chunks: Iterable[C]) -> None:
        """Fold the chunks: the first `spread_from` here, the rest in the workers, if any."""
        for chunk in chunks:
            if self.sent < self.spread_from or not self.workers:
                self.fold(self.here, chunk)
            else:
                self._send(chunk)
            self.sent += 1

    def _send(self, chunk: C) -> None:
        if not self._pools:
            context = multiprocessing.get_context("spawn")  # no connection or thread inherited
            for _ in range(self.workers):  # one process each: each state stays in its worker
                pool = ProcessPoolExecutor(1, context, initializer=_begin, initargs=(self.start,))
                self._pools.append(pool)
                self._pending.append(deque())
        i = self.sent % self.workers
        pending = self._pending[i]
        pending.append(self._pools[i].submit(_fold, self.fold, chunk))
        if len(pending) > AHEAD:
            pending.popleft().result()  # a worker's failure is raised here

    def states(self) -> list[S]:
        """This process's state and each worker's (the workers end). Every worker is asked at
        once, so that each pickles its state while this process unpickles another's (asked one
        after the other, the second core idled while the first handed its state back: 35 s of a
        300,000-member build on a slow host)."""
        ends = [pool.submit(_end) for pool in self._pools]  # after the chunks sent to it
        out = [self.here]
        for pool, pending, end in zip(self._pools, self._pending, ends, strict=True):
            for future in pending:
                future.result()
            out.append(end.result())
            pool.shutdown()
        self._pools, self._pending = [], []
        return out
