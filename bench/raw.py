"""Raw limits of the same PostgreSQL, measured in the same run: batched INSERT, COPY, reads."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import StoredEvent
from psycopg import sql

SCRATCH = "bench_raw_events"
DDL = (
    "CREATE TABLE {} (originator_id uuid NOT NULL, originator_version bigint NOT NULL,"
    " topic text, state bytea, notification_id bigserial,"
    " PRIMARY KEY (originator_id, originator_version))"
)


def _fresh(conn: psycopg.Connection[Any], schema: str) -> sql.Identifier:
    table = sql.Identifier(schema, SCRATCH)
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
    conn.execute(sql.SQL(DDL).format(table))
    # The same shape as the library's events table, which also indexes the notification id.
    conn.execute(sql.SQL("CREATE UNIQUE INDEX ON {} (notification_id)").format(table))
    conn.commit()
    return table


def insert_rate(url: str, schema: str, rows: Sequence[StoredEvent], batch: int = 100) -> float:
    """Rows/s of plain executemany INSERT, `batch` rows per transaction, into a scratch table."""
    with psycopg.connect(url) as conn:
        table = _fresh(conn, schema)
        statement = sql.SQL(
            "INSERT INTO {} (originator_id, originator_version, topic, state)"
            " VALUES (%s, %s, %s, %s)"
        ).format(table)
        started = time.perf_counter()
        for i in range(0, len(rows), batch):
            with conn.cursor() as cur:
                cur.executemany(
                    statement,
                    [
                        (r.originator_id, r.originator_version, r.topic, r.state)
                        for r in rows[i : i + batch]
                    ],
                )
            conn.commit()
        seconds = time.perf_counter() - started
        conn.execute(sql.SQL("DROP TABLE {}").format(table))
        conn.commit()
    return len(rows) / seconds


def copy_rate(url: str, schema: str, rows: Sequence[StoredEvent], batch: int = 100) -> float:
    """Rows/s of plain COPY, `batch` rows per transaction, into a scratch table."""
    with psycopg.connect(url) as conn:
        table = _fresh(conn, schema)
        statement = sql.SQL(
            "COPY {} (originator_id, originator_version, topic, state) FROM STDIN"
        ).format(table)
        started = time.perf_counter()
        for i in range(0, len(rows), batch):
            with conn.cursor() as cur, cur.copy(statement) as copy:
                for r in rows[i : i + batch]:
                    copy.write_row((r.originator_id, r.originator_version, r.topic, r.state))
            conn.commit()
        seconds = time.perf_counter() - started
        conn.execute(sql.SQL("DROP TABLE {}").format(table))
        conn.commit()
    return len(rows) / seconds


def read_rate(url: str, schema: str, table: str, batch: int = 5000) -> tuple[int, float]:
    """Rows and rows/s of a plain keyset sequential read of a stored-events table."""
    ident = sql.Identifier(schema, table)
    statement = sql.SQL(
        "SELECT notification_id, originator_id, originator_version, topic, state FROM {}"
        " WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
    ).format(ident)
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
