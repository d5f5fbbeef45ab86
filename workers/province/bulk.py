"""The bulk path: many aggregates' new events in capped transactions, resumable by version."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, NamedTuple
from uuid import UUID, uuid4

from eventsourcing.domain import BaseAggregate
from eventsourcing.persistence import StoredEvent
from psycopg import sql

from application.office import LiaisonOffice
from domain.registry import BULK_IMPORT, CommandReceipt

MAX_EVENTS_PER_BULK_SAVE = 1000
"""Events in one of the bulk path's saves. Each save costs a commit, the table lock and a receipt:
the same 196,000 rows were saved at 25,700 events/s 100 a save, 37,000–41,000 at 400, 49,000 at
1,000 and 52,000–61,000 at 2,000 (December 2026, shared PostgreSQL over TCP)."""

MAX_BYTES_PER_SAVE = 2_000_000
"""Bytes of COPY data in one save. DESIGN.md found a save of about 1 MB over a Unix socket hung
PostgreSQL writers (executemany); re-measured in December 2026 over a pgserver Unix socket, one
COPY save of 15 MB (8,000 events) took 0.3 s and executemany of 4 MB 0.2 s: a COPY sends nothing
back until its end, so no full buffer can block either side. The cap keeps a tenth of that."""


@dataclass(frozen=True)
class Stored:
    """The store's last event of an aggregate: its version and the command that caused it."""

    version: int
    command_id: str | None


class DifferentHistory(Exception):
    """The store already holds events for this aggregate that the input did not produce."""


class Encoded(NamedTuple):
    """One aggregate's new events ready to COPY: the first event's version, each event's command
    id and one COPY line per event, in version order. A builder hands the writer these bytes, not
    the events: pickling them costs a copy, where stored-event objects cost a fifth of the build."""

    aggregate_id: UUID
    first: int
    commands: tuple[str | None, ...]
    lines: bytes

    @property
    def events(self) -> int:
        """How many events."""
        return len(self.commands)

    @property
    def last(self) -> int:
        """The last event's version."""
        return self.first + len(self.commands) - 1

    def part(self, lines: list[bytes], start: int, stop: int) -> Encoded:
        """The events from `start` to `stop` (indices), given the lines split."""
        return Encoded(
            self.aggregate_id,
            self.first + start,
            self.commands[start:stop],
            b"".join(lines[start:stop]),
        )

    def split(self) -> list[bytes]:
        """One COPY line per event (each ending in its newline)."""
        return [line + b"\n" for line in self.lines.split(b"\n")[:-1]]


def encode(aggregate: BaseAggregate[UUID], mapper: Any) -> Encoded:
    """Collect an aggregate's pending events and encode them with the application's mapper."""
    events = aggregate.collect_events()
    first = events[0].originator_version if events else aggregate.version + 1
    rows = [mapper.to_stored_event(e) for e in events]
    return Encoded(aggregate.id, first, tuple(_command(e) for e in events), copy_block(rows))


def _command(event: Any) -> str | None:
    command_id = getattr(event, "command_id", None)
    return None if command_id is None else str(command_id)


def fresh(encoded: Iterable[Encoded], stored: dict[UUID, Stored]) -> list[Encoded]:
    """The events the store lacks; refuse an aggregate whose stored history diverges from ours."""
    out: list[Encoded] = []
    for agg in encoded:
        last = stored.get(agg.aggregate_id)
        if last is None:
            if agg.commands:
                out.append(agg)
            continue
        if agg.first <= last.version <= agg.last and last.command_id not in (
            None,
            agg.commands[last.version - agg.first],
        ):
            raise DifferentHistory(str(agg.aggregate_id))
        if last.version < agg.first:
            out.append(agg)
        elif last.version < agg.last:
            out.append(agg.part(agg.split(), last.version + 1 - agg.first, agg.events))
    return out


def new_events(
    aggregates: Iterable[BaseAggregate[UUID]], stored: dict[UUID, Stored], mapper: Any
) -> list[Encoded]:
    """The aggregates' pending events that the store lacks, encoded; refuse a diverging history."""
    return fresh([encode(a, mapper) for a in aggregates], stored)


Rows = Iterable[Encoded] | Iterable[StoredEvent]
"""What the writer takes: encoded aggregates, or stored events (read back, or from elsewhere)."""


def pieces(rows: Rows) -> Iterator[Encoded]:
    """The rows as encoded runs: stored events grouped by consecutive versions of one aggregate."""
    run: list[StoredEvent] = []
    for row in rows:
        if isinstance(row, Encoded):
            yield row
            continue
        if run and (
            row.originator_id != run[-1].originator_id
            or row.originator_version != run[-1].originator_version + 1
        ):
            yield _run(run)
            run = []
        run.append(row)
    if run:
        yield _run(run)


def _run(rows: list[StoredEvent]) -> Encoded:
    oid = rows[0].originator_id
    aggregate_id = oid if isinstance(oid, UUID) else UUID(str(oid))
    return Encoded(aggregate_id, rows[0].originator_version, (None,) * len(rows), copy_block(rows))


class Batcher:
    """Packs encoded runs into saves within both caps, splitting a run at a cap (a single
    oversized event goes alone); a save's bytes are those of its COPY data."""

    def __init__(self, max_events: int, max_bytes: int) -> None:
        self.max_events, self.max_bytes = max_events, max_bytes
        self.batch: list[Encoded] = []
        self.events = 0
        self.size = 0

    def add(self, piece: Encoded) -> Iterator[list[Encoded]]:
        """Add a run; yield every save it fills."""
        if self.events + piece.events <= self.max_events and (
            self.size + len(piece.lines) <= self.max_bytes
        ):
            self._take(piece)
            return
        lines = piece.split()
        start = 0
        while start < len(lines):
            stop, size = start, self.size
            while (
                stop < len(lines)
                and self.events + stop - start < self.max_events
                and size + len(lines[stop]) <= self.max_bytes
            ):
                size += len(lines[stop])
                stop += 1
            if stop == start and not self.batch:
                stop += 1  # an event larger than the cap goes alone
            if stop > start:
                self._take(piece.part(lines, start, stop))
                start = stop
            if start < len(lines) or self.events >= self.max_events:
                yield self.flush()

    def _take(self, piece: Encoded) -> None:
        self.batch.append(piece)
        self.events += piece.events
        self.size += len(piece.lines)

    def flush(self) -> list[Encoded]:
        """The save gathered so far (emptied)."""
        batch, self.batch, self.events, self.size = self.batch, [], 0, 0
        return batch


def batches(rows: Rows, max_events: int, max_bytes: int) -> Iterator[list[Encoded]]:
    """Consecutive runs of rows, each within both caps (a single oversized row goes alone)."""
    batcher = Batcher(max_events, max_bytes)
    for piece in pieces(rows):
        yield from batcher.add(piece)
    if batcher.batch:
        yield batcher.flush()


def copy_block(rows: Iterable[StoredEvent]) -> bytes:
    """Rows in COPY text format (bytea as hex); topics hold no tabs, newlines or backslashes."""
    return "".join(
        f"{r.originator_id}\t{r.originator_version}\t{r.topic}\t\\\\x{r.state.hex()}\n"
        for r in rows
    ).encode()


class BulkWriter:
    """Appends stored events with the library's guarantees (table lock, NOTIFY) but by COPY."""

    def __init__(
        self,
        office: LiaisonOffice,
        max_events: int = MAX_EVENTS_PER_BULK_SAVE,
        max_bytes: int = MAX_BYTES_PER_SAVE,
    ) -> None:
        self.office = office  # the application owns the connection pool: keep it alive
        recorder: Any = office.recorder
        self.mapper = office.mapper
        self.datastore = recorder.datastore
        self.max_events, self.max_bytes = max_events, max_bytes
        table = sql.Identifier(self.datastore.schema, recorder.events_table_name)
        # One round trip before the COPY. The library's 5 s idle-in-transaction limit would kill a
        # save paused by a long garbage collection or a busy machine; raise it for this one.
        self._begin = sql.SQL(
            "SET LOCAL idle_in_transaction_session_timeout = '120s';"
            " LOCK TABLE {} IN EXCLUSIVE MODE; NOTIFY {}"
        ).format(table, sql.Identifier(recorder.channel_name))
        self._copy = sql.SQL(
            "COPY {} (originator_id, originator_version, topic, state) FROM STDIN"
        ).format(table)
        # Each aggregate's last event by its primary key, whatever the statistics say: a table
        # grown by millions of rows under the bulk lock is not analysed by autovacuum, and
        # `originator_id = ANY(..)` then plans as a scan of the whole table for every batch.
        self._last = sql.SQL(
            "SELECT e.originator_id, e.originator_version, e.state FROM unnest(%s::uuid[]) i(id)"
            " CROSS JOIN LATERAL (SELECT originator_id, originator_version, state FROM {}"
            " WHERE originator_id = i.id ORDER BY originator_version DESC LIMIT 1) e"
        ).format(table)
        self._analyse = sql.SQL("ANALYZE {}").format(table)
        self.saves = 0
        self.fail_after_saves: int | None = None  # for tests: stop as if the process died

    def connection(self) -> AbstractContextManager[Any]:
        """A connection from the store's pool."""
        cm: AbstractContextManager[Any] = self.datastore.get_connection()
        return cm

    def stored(self, aggregate_ids: Sequence[UUID]) -> dict[UUID, Stored]:
        """The last stored event of each of these aggregates that the store has."""
        if not aggregate_ids:
            return {}
        with self.connection() as conn, conn.cursor() as cur:
            cur.execute(self._last, (list(aggregate_ids),))
            rows = cur.fetchall()
        out: dict[UUID, Stored] = {}
        for r in rows:
            command_id = json.loads(bytes(r["state"])).get("command_id")
            out[r["originator_id"]] = Stored(int(r["originator_version"]), command_id)
        return out

    def analyse(self) -> None:
        """Refresh the planner's statistics of the events table, as PostgreSQL advises after a
        bulk load: the library reads an aggregate by `originator_id = $1`, and on a table grown
        by millions of rows under the bulk lock, never analysed, that planned as a parallel scan
        (60 ms a read at 9.9 million events, measured, against a tenth of a millisecond)."""
        with self.connection() as conn:
            conn.execute(self._analyse)

    def save(self, conn: Any, rows: Rows) -> None:
        """One capped transaction: lock as the library does, COPY the rows, notify followers."""
        runs = list(pieces(rows))
        events = sum(p.events for p in runs)
        oversized = events > self.max_events or sum(len(p.lines) for p in runs) > self.max_bytes
        if oversized and events > 1:
            raise ValueError("batch exceeds the save caps")
        if self.fail_after_saves is not None and self.saves >= self.fail_after_saves:
            raise InterruptedError("bulk import stopped (test)")
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(self._begin)
            with cur.copy(self._copy) as copy:
                for run in runs:
                    copy.write(run.lines)
                copy.write(copy_block([self.receipt(runs)]))
        self.saves += 1

    def receipt(self, runs: Sequence[Encoded]) -> StoredEvent:
        """The bulk import's receipt for one save, naming every event in it (encoded)."""
        versions: dict[UUID, tuple[int, int]] = {}
        for run in runs:
            low, high = versions.get(run.aggregate_id, (run.first, run.last))
            versions[run.aggregate_id] = (min(low, run.first), max(high, run.last))
        covered = tuple((k, low, high) for k, (low, high) in versions.items())
        receipt_id = uuid4()
        receipt = CommandReceipt.part(receipt_id, receipt_id, BULK_IMPORT, covered)
        (event,) = receipt.collect_events()
        stored: StoredEvent = self.mapper.to_stored_event(event)
        return stored

    def save_all(self, rows: Rows) -> int:
        """Save rows in capped transactions on one connection; return the number of events saved."""
        saved = 0
        with self.connection() as conn:
            for batch in batches(rows, self.max_events, self.max_bytes):
                self.save(conn, batch)
                saved += sum(p.events for p in batch)
        return saved


class Pipeline:
    """Saves batches on a writer thread while the caller builds the next ones."""

    def __init__(self, writer: BulkWriter, depth: int = 8) -> None:
        self.writer = writer
        self.written = 0
        self._queue: queue.Queue[list[Encoded] | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._batcher = Batcher(writer.max_events, writer.max_bytes)
        self._thread = threading.Thread(target=self._run, name="bulk-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with self.writer.connection() as conn:
                while (batch := self._queue.get()) is not None:
                    if self._error is None:
                        self.writer.save(conn, batch)
                        self.written += sum(p.events for p in batch)
        except BaseException as error:  # handed to the caller on the next put or on close
            self._error = error
            while self._queue.get() is not None:
                pass

    def put(self, rows: Rows) -> None:
        """Add rows; full batches (at the caps) go to the writer as soon as they fill."""
        for piece in pieces(rows):
            for batch in self._batcher.add(piece):
                self._send(batch)

    def _send(self, batch: list[Encoded]) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(batch)

    def flush(self) -> None:
        """Send the rows gathered so far as a save of their own, full or not."""
        if self._batcher.batch:
            self._send(self._batcher.flush())

    def close(self) -> int:
        """Wait for every queued batch; re-raise a writer failure; return events written."""
        try:
            self.flush()
        finally:
            self._queue.put(None)
            self._thread.join()
        if self._error is not None:
            raise self._error
        return self.written
