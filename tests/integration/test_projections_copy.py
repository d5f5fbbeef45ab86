"""Real PostgreSQL: the read models' binary COPY stores exactly what text COPY stored.

PostgreSQL reads binary input without casts, and psycopg's binary dumpers differ from text on
three types (`projections.binary`): each row below goes in by both routes and must come out the
same, and a value text refuses is refused, as an event's own content, by binary too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pytest
from psycopg import postgres
from psycopg.rows import dict_row

from projections import audit, escalations, facts, members, seal, timeline, units
from projections.catalog import all_models
from projections.model import copy_rows
from projections.outage import caused_by_content
from projections.runner import Projector

COLUMNS = {
    "i4": "int4", "i8": "int8", "t": "text", "u": "uuid", "d": "date", "ts": "timestamptz",
    "b": "bool", "raw": "bytea", "arr": "text[]", "doc": "jsonb",
}  # fmt: skip
DDL = (
    "(i4 int, i8 bigint, t text, u uuid, d date, ts timestamptz, b boolean, raw bytea,"
    " arr text[], doc jsonb)"
)
ZONE = "America/New_York"
NAIVE = [
    datetime(2018, 6, 1, 12, 30),
    datetime(2018, 3, 11, 2, 30),  # skipped by the spring change: PostgreSQL takes 3:30 EDT
    datetime(2018, 11, 4, 1, 30),  # repeated by the autumn change: PostgreSQL takes EST
    datetime(2018, 11, 4, 0, 59, 59, 999_999),
    datetime(2018, 11, 4, 2, 0),
]


@pytest.fixture
def conn(pg_url: str) -> Iterator[psycopg.Connection[dict[str, Any]]]:
    with psycopg.connect(pg_url, row_factory=dict_row) as connection:
        yield connection


def _rows() -> list[Sequence[Any]]:
    member = uuid.UUID("6976ce28-cedc-5ab6-9290-77330eab38a8")
    aware = datetime(2025, 12, 31, 23, 59, 59, 123_456, tzinfo=UTC)
    texts = ["Tổ 9", 'a "quoted", {braced} \\ value', "NULL", "", "line\nbreak\ttab"]
    rows: list[Sequence[Any]] = [
        (2**31 - 1, 2**63 - 1, texts[0], member, date(2025, 12, 15), aware, True, b"\x00\xff",
         texts, '{"b": 1, "a": [true, null, "Đ"],  "c": {"x": 1.50}}'),
        (-(2**31), -(2**63), texts[1], None, date(1, 1, 1), None, False, b"", [], "{}"),
        (None, None, None, None, date(9999, 12, 31), None, None, None, ["x", None], "[]"),
    ]  # fmt: skip
    rows += [(n, None, None, None, None, moment, None, None, None, None) for n, moment in
             enumerate(NAIVE)]  # fmt: skip
    return rows


def _stored(cur: Any, table: str) -> list[dict[str, Any]]:
    """Each row's values, and its text as PostgreSQL writes it (an array's bounds included)."""
    cur.execute(f"SELECT r.*, r::text AS as_text FROM {table} r ORDER BY ts, i4, t")
    return list(cur.fetchall())


def test_binary_copy_stores_what_text_copy_stored(conn: psycopg.Connection[Any]) -> None:
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(f"SET LOCAL TimeZone TO '{ZONE}'")  # naive times are read in this zone
        cur.execute(f"CREATE TABLE as_text {DDL}")
        cur.execute(f"CREATE TABLE as_binary {DDL}")
        with cur.copy(f"COPY as_text ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in _rows():
                copy.write_row(row)
        copy_rows(cur, "as_binary", COLUMNS, _rows())
        assert _stored(cur, "as_binary") == _stored(cur, "as_text")
        cur.execute(
            "SELECT ts::text FROM as_binary WHERE i8 IS NULL AND ts IS NOT NULL ORDER BY i4"
        )
        assert [r["ts"] for r in cur.fetchall()] == [
            "2018-06-01 12:30:00-04",
            "2018-03-11 03:30:00-04",
            "2018-11-04 01:30:00-05",
            "2018-11-04 00:59:59.999999-04",
            "2018-11-04 02:00:00-05",
        ]


@pytest.mark.parametrize("year", [2**31, -(2**31) - 1, 2**40 + 5])
def test_an_int4_out_of_range_is_refused_as_content_not_wrapped(
    conn: psycopg.Connection[Any], year: int
) -> None:
    conn.execute(f"CREATE TABLE years {DDL}")
    conn.commit()
    for write in (_as_text, _as_binary):
        # The two routes raise different types; what matters is how the runner sorts them.
        with pytest.raises(Exception) as refused, conn.transaction(), conn.cursor() as cur:  # noqa: PT011
            write(cur, [(year, *[None] * 9)])
        assert caused_by_content(refused.value), refused.value  # the runner skips the event
    assert conn.execute("SELECT count(*) AS n FROM years").fetchone() == {"n": 0}


def _as_text(cur: Any, rows: list[Sequence[Any]]) -> None:
    with cur.copy(f"COPY years ({', '.join(COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _as_binary(cur: Any, rows: list[Sequence[Any]]) -> None:
    copy_rows(cur, "years", COLUMNS, rows)


def test_each_models_copy_declares_the_types_its_tables_hold(pg_env: dict[str, str]) -> None:
    """Binary input is not cast: a type declared wrong would be refused, or worse, misread."""
    layouts = {
        "fact": facts.FACT_COLUMNS,
        "member": members.COLUMNS,
        "timeline": timeline.COLUMNS,
        "audit_event": audit.COLUMNS,
        "audit_subject": audit.SUBJECT_COLUMNS,
        "escalation": escalations.COLUMNS,
        "unit": units.UNIT_COLUMNS,
        "unit_ancestry": units.ANCESTRY_COLUMNS,
        "seal_link": seal.LINK_COLUMNS,
    }
    projector = Projector(pg_env, all_models())
    try:
        with projector.transaction() as cur:
            for table, columns in layouts.items():
                cur.execute(
                    "SELECT attname, atttypid::int AS oid FROM pg_attribute"
                    " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                    (table,),
                )
                held = {r["attname"]: r["oid"] for r in cur.fetchall()}
                declared = {c: postgres.types.get_oid(t) for c, t in columns.items()}
                assert declared == {c: held.get(c) for c in declared}, table
    finally:
        projector.close()
