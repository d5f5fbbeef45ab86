"""Build members' histories on every core: worker processes run the domain's guards and encode."""

from __future__ import annotations

import multiprocessing
import os
import select
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder

from domain.liaison import Liaison
from domain.persistence import PydanticMapper
from projections.cores import collect_seldom
from workers.province.builder import Attended, Context, Meetings, hold
from workers.province.bulk import Encoded, encode
from workers.province.member_build import MemberBuild
from workers.province.records import MemberRecord, Problem, RowError

Note = tuple[str, int, str, str, str | None]
"""cell, day (ordinal), liaison id, attendance, absence reason: the meeting's ids are derived from
the cell and day in the importer, and plain values cost the parent little to unpickle."""

PARALLEL_FROM = 2000
"""Below this many members one process is quicker than starting workers."""

_WORKER: dict[str, tuple[Context, Any]] = {}


Built = tuple[Problem | None, list[Encoded], list[Note], list[tuple[str, UUID]]]
"""What a builder hands back for one member (its record stays with the parent, which has it)."""


@dataclass(frozen=True)
class Outcome:
    """One member's result: a problem, or their encoded events and meeting attendances."""

    record: MemberRecord
    problem: Problem | None
    encoded: list[Encoded]
    notes: list[Note]
    entered: list[tuple[str, UUID]] = field(default_factory=list)
    """(cell, liaison): the member entered in that cell's book (the cell in force on receipt)."""


def mapper() -> Any:
    """The store's mapper (pydantic JSON, no cipher or compressor), buildable in any process."""
    return PydanticMapper(transcoder=JSONTranscoder())


def _watch(importer: int) -> None:
    """Exit when the import process ends (pidfd: woken by the kernel, no polling)."""
    try:
        fd = os.pidfd_open(importer)
    except OSError:  # already gone, or no pidfd on this kernel: look every second instead
        while _alive(importer):
            time.sleep(1)
    else:
        select.select([fd], [], [])
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _init(ctx: Context, importer: int) -> None:
    # A builder outlives a killed import otherwise: its parent is the forkserver, which waits
    # for its builders, and the resource tracker waits for them all (minutes, 115 MB each).
    threading.Thread(target=_watch, args=(importer,), daemon=True).start()
    collect_seldom()  # a builder's whole life is a bulk build
    _WORKER["here"] = (ctx, mapper())


def build_chunk(
    records: Sequence[MemberRecord], here: tuple[Context, Any] | None = None
) -> list[Built]:
    """Build and encode each member; a refused row becomes its problem."""
    ctx, encoder = here or _WORKER["here"]
    out: list[Built] = []
    for record in records:
        try:
            built = MemberBuild(ctx, record).run()
        except RowError as error:
            out.append((error.problem, [], [], []))
            continue
        notes = [
            (
                n.cell_id,
                n.day.toordinal(),
                str(n.entry.liaison_id),
                n.entry.attendance.value,
                n.entry.absence_reason,
            )
            for n in built.notes
        ]
        entered = [
            (ctx.tree.in_force(a.state.cell_id, a.state.cell_received_on).id, a.id)
            for a in built.aggregates
            if isinstance(a, Liaison) and a.state.cell_id and a.state.cell_received_on
        ]
        encoded = [encode(a, encoder) for a in built.aggregates]
        out.append((None, encoded, notes, entered))
    return out


def _outcomes(records: Sequence[MemberRecord], built: list[Built]) -> list[Outcome]:
    return [Outcome(r, *b) for r, b in zip(records, built, strict=True)]


def build_meetings(
    attendance: Sequence[Attended], here: tuple[Context, Any] | None = None
) -> list[Encoded]:
    """Each meeting's record with its whole attendance list, encoded."""
    ctx, encoder = here or _WORKER["here"]
    return [encode(hold(ctx, key, attended), encoder) for key, attended in attendance]


T = TypeVar("T")
R = TypeVar("R")


class Builders:
    """The build's workers: `processes` of them (0 or 1: this process), kept for every phase.

    By default a large input is built by one worker per core, a small one in this process,
    which is quicker than starting workers.
    """

    def __init__(self, ctx: Context, members: int, processes: int | None = None) -> None:
        self.ctx = ctx
        self.workers = (
            processes
            if processes is not None
            else (os.cpu_count() or 1 if members >= PARALLEL_FROM else 1)
        )
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Builders:
        if self.workers > 1:
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=_init,
                initargs=(self.ctx, os.getpid()),
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def _map(
        self, build: Callable[..., list[R]], parts: Iterable[Sequence[T]]
    ) -> Iterator[tuple[Sequence[T], list[R]]]:
        """Each part with its results, in order; at most a few parts ahead of the caller."""
        if self._pool is None:
            here = (self.ctx, mapper())
            for part in parts:
                yield part, build(part, here)
            return
        pending: deque[tuple[Sequence[T], Future[list[R]]]] = deque()
        for part in parts:
            pending.append((part, self._pool.submit(build, part)))
            if len(pending) > 2 * self.workers:  # bounded: results wait for the writer
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()

    def members(self, records: Sequence[MemberRecord], chunk: int) -> Iterator[list[Outcome]]:
        """Chunks of outcomes in input order."""
        parts = (records[i : i + chunk] for i in range(0, len(records), chunk))
        for part, built in self._map(build_chunk, parts):
            yield _outcomes(part, built)

    def meetings(self, meetings: Meetings, chunk: int) -> Iterator[list[Encoded]]:
        """Every meeting's record, encoded, in chunks (built while the writer saves the last)."""
        for _, encoded in self._map(build_meetings, meetings.chunks(chunk)):
            yield encoded
