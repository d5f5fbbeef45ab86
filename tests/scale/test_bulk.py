"""The bulk path keeps every save within the caps that keep PostgreSQL from hanging (DESIGN.md)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent
from psycopg import sql

from application.office import LiaisonOffice
from projections.runner import Projector
from projections.seal import Seal, verify
from tests.scale.conftest import SUPERVISOR, TODAY
from workers.province import demo
from workers.province.bulk import (
    MAX_BYTES_PER_SAVE,
    MAX_EVENTS_PER_BULK_SAVE,
    BulkWriter,
    batches,
)
from workers.province.importer import LATEST_OF_TOPICS, Source, import_records


def _rows(n: int, size: int) -> list[StoredEvent]:
    oid = uuid.uuid4()
    return [StoredEvent(oid, i + 1, "t:T", b"x" * size) for i in range(n)]


def test_batches_respect_both_caps() -> None:
    by_count = batches(_rows(2500, 450), MAX_EVENTS_PER_BULK_SAVE, MAX_BYTES_PER_SAVE)
    assert [sum(r.events for r in b) for b in by_count] == [1000, 1000, 500]
    # A save's bytes are its COPY data: each 10,000-byte state is sent as 20,000 hex digits.
    by_size = list(batches(_rows(300, 10_000), MAX_EVENTS_PER_BULK_SAVE, MAX_BYTES_PER_SAVE))
    assert all(sum(len(r.lines) for r in b) <= MAX_BYTES_PER_SAVE for b in by_size)
    assert [sum(r.events for r in b) for b in by_size] == [99, 99, 99, 3]


def test_an_oversized_save_is_refused(office: LiaisonOffice) -> None:
    writer = BulkWriter(office)
    with writer.connection() as conn, pytest.raises(ValueError, match="caps"):
        writer.save(conn, _rows(MAX_EVENTS_PER_BULK_SAVE + 1, 10))
    assert not office.recorder.max_notification_id()


def test_an_import_saves_within_the_caps(with_tree: LiaisonOffice, small: demo.Province) -> None:
    writer = BulkWriter(with_tree)
    sizes: list[tuple[int, int]] = []
    save = writer.save

    def measured(conn: Any, rows: Any) -> None:
        sizes.append((sum(r.events for r in rows), sum(len(r.lines) for r in rows)))
        save(conn, rows)

    writer.save = measured  # type: ignore[method-assign]
    report = import_records(
        with_tree, small.records, Source("t", "f" * 64), SUPERVISOR, TODAY, writer=writer
    )
    # + the run's start and completion (`domain.import_run`, not counted among the members' events)
    assert sum(n for n, _ in sizes) == report.events + 2
    assert max(n for n, _ in sizes) == MAX_EVENTS_PER_BULK_SAVE
    assert max(b for _, b in sizes) <= MAX_BYTES_PER_SAVE


def test_every_event_an_import_writes_is_named_by_a_receipt(
    with_tree: LiaisonOffice, small: demo.Province, pg_env: dict[str, str]
) -> None:
    import_records(with_tree, small.records, Source("t", "f" * 64), SUPERVISOR, TODAY)
    projector = Projector(pg_env, [Seal()])
    try:
        projector.catch_up()
        with projector.transaction() as cur:
            verdict = verify(cur)
    finally:
        projector.close()
    assert verdict.broken is None, verdict.broken
    assert verdict.checked == int(with_tree.recorder.max_notification_id() or 0)


def test_the_last_events_are_read_by_the_key_before_the_table_is_analysed(
    office: LiaisonOffice,
) -> None:
    """The bulk save locks the events table, so autovacuum does not analyse it while an import
    grows it by millions of rows; with no statistics, `originator_id = ANY(...)` planned as a
    scan of the whole table for every batch (the end of the 300,000-member import slowed to a
    few hundred events a second). Both look-ups must plan by the primary key regardless."""
    writer = BulkWriter(office)
    name = office.recorder.events_table_name  # type: ignore[attr-defined]
    table = sql.Identifier(writer.datastore.schema, name)
    ids = [uuid.uuid4() for _ in range(1000)]
    with writer.connection() as conn:
        conn.execute(
            sql.SQL(
                "INSERT INTO {} (originator_id, originator_version, topic, state)"
                " SELECT gen_random_uuid(), 1, 't:T', '\\x00'::bytea"
                " FROM generate_series(1, 200000)"
            ).format(table)
        )
        for statement, params in (
            (writer._last, (ids,)),
            (LATEST_OF_TOPICS.format(table), (ids, ["t:T"])),
        ):
            plan = conn.execute(sql.SQL("EXPLAIN ") + statement, params).fetchall()
            text = "\n".join(str(next(iter(row.values())))[:120] for row in plan)
            assert "Index Scan" in text, text
            assert "Seq Scan on" not in text, text
        conn.rollback()
