"""A schema kept as it stood, and put back so before each test that shares it.

Putting back a few dozen small tables' rows takes a few hundredths of a second; building the
same schema anew (its tables, indexes and rows) or copying a database that holds it takes ten
to twenty times that, most of a short test's time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg
from psycopg import sql

_RELATIONS = (
    "SELECT c.relname, c.relkind FROM pg_class c"
    " WHERE c.relnamespace = current_schema()::regnamespace"
)
_FUNCTIONS = (
    "SELECT p.oid::regprocedure::text FROM pg_proc p"
    " WHERE p.pronamespace = current_schema()::regnamespace"
)
_DROP = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE",
         "i": "INDEX", "I": "INDEX", "c": "TYPE"}  # fmt: skip
"""How each kind of relation (`pg_class.relkind`) a test made is dropped; tables first."""


@dataclass
class Kept:
    """The search path's schema of `url` as it stands now: its relations and functions, every
    table's rows and every sequence's value. Its database must be its own: `restore` ends every
    other session on it."""

    url: str
    relations: set[tuple[str, str]] = field(default_factory=set)
    functions: set[str] = field(default_factory=set)
    rows: dict[str, bytes] = field(default_factory=dict)
    sequences: dict[str, tuple[int, bool]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        with psycopg.connect(self.url) as conn:
            self.relations = {(name, kind) for name, kind in conn.execute(_RELATIONS)}
            self.functions = {name for (name,) in conn.execute(_FUNCTIONS)}
            for name, kind in self.relations:
                if kind == "r":
                    self.rows[name] = _copied_out(conn, name)
                elif kind == "S":
                    query = sql.SQL("SELECT last_value, is_called FROM {}")
                    row = conn.execute(query.format(sql.Identifier(name))).fetchone()
                    assert row is not None
                    self.sequences[name] = (row[0], row[1])

    def restore(self) -> None:
        """Put the schema back as it was kept: what a test made dropped, its rows and sequences
        as they were. Other sessions on its database (a test's leftovers) are ended first."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        with psycopg.connect(self.url) as conn:
            now = {(name, kind) for name, kind in conn.execute(_RELATIONS)}
            lost = self.relations - now
            assert not lost, f"a test dropped {sorted(lost)}: the kept schema cannot be put back"
            for name, kind in sorted(now - self.relations, key=lambda r: r[1] not in "rp"):
                drop = sql.SQL("DROP {} IF EXISTS {} CASCADE").format(
                    sql.SQL(_DROP[kind]), sql.Identifier(name)
                )
                conn.execute(drop)
            for function in {name for (name,) in conn.execute(_FUNCTIONS)} - self.functions:
                drop = sql.SQL("DROP FUNCTION IF EXISTS {} CASCADE").format(sql.SQL(function))
                conn.execute(drop)
            conn.execute("SET LOCAL session_replication_role = replica")  # no order among keys
            for table, rows in self.rows.items():
                conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
                if rows:
                    copy = sql.SQL("COPY {} FROM STDIN (FORMAT binary)")
                    with conn.cursor().copy(copy.format(sql.Identifier(table))) as stream:
                        stream.write(rows)
            for sequence, (value, called) in self.sequences.items():
                setval = "SELECT setval(quote_ident(%s)::regclass, %s, %s)"
                conn.execute(setval, (sequence, value, called))


def _copied_out(conn: psycopg.Connection[tuple[object, ...]], table: str) -> bytes:
    """A table's rows in COPY's binary format; none: empty."""
    name = sql.Identifier(table)
    row = conn.execute(sql.SQL("SELECT EXISTS (SELECT FROM {})").format(name)).fetchone()
    if not (row and row[0]):
        return b""
    with conn.cursor().copy(sql.SQL("COPY {} TO STDOUT (FORMAT binary)").format(name)) as stream:
        return b"".join(bytes(chunk) for chunk in stream)
