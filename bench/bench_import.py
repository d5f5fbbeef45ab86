"""Import of a demo province with ten years of history, against COPY of the same rows.

The import's job ends with the stored events in the events table; the least that can cost is
COPYing those very rows (read back from the table the import wrote) into a table of the same
shape in large transactions (`bench.raw.copy_rate`, COPY_ROWS a transaction): the raw limit of
both the whole import (validate, build, encode, append) and the bulk append alone. Plain
executemany INSERT is no longer a comparison: the bulk path beats it, so it bounds nothing.
"""

from __future__ import annotations

import time
from datetime import date

import psycopg
from eventsourcing.persistence import StoredEvent
from psycopg import sql

from bench.common import Figure, office_on, province_schema, scratch_schema, show
from bench.raw import COPY_ROWS, copy_rate
from workers.province import demo
from workers.province.bulk import BulkWriter

UNTIL = date(2025, 12, 31)


def stored_rows(url: str, schema: str, table: str) -> list[StoredEvent]:
    """Every stored event of the schema, in notification order."""
    statement = sql.SQL(
        "SELECT originator_id, originator_version, topic, state FROM {} ORDER BY notification_id"
    ).format(sql.Identifier(schema, table))
    with psycopg.connect(url) as conn, conn.cursor(binary=True) as cur:
        cur.execute(statement)
        return [
            StoredEvent(originator_id=r[0], originator_version=r[1], topic=r[2], state=bytes(r[3]))
            for r in cur.fetchall()
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
        rows = stored_rows(url, schema, table)
        with scratch_schema(url) as again:
            writer = BulkWriter(office_on(url, again))
            t = time.perf_counter()
            writer.save_all(rows)
            append = len(rows) / (time.perf_counter() - t)
        raw_copy = copy_rate(url, schema, rows)
    print(
        f"import: {members:,} members, {len(rows):,} events ({report.meetings:,} meetings),"
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
