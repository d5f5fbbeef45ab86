"""The outbox's table on a new store, made by workers that start together."""

from __future__ import annotations

import asyncio
from datetime import date
from uuid import NAMESPACE_URL, uuid4, uuid5

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from domain.escalation import Step
from workflows.outbox import TABLE, Notification, PostgresOutbox


async def test_workers_starting_together_make_the_table_once(pg_url: str) -> None:
    # Each worker makes the table at start-up; on a new store several may do it at once (the
    # benchmark's two worker processes failed so: "duplicate key ... pg_type_typname_nsp_index").
    for _ in range(5):
        await asyncio.gather(*(PostgresOutbox(pg_url).create_table() for _ in range(8)))
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"DROP TABLE {TABLE}")


def _notice(subject: str) -> Notification:
    return Notification(
        id=uuid5(NAMESPACE_URL, subject), liaison_id=uuid4(), step=Step.REMINDER,
        deadline_kind="receipt", subject=subject, unit_id="X", due_on=date(2027, 2, 4),
        effective_date=date(2027, 2, 1), title="t", body="b",
    )  # fmt: skip


async def test_a_worker_s_pooled_outbox_commits_each_write_once(pg_url: str) -> None:
    """The worker writes through a pool of connections: each write is committed when it returns
    (another connection sees it), a notification written again is kept once, and a write that
    fails is rolled back without taking a connection out of the pool's service."""
    async with AsyncConnectionPool(pg_url, min_size=1, max_size=1, open=False) as pool:
        outbox = PostgresOutbox(pg_url, pool)
        await outbox.create_table()
        first, second = _notice("a"), _notice("b")
        assert await outbox.write(first)
        assert not await outbox.write(first)  # its id again: kept once
        with pytest.raises(psycopg.DataError):  # text PostgreSQL refuses
            await outbox.write(second.model_copy(update={"unit_id": "X\x00"}))
        assert await outbox.write(second)  # the one connection serves on
        await outbox.mark_sent(first.id)
        elsewhere = PostgresOutbox(pg_url)
        assert [n.id for n in await elsewhere.unsent()] == [second.id]
        assert sorted(n.id for n in await outbox.all()) == sorted((first.id, second.id))
