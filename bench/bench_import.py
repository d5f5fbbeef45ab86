"""Import of a demo province with ten years of history, against COPY of the same rows.

The import's job ends with the stored events in the events table; the least that can cost is
COPYing those very rows (read back from the table the import wrote) into a table of the same
shape in large transactions (`bench.raw.copying`, COPY_ROWS a transaction): the raw limit of
both the whole import (validate, build, encode, append) and the bulk append alone. Plain
executemany INSERT is no longer a comparison: the bulk path beats it, so it bounds nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date

import psycopg
from eventsourcing.persistence import StoredEvent
from psycopg import sql

from bench.common import Figure, office_on, province_schema, scratch_schema, show
from bench.raw import COPY_ROWS, copying
from workers.province import demo
from workers.province.bulk import BulkWriter

UNTIL = date(2025, 12, 31)


SEGMENT = 5 * COPY_ROWS
"""Stored rows read back at a time: a province of 300,000 members holds 9.9 million (17 GB in
memory at once)."""


def stored_segments(url: str, schema: str, table: str) -> Iterator[list[StoredEvent]]:
    """Every stored event of the schema in notification order, SEGMENT at a time."""
    statement = sql.SQL(
        "SELECT originator_id, originator_version, topic, state FROM {} ORDER BY notification_id"
    ).format(sql.Identifier(schema, table))
    with psycopg.connect(url) as conn, conn.cursor("stored", binary=True) as cur:
        cur.execute(statement)
        while got := cur.fetchmany(SEGMENT):
            yield [
                StoredEvent(
                    originator_id=r[0], originator_version=r[1], topic=r[2], state=bytes(r[3])
                )
                for r in got
            ]


def run(url: str, members: int, seed: int = 1) -> list[Figure]:
    """Generate and import end to end; then time the append alone and the raw limits, same rows."""
    started = time.perf_counter()
    province = demo.generate(members, seed, UNTIL)
    generated = time.perf_counter() - started
    with province_schema(url, members, seed, UNTIL) as schema:  # the next benchmarks' store
        office = office_on(url, schema)
        report = demo.load(office, province)
        table = office.recorder.events_table_name  # type: ignore[attr-defined]
        events, appending, copied = 0, 0.0, 0.0
        with scratch_schema(url) as again, copying(url, schema) as copy_rows:
            writer = BulkWriter(office_on(url, again))
            for segment in stored_segments(url, schema, table):  # each timed apart from its read
                t = time.perf_counter()
                writer.save_all(segment)
                appending += time.perf_counter() - t
                copied += copy_rows(segment)
                events += len(segment)
        append, raw_copy = events / appending, events / copied
    print(
        f"import: {members:,} members, {events:,} events ({report.meetings:,} meetings),"
        f" generated in {generated:.1f} s, imported in {report.seconds:.1f} s,"
        f" {len(report.problems)} problems",
        flush=True,
    )
    copy = f"COPY of the same rows, {COPY_ROWS:,} a transaction"
    return show(
        [
            Figure(
                "import end to end (validate+encode+append)",
                report.rate,
                "events/s",
                copy,
                raw_copy,
                0.5,
            ),
            Figure("bulk append alone (same rows)", append, "events/s", copy, raw_copy, 0.5),
        ]
    )


if __name__ == "__main__":
    import sys

    from bench.common import run_alone

    run_alone(run, sys.argv)
