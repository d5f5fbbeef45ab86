"""The outbox's table on a new store, made by workers that start together."""

from __future__ import annotations

import asyncio

import psycopg

from workflows.outbox import TABLE, PostgresOutbox


async def test_workers_starting_together_make_the_table_once(pg_url: str) -> None:
    # Each worker makes the table at start-up; on a new store several may do it at once (the
    # benchmark's two worker processes failed so: "duplicate key ... pg_type_typname_nsp_index").
    for _ in range(5):
        await asyncio.gather(*(PostgresOutbox(pg_url).create_table() for _ in range(8)))
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"DROP TABLE {TABLE}")
