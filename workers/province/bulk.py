"""The bulk path: many aggregates' new events in capped transactions, resumable by version."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import BaseAggregate
from eventsourcing.persistence import StoredEvent
from psycopg import sql

from application.office import MAX_EVENTS_PER_SAVE, LiaisonOffice
from domain.registry import BULK_IMPORT, CommandReceipt

MAX_BYTES_PER_SAVE = 400_000
"""A save of about 1 MB over a Unix socket hangs PostgreSQL writers (DESIGN.md); stay far below."""


@dataclass(frozen=True)
class Stored:
    """The store's last event of an aggregate: its version and the command that caused it."""

    version: int
    command_id: str | None


class DifferentHistory(Exception):
    """The store already holds events for this aggregate that the input did not produce."""


@dataclass(frozen=True)
class Encoded:
    """One aggregate's new events, encoded: (version, command id, stored event) in order."""

    aggregate_id: UUID
    events: list[tuple[int, str | None, StoredEvent]]


def encode(aggregate: BaseAggregate[UUID], mapper: Any) -> Encoded:
    """Collect an aggregate's pending events and encode them with the application's mapper."""
    return Encoded(
        aggregate.id,
        [
            (e.originator_version, _command(e), mapper.to_stored_event(e))
            for e in aggregate.collect_events()
        ],
    )


def _command(event: Any) -> str | None:
    command_id = getattr(event, "command_id", None)
    return None if command_id is None else str(command_id)


def fresh(encoded: Iterable[Encoded], stored: dict[UUID, Stored]) -> list[StoredEvent]:
    """The events the store lacks; refuse an aggregate whose stored history diverges from ours."""
    out: list[StoredEvent] = []
    for agg in encoded:
        last = stored.get(agg.aggregate_id)
        if last is None:
            out.extend(row for _, _, row in agg.events)
            continue
        ours = {version: command for version, command, _ in agg.events}
        if last.version in ours and last.command_id not in (None, ours[last.version]):
            raise DifferentHistory(str(agg.aggregate_id))
        out.extend(row for version, _, row in agg.events if version > last.version)
    return out


def new_events(
    aggregates: Iterable[BaseAggregate[UUID]], stored: dict[UUID, Stored], mapper: Any
) -> list[StoredEvent]:
    """The aggregates' pending events that the store lacks, encoded; refuse a diverging history."""
    return fresh([encode(a, mapper) for a in aggregates], stored)


def batches(
    rows: Sequence[StoredEvent], max_events: int, max_bytes: int
) -> Iterator[list[StoredEvent]]:
    """Consecutive runs of rows, each within both caps (a single oversized row goes alone)."""
    batch: list[StoredEvent] = []
    size = 0
    for row in rows:
        if batch and (len(batch) >= max_events or size + len(row.state) > max_bytes):
            yield batch
            batch, size = [], 0
        batch.append(row)
        size += len(row.state)
    if batch:
        yield batch


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
        max_events: int = MAX_EVENTS_PER_SAVE,
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
        self._last = sql.SQL(
            "SELECT DISTINCT ON (originator_id) originator_id, originator_version, state FROM {}"
            " WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version DESC"
        ).format(table)
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

    def save(self, conn: Any, rows: Sequence[StoredEvent]) -> None:
        """One capped transaction: lock as the library does, COPY the rows, notify followers."""
        oversized = len(rows) > self.max_events or sum(len(r.state) for r in rows) > self.max_bytes
        if oversized and len(rows) > 1:
            raise ValueError("batch exceeds the save caps")
        if self.fail_after_saves is not None and self.saves >= self.fail_after_saves:
            raise InterruptedError("bulk import stopped (test)")
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(self._begin)
            with cur.copy(self._copy) as copy:
                copy.write(copy_block([*rows, self.receipt(rows)]))
        self.saves += 1

    def receipt(self, rows: Sequence[StoredEvent]) -> StoredEvent:
        """The bulk import's receipt for one save, naming every event in it (encoded)."""
        versions: dict[UUID, list[int]] = {}
        for row in rows:
            versions.setdefault(UUID(str(row.originator_id)), []).append(row.originator_version)
        covered = tuple((k, min(v), max(v)) for k, v in versions.items())
        receipt_id = uuid4()
        receipt = CommandReceipt.part(receipt_id, receipt_id, BULK_IMPORT, covered)
        (event,) = receipt.collect_events()
        stored: StoredEvent = self.mapper.to_stored_event(event)
        return stored

    def save_all(self, rows: Sequence[StoredEvent]) -> int:
        """Save rows in capped transactions on one connection; return the number saved."""
        with self.connection() as conn:
            for batch in batches(rows, self.max_events, self.max_bytes):
                self.save(conn, batch)
        return len(rows)


class Pipeline:
    """Saves batches on a writer thread while the caller builds the next ones."""

    def __init__(self, writer: BulkWriter, depth: int = 8) -> None:
        self.writer = writer
        self.written = 0
        self._queue: queue.Queue[list[StoredEvent] | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._batch: list[StoredEvent] = []
        self._size = 0
        self._thread = threading.Thread(target=self._run, name="bulk-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with self.writer.connection() as conn:
                while (batch := self._queue.get()) is not None:
                    if self._error is None:
                        self.writer.save(conn, batch)
                        self.written += len(batch)
        except BaseException as error:  # handed to the caller on the next put or on close
            self._error = error
            while self._queue.get() is not None:
                pass

    def put(self, rows: Sequence[StoredEvent]) -> None:
        """Add rows; full batches (at the caps) go to the writer as soon as they fill."""
        cap_events, cap_bytes = self.writer.max_events, self.writer.max_bytes
        for row in rows:
            if self._batch and (
                len(self._batch) >= cap_events or self._size + len(row.state) > cap_bytes
            ):
                self._send(self._batch)
                self._batch, self._size = [], 0
            self._batch.append(row)
            self._size += len(row.state)

    def _send(self, batch: list[StoredEvent]) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(batch)

    def close(self) -> int:
        """Wait for every queued batch; re-raise a writer failure; return events written."""
        try:
            if self._batch:
                self._send(self._batch)
                self._batch = []
        finally:
            self._queue.put(None)
            self._thread.join()
        if self._error is not None:
            raise self._error
        return self.written
