"""Build members' histories on every core: worker processes run the domain's guards and encode."""

from __future__ import annotations

import multiprocessing
import os
import select
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder

from domain.liaison import Liaison
from domain.persistence import PydanticMapper
from workers.province.builder import Context
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


def outcomes(
    ctx: Context, records: Sequence[MemberRecord], chunk: int, processes: int | None = None
) -> Iterator[list[Outcome]]:
    """Chunks of outcomes in input order; built by `processes` workers (0: in this process).

    By default a large input is built by one worker per core but one, leaving a core to the
    writer and PostgreSQL; a small one in this process, which is quicker than starting workers.
    """
    chunks = [records[i : i + chunk] for i in range(0, len(records), chunk)]
    workers = (
        processes
        if processes is not None
        else (os.cpu_count() or 1 if len(records) >= PARALLEL_FROM else 1)
    )
    if workers <= 1:
        here = (ctx, mapper())
        for part in chunks:
            yield _outcomes(part, build_chunk(part, here))
        return
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init, initargs=(ctx, os.getpid())
    ) as pool:
        pending: deque[tuple[Sequence[MemberRecord], Future[list[Built]]]] = deque()
        for part in chunks:
            pending.append((part, pool.submit(build_chunk, part)))
            if len(pending) > 2 * workers:  # bounded: results wait for the writer, not in memory
                done, future = pending.popleft()
                yield _outcomes(done, future.result())
        while pending:
            done, future = pending.popleft()
            yield _outcomes(done, future.result())
