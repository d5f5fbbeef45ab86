"""The shape of a read model: its tables, how a batch of events changes them, how to reset it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager
from typing import Any, ClassVar

from projections import binary
from projections.log import Entry

Cursor = Any
"""A psycopg cursor inside the batch's one transaction (the library's datastore hands it out)."""
Beside = Callable[[], AbstractContextManager[Cursor]]
"""Opens a transaction on a connection of its own (`Projector.transaction`): the cursor, committed
when the block ends."""
Work = Callable[[Cursor], None]
"""Work done in one transaction on the store's schema (sent to a process of its own: a
module-level function or a `functools.partial` of one)."""
Apart = Callable[[Work], Future[None]]
"""Runs work in a process of its own (`projections.apart.start`); the future's `result()` raises
the work's failure."""
BUILD_IDLE = "15min"
"""How long a transaction that builds what a bulk catch-up left behind (`ReadModel.complete`, and
its work done apart) may wait between two statements, where every other waits a minute at most
(`workers.bootstrap`). The build works rows out in Python between its statements: at 300,000
members on a slow host the state figures' sum took more than a minute, the server ended the
transaction, and each catch-up after it failed at the same place. Long enough for a province on
a slow host; short enough that a build stuck for good lets go of its tables."""


class ReadModel(ABC):
    """One read model: `ddl` creates its tables; `apply` folds a batch in, in one transaction."""

    name: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]
    version: ClassVar[int] = 1
    """The layout and meaning of the model's rows. Raising it rebuilds the model in the shadow
    (new tables beside the live ones, which keep answering) and switches them in once caught up."""
    process: ClassVar[str] = "log"
    """The process a big catch-up folds this model in (`projections.parallel`): models that share
    work through the entries' memo (the evolution of liaison states) must name the same one."""

    def __init__(self, suffix: str = "") -> None:
        self.suffix = suffix
        self._cached_at: int | None = None

    def prepare(self, position: int) -> None:
        """Before a batch: keep in-memory caches only if they were built up to this position.

        Another process (an in-place rebuild, a shadow switch) moves the tracked position; then
        whatever this instance remembers about the model's tables is dropped and read again.
        """
        if position != self._cached_at:
            self.reset()

    def committed(self, position: int) -> None:
        """After a batch committed: the caches now describe the tables at this position."""
        self._cached_at = position

    @property
    def tracking_name(self) -> str:
        """The name under which the runner tracks this model's position."""
        return self.name + self.suffix

    def t(self, table: str) -> str:
        """The physical name of one of the model's tables (a shadow build adds a suffix)."""
        return table + self.suffix

    @abstractmethod
    def ddl(self) -> list[str]:
        """CREATE statements for the model's tables and indexes (idempotent)."""

    @abstractmethod
    def apply(self, cur: Cursor, entries: Sequence[Entry]) -> None:
        """Fold these events, in notification order, into the model's tables."""

    def skip(self, cur: Cursor, entry: Entry, problem: str) -> None:  # noqa: B027
        """An event `apply` could not fold in (logged by the runner); default: leave it out."""

    def outdated(self, cur: Cursor) -> bool:
        """Whether the model's tables exist in an older layout than `ddl` makes (default: no)."""
        return False

    def reset(self) -> None:  # noqa: B027 - most models keep no cache
        """Forget any in-memory cache (called after a rolled-back batch or a moved position)."""

    bulk: bool = False
    """Set by the runner while it folds the model in bulk from zero (its secondary indexes
    deferred): a model may leave derived tables behind and build them in `complete`."""

    def complete(  # noqa: B027 - most keep none
        self,
        cur: Cursor,
        position: int,
        beside: Beside | None = None,
        apart: Apart | None = None,
    ) -> None:
        """Build whatever the model left behind at `position` (after a bulk catch-up, or one
        stopped before its end); called at the end of a bulk catch-up and before any other
        (default: nothing). `beside`, if given, opens a transaction of its own, on another
        connection, for work that may run beside this one's; `apart`, if given, runs work in a
        process of its own (`projections.apart`), for Python's work beside this process's."""

    def drop(self) -> list[str]:
        """DROP statements for the model's tables."""
        return [f"DROP TABLE IF EXISTS {self.t(table)} CASCADE" for table in self.tables]

    def order_keys(self, table: str) -> str:
        """Columns that order a table's full contents for comparison (default: the first)."""
        return "1"


class Derived:
    """Rows a model derives from its own (per-unit steps, each liaison's tasks), kept with each
    batch, or left for a bulk catch-up to build once at its end: the one-row table `state` (a
    logical table name) holds in `column` the event they are kept up to; no row: not kept, and
    the board reads around them until they are built."""

    state: ClassVar[str]
    column: ClassVar[str]

    def __init__(self) -> None:
        self.kept_to: int | None = None
        """The event the rows are kept up to, -1 if not kept, None if not read yet."""

    def forget(self) -> None:
        self.kept_to = None

    def kept(self, cur: Cursor, tables: Mapping[str, str]) -> int:
        """The event the rows are kept up to (-1: not kept)."""
        if self.kept_to is None:
            cur.execute(f"SELECT {self.column} FROM {tables[self.state]}")
            row = cur.fetchone()
            self.kept_to = -1 if row is None else int(row[self.column])
        return self.kept_to

    def behind(self, cur: Cursor, tables: Mapping[str, str], position: int) -> bool:
        """Whether the rows are not kept up to the model's `position`."""
        return self.kept(cur, tables) != position

    def leave(self, cur: Cursor, tables: Mapping[str, str]) -> None:
        """Stop keeping the rows (a bulk catch-up builds them at its end)."""
        if self.kept_to != -1:
            cur.execute(f"DELETE FROM {tables[self.state]}")
            self.kept_to = -1

    def reached(self, cur: Cursor, tables: Mapping[str, str], position: int) -> None:
        """The rows are kept up to event `position`."""
        cur.execute(f"DELETE FROM {tables[self.state]}")
        cur.execute(f"INSERT INTO {tables[self.state]} VALUES (%s)", (position,))
        self.kept_to = position


def bulk_groups(models: Sequence[ReadModel]) -> list[list[ReadModel]]:
    """The models by the process a big catch-up folds them in, in their first model's order."""
    groups: dict[str, list[ReadModel]] = {}
    for model in models:
        groups.setdefault(model.process, []).append(model)
    return list(groups.values())


VERSION_MARK = "__v"
"""What a shadow built for a new version carries after its tables' names (`fact__v2`)."""


def next_version(model: ReadModel) -> ReadModel:
    """The shadow copy in which the model's declared version is built beside the live tables."""
    return type(model)(f"{VERSION_MARK}{model.version}")


def switch(cur: Cursor, shadow: ReadModel) -> ReadModel:
    """Drop the live tables of the shadow's model and give the shadow's tables, partitions and
    indexes the live names, in the caller's transaction; return the model on the live names.

    Readers wait on the dropped tables' locks for the length of the transaction, then read the
    renamed ones: PostgreSQL looks a name up again after waiting for its lock."""
    live = type(shadow)()
    for statement in live.drop():
        cur.execute(statement)
    for table in live.tables:
        cur.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid"
            " WHERE i.inhparent = %s::regclass",
            (shadow.t(table),),
        )
        for name in [shadow.t(table), *(r["relname"] for r in cur.fetchall())]:
            cur.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
                " AND tablename = %s",
                (name,),
            )
            for index in [r["indexname"] for r in cur.fetchall()]:
                cur.execute(f"ALTER INDEX {index} RENAME TO {index.replace(shadow.suffix, '', 1)}")
            cur.execute(f"ALTER TABLE {name} RENAME TO {name.replace(shadow.suffix, '', 1)}")
    return live


def set_local(cur: Cursor, settings: Mapping[str, str]) -> None:
    """Set these server settings for the rest of the transaction, in one round trip."""
    cur.execute(
        "SELECT " + ", ".join(["set_config(%s, %s, true)"] * len(settings)),
        [value for setting in settings.items() for value in setting],
    )


def copy_rows(
    cur: Cursor, table: str, columns: Mapping[str, str], rows: Iterable[Sequence[Any]]
) -> None:
    """Append rows with COPY (the fastest insert PostgreSQL offers), in the caller's transaction.

    `columns` maps each column to its PostgreSQL type: the rows go in binary (`projections.binary`
    says why, and how it stores what text would have)."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return  # nothing to append: no round trip
    binary.register(cur)
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(list(columns.values()))
        copy.write_row(first)
        for row in rows:
            copy.write_row(row)


def chunks(
    rows: Sequence[Sequence[Any]], max_bytes: int = 200_000
) -> Iterator[list[Sequence[Any]]]:
    """Rows in runs of at most about `max_bytes` of text/bytes values: one bounded statement each.

    Keeps every executemany pipeline well below the ~1 MB at which a Unix-socket write hangs.
    """
    run: list[Sequence[Any]] = []
    size = 0
    for row in rows:
        n = 16 * len(row) + sum(len(v) for v in row if isinstance(v, str | bytes))
        if run and size + n > max_bytes:
            yield run
            run, size = [], 0
        run.append(row)
        size += n
    if run:
        yield run
