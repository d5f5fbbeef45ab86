"""Raw limits of the same PostgreSQL, measured in the same run: COPY of the same rows, reads, and
a read-decode-COPY pipeline doing the physical work of a catch-up.

Each is the least work a figure's job can be done with on this server, so a figure's ratio to it
says how much of the machine the code leaves unused:

- `copying`: the import's job is to put these stored rows into the events table; COPY in large
  transactions is the fastest way PostgreSQL takes rows.
- `catch_up_limit`: a catch-up's job is to read every event in order, decode it, and leave the
  read models holding their rows; reading in keyset batches, decoding with the application's
  mapper and COPYing as many rows of the same tables' shapes in large transactions (in binary,
  with the read models' own dumpers, as they COPY) is the least that job can cost (no state, no
  row building, no indexes).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from eventsourcing.persistence import StoredEvent
from psycopg import sql

from projections import binary

SCRATCH = "bench_raw_events"
DDL = (
    "CREATE TABLE {} (originator_id uuid NOT NULL, originator_version bigint NOT NULL,"
    " topic text, state bytea, notification_id bigserial,"
    " PRIMARY KEY (originator_id, originator_version))"
)
COPY_ROWS = 50_000
"""Rows per COPY statement and transaction: commits and statements are then a rounding error."""
READ_BATCH = 5000
"""Events per keyset read (and per transaction of the catch-up pipeline)."""
SAMPLE_ROWS = 1000
"""Rows of each read-model table the pipeline writes over and over (their real values)."""


def _fresh(conn: psycopg.Connection[Any], schema: str) -> sql.Identifier:
    table = sql.Identifier(schema, SCRATCH)
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
    conn.execute(sql.SQL(DDL).format(table))
    # The same shape as the library's events table, which also indexes the notification id.
    conn.execute(sql.SQL("CREATE UNIQUE INDEX ON {} (notification_id)").format(table))
    conn.commit()
    return table


@contextmanager
def copying(url: str, schema: str) -> Iterator[Callable[[Sequence[StoredEvent]], float]]:
    """COPY into a fresh table of the events table's shape (its primary key and notification-id
    index), one COPY of COPY_ROWS rows per transaction: the function given COPYs rows and
    returns the seconds it took, so that rows read in segments are timed apart from the read.
    The table is dropped afterwards."""
    with psycopg.connect(url) as conn:
        table = _fresh(conn, schema)
        statement = sql.SQL(
            "COPY {} (originator_id, originator_version, topic, state) FROM STDIN"
        ).format(table)

        def copy(rows: Sequence[StoredEvent]) -> float:
            started = time.perf_counter()
            for i in range(0, len(rows), COPY_ROWS):
                with conn.cursor() as cur, cur.copy(statement) as block:
                    for r in rows[i : i + COPY_ROWS]:
                        block.write_row((r.originator_id, r.originator_version, r.topic, r.state))
                conn.commit()
            return time.perf_counter() - started

        try:
            yield copy
        finally:
            conn.rollback()
            conn.execute(sql.SQL("DROP TABLE {}").format(table))
            conn.commit()


def _keyset(ident: sql.Identifier) -> sql.Composed:
    return sql.SQL(
        "SELECT notification_id, originator_id, originator_version, topic, state FROM {}"
        " WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
    ).format(ident)


def read_rate(url: str, schema: str, table: str, batch: int = READ_BATCH) -> tuple[int, float]:
    """Rows and rows/s of a plain keyset sequential read of a stored-events table."""
    statement = _keyset(sql.Identifier(schema, table))
    total, last = 0, 0
    started = time.perf_counter()
    with psycopg.connect(url) as conn, conn.cursor(binary=True) as cur:
        while True:
            cur.execute(statement, (last, batch))
            got = cur.fetchall()
            if not got:
                break
            total += len(got)
            last = got[-1][0]
    return total, total / (time.perf_counter() - started)


@dataclass(frozen=True)
class Shape:
    """One read-model table as a catch-up left it: how many rows, and some of them as stored."""

    table: str
    rows: int
    columns: list[str]
    types: list[str]
    sample: list[tuple[Any, ...]]


def shapes(url: str, schema: str, tables: Sequence[str]) -> list[Shape]:
    """The rows each of these tables holds, with their columns and up to SAMPLE_ROWS of them."""
    out = []
    with psycopg.connect(url) as conn:
        for table in tables:
            ident = sql.Identifier(schema, table)
            columns = conn.execute(
                "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute WHERE"
                " attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                (ident.as_string(conn),),
            ).fetchall()
            counted = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(ident)).fetchone()
            names = [c[0] for c in columns]
            sample = conn.execute(
                sql.SQL("SELECT {} FROM {} LIMIT %s").format(
                    sql.SQL(", ").join(map(sql.Identifier, names)), ident
                ),
                (SAMPLE_ROWS,),
            ).fetchall()
            out.append(
                Shape(
                    table, int(counted[0]) if counted else 0, names, [c[1] for c in columns], sample
                )
            )
    return out


def share(rows: int, events: int, before: int, after: int) -> int:
    """How many of a table's `rows` the pipeline writes for events `before`..`after` of `events`:
    spread evenly over the log, so that every batch writes its part and the parts add up."""
    if events <= 0:
        return 0
    return rows * min(after, events) // events - rows * min(before, events) // events


def _cycled(sample: Sequence[tuple[Any, ...]], start: int, n: int) -> Iterator[tuple[Any, ...]]:
    for i in range(start, start + n):
        yield sample[i % len(sample)]


def _as_models_give(shape: Shape) -> list[tuple[Any, ...]]:
    """The sampled rows as the read models hand them to COPY: jsonb as JSON text (read back,
    psycopg made them Python objects)."""
    json_columns = {i for i, t in enumerate(shape.types) if t == "jsonb"}
    return [
        tuple(json.dumps(v) if i in json_columns and v is not None else v for i, v in enumerate(r))
        for r in shape.sample
    ]


@contextmanager
def _scratch_copies(
    conn: psycopg.Connection[Any], schema: str, tables: Sequence[Shape]
) -> Iterator[list[sql.Identifier]]:
    """A table of the same columns beside each read-model table: no index, no constraint."""
    made = [sql.Identifier(schema, f"bench_raw_{s.table}") for s in tables]
    for shape, ident in zip(tables, made, strict=True):
        conn.execute(
            sql.SQL("CREATE TABLE {} (LIKE {})").format(ident, sql.Identifier(schema, shape.table))
        )
    conn.commit()
    try:
        yield made
    finally:
        conn.rollback()
        for ident in made:
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(ident))
        conn.commit()


def catch_up_limit(
    url: str,
    schema: str,
    events_table: str,
    total: int,
    tables: Sequence[Shape],
    decode: Callable[[StoredEvent], object],
    batch: int = READ_BATCH,
) -> tuple[int, float]:
    """Events and events/s of the least work a catch-up of these read models can be: read the
    `total` events in order (keyset batches), decode each with `decode` (the application's
    mapper, as the projector must), and COPY each table's share of as many rows as the read
    models hold, of the same columns and values (their own rows, sampled and repeated), one
    transaction per batch.

    Rows are spread evenly over the log (`share`); the scratch tables have no index, so this
    bounds a catch-up from above whatever the models index."""
    read = _keyset(sql.Identifier(schema, events_table))
    with psycopg.connect(url) as conn, _scratch_copies(conn, schema, tables) as scratch:
        copies = [
            sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
                ident, sql.SQL(", ").join(map(sql.Identifier, s.columns))
            )
            for s, ident in zip(tables, scratch, strict=True)
        ]
        samples = [_as_models_give(s) for s in tables]
        done, last = 0, 0
        started = time.perf_counter()
        with conn.cursor(binary=True) as cur:
            binary.register(cur)  # binary COPY with the read models' own dumpers
            while True:
                cur.execute(read, (last, batch))
                got = cur.fetchall()
                if not got:
                    break
                for r in got:
                    decode(StoredEvent(r[1], r[2], r[3], bytes(r[4])))
                for shape, sample, statement in zip(tables, samples, copies, strict=True):
                    n = share(shape.rows, total, done, done + len(got))
                    if n and sample:
                        with cur.copy(statement) as copy:
                            copy.set_types(shape.types)
                            start = shape.rows * done // total
                            for row in _cycled(sample, start, n):
                                copy.write_row(row)
                conn.commit()
                done += len(got)
                last = got[-1][0]
        seconds = time.perf_counter() - started
    return done, done / seconds
