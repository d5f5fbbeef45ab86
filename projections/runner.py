"""The batch runner: reads the notification log in order and commits rows and positions together."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import re
import select
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial

import psycopg
from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.postgres import PostgresFactory, PostgresTrackingRecorder
from eventsourcing.utils import Environment
from psycopg import sql
from psycopg.rows import tuple_row

from projections import apart
from projections.cores import seldom_collected, workers_here
from projections.log import EVENTS_TABLE, SELECT_AFTER, Entry, StoredRow, decode, rows_from
from projections.model import (
    BUILD_IDLE,
    VERSION_MARK,
    Apart,
    Cursor,
    ReadModel,
    bulk_groups,
    next_version,
    set_local,
    switch,
)
from projections.outage import (
    Backoff,
    caused_by_content,
    drop_lost_connections,
    summary,
    unavailable,
)

BATCH_EVENTS = 1000
BATCH_BYTES = 400_000
"""Cap each transaction well below the ~1 MB at which a Unix-socket write hangs (DESIGN.md)."""
NO_LIMIT = 2**62
BULK_EVENTS = 50_000
"""A catch-up of at least this many events into a model at position 0 defers its secondary
indexes (built once at the end instead of row by row) and commits without waiting for the WAL
flush (a batch lost to a server crash is lost with its tracking row, and is simply redone).
When two bulk groups of models (`ReadModel.process`) are this far behind, each group folds in a
process of its own (`projections.parallel`), in `catch_up` and in `follow` alike."""
BUILD_LOCKS = ("read_models_reading", "read_models_totals")
"""The advisory locks (keyed by the schema and these names) that a bulk catch-up of the live read
models holds, shared (a parallel one's processes hold them each): the first while it reads the
log into their tables, without their indexes; the second once every event is read, while it
makes the indexes, works out the totals and vacuums. Meanwhile their tables hold part of the log,
or have neither totals nor statistics, and the board reads none of them
(`projections.reads.building`)."""
VERSIONS_TABLE = "projections_version"
VERSIONS_DDL = (
    f"CREATE TABLE IF NOT EXISTS {VERSIONS_TABLE} (name text PRIMARY KEY, version int NOT NULL)"
)
"""The version of each read model whose tables answer on the live names."""
_INDEX = re.compile(r"CREATE\s+(?:UNIQUE\s+)?INDEX\s+IF\s+NOT\s+EXISTS\s+(\w+)\s", re.IGNORECASE)

Progress = Callable[[int, int], None]
log = logging.getLogger(__name__)


class StoppedMidBatch(RuntimeError):
    """What `fail_after_rows` raises: the process dying mid-batch (tests), never an odd event."""


class Projector:
    """Folds the log into read models in batches: each batch's rows and positions in one commit."""

    def __init__(
        self, env: Mapping[str, str], models: Sequence[ReadModel], batch: int = BATCH_EVENTS
    ) -> None:
        self.env = dict(env)
        factory = PostgresFactory(Environment("projections", self.env))
        self.datastore = factory.datastore
        self.tracking: PostgresTrackingRecorder = factory.tracking_recorder()
        self.schema = self.datastore.schema
        self.models = list(models)
        self.batch = batch
        self.fail_after_rows: int | None = None  # for tests: raise mid-batch after writing rows
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="projections-read")
        self._ahead: tuple[tuple[int, int], Future[list[Entry]]] | None = None
        self._bulk = False
        try:
            with self.transaction() as cur:
                cur.execute(VERSIONS_DDL)
                cur.execute(f"SELECT name, version FROM {VERSIONS_TABLE}")
                recorded = {r["name"]: r["version"] for r in cur.fetchall()}
                self.models = [self._set_up(cur, m, recorded.get(m.name)) for m in self.models]
        except BaseException:
            self.close()  # e.g. PostgreSQL away: leave no pool or reader thread behind
            raise

    def _set_up(self, cur: Cursor, model: ReadModel, recorded: int | None) -> ReadModel:
        """Create the model's tables; return the model to project (its shadow while a version
        other than the one its live tables hold is being built)."""
        if model.suffix:  # a copy a tool builds for itself (`rebuild --shadow`, comparisons)
            for statement in model.ddl():
                cur.execute(statement)
            return model
        if model.outdated(cur):  # tables of a layout older than versions: rebuilt from zero
            for statement in model.drop():
                cur.execute(statement)
            self.reset_position(cur, model)
            recorded = None
        elif recorded is not None and recorded != model.version:
            shadow = next_version(model)
            for statement in shadow.ddl():
                cur.execute(statement)
            log.info(
                "Read model %s: version %s is built beside version %s, which answers meanwhile",
                model.name,
                model.version,
                recorded,
            )
            return shadow
        for statement in model.ddl():
            cur.execute(statement)
        if recorded is None:  # a fresh store, or one made before models had versions
            self._record_version(cur, model)
        return model

    def _record_version(self, cur: Cursor, model: ReadModel) -> None:
        cur.execute(
            f"INSERT INTO {VERSIONS_TABLE} VALUES (%s, %s)"
            " ON CONFLICT (name) DO UPDATE SET version = excluded.version",
            (model.name, model.version),
        )

    def promote(self) -> list[str]:
        """Switch in each new version built in the shadow that has caught up with the live
        models (each in one transaction: no moment without the model's tables); return their
        names. Before that, the old version's tables answer, at the position they had."""
        shadows = [m for m in self.models if m.suffix.startswith(VERSION_MARK)]
        if not shadows:
            return []
        done = []
        with self.transaction() as cur:
            positions = self.positions(cur)
            live = [p for m, p in positions.items() if m not in {s.tracking_name for s in shadows}]
            target = min(live) if live else self._head(cur)
            for shadow in shadows:
                position = positions[shadow.tracking_name]
                if position < target:
                    continue
                model = switch(cur, shadow)
                self.reset_position(cur, shadow)
                self.reset_position(cur, model)
                self._track(cur, [model.tracking_name], position)
                self._record_version(cur, model)
                done.append((shadow, model))
        for shadow, model in done:
            self.models[self.models.index(shadow)] = model
            log.info("Read model %s: version %s is switched in", model.name, model.version)
        return [model.name for _, model in done]

    def transaction(self, building: bool = False) -> _Tx:
        """A transaction on the store's database with the search path set to the store's schema;
        `building` what a bulk catch-up left behind, it may idle longer (`BUILD_IDLE`)."""
        return _Tx(self, building)

    def positions(self, cur: Cursor, models: Sequence[ReadModel] | None = None) -> dict[str, int]:
        """Each model's (or each of these models') tracked notification id (0 before its first
        batch)."""
        cur.execute(
            sql.SQL("SELECT application_name, notification_id FROM {}.{}").format(
                sql.Identifier(self.schema), sql.Identifier(self.tracking.tracking_table_name)
            )
        )
        known = {r["application_name"]: r["notification_id"] for r in cur.fetchall()}
        chosen = self.models if models is None else models
        return {m.tracking_name: int(known.get(m.tracking_name) or 0) for m in chosen}

    def head(self) -> int:
        """The highest notification id in the store."""
        with self.transaction() as cur:
            return self._head(cur)

    def _head(self, cur: Cursor) -> int:
        cur.execute(f"SELECT coalesce(max(notification_id), 0) AS h FROM {EVENTS_TABLE}")
        return int(cur.fetchone()["h"])

    def step(self, stop: int = NO_LIMIT) -> int:
        """Process one batch after the slowest model's position (up to `stop`); return its size.

        While the batch's rows are written, the next batch is read and decoded on another
        connection; it is used only if the next step starts where this one ended.

        A batch that fails because of what an event holds is done again one event at a time,
        each model's share of each event in a savepoint of its own: an event a model cannot hold
        is skipped by that model alone (and logged), so no single event can stop a read model.
        """
        shadows = [m for m in self.models if m.suffix.startswith(VERSION_MARK)]
        live = [m for m in self.models if m not in shadows]
        if not (shadows and live):
            return self._step_safely(self.models, stop, read_ahead=True)
        # A new version rebuilt from zero must not hold the others back: they keep up with the
        # log, and the shadow takes its batches in between.
        done = self._step_safely(live, stop, read_ahead=False)
        return done + self._step_safely(shadows, stop, read_ahead=False)

    def _step_safely(self, models: list[ReadModel], stop: int, read_ahead: bool) -> int:
        try:
            return self._step(models, stop, careful=False, read_ahead=read_ahead)
        except Exception as error:
            if isinstance(error, StoppedMidBatch) or not caused_by_content(error):
                raise
            log.warning("A batch failed (%s); projecting it one event at a time", summary(error))
            return self._step(models, stop, careful=True, read_ahead=False)

    def _step(self, models: list[ReadModel], stop: int, careful: bool, read_ahead: bool) -> int:
        try:
            with self.transaction() as cur:
                positions = self.positions(cur, models)
                start = min(positions.values(), default=0)
                entries = self._prefetched(start, stop) or self._read(cur, start, stop)
                if not entries:
                    return 0
                last = entries[-1].row.notification_id
                if last < stop and read_ahead and not careful:
                    self._ahead = ((last, stop), self._reader.submit(self._read_ahead, last, stop))
                reached = dict(positions)
                for model in models:
                    position = positions[model.tracking_name]
                    model.prepare(position)
                    mine = (
                        entries
                        if position == start
                        else [e for e in entries if e.row.notification_id > position]
                    )
                    if mine:
                        if careful:
                            self._apply_each(cur, model, mine)
                        else:
                            model.apply(cur, mine)
                        self._fail_if_asked(len(mine))
                        reached[model.tracking_name] = last
                self._track(cur, [n for n, p in reached.items() if p != positions[n]], last)
            for model in models:
                model.committed(reached[model.tracking_name])
            return len(entries)
        except BaseException:
            self._ahead = None
            for model in models:
                model.reset()
            raise

    def _apply_each(self, cur: Cursor, model: ReadModel, entries: Sequence[Entry]) -> None:
        """Fold the events in one by one; one the model cannot hold goes to its `skip` instead."""
        for entry in entries:
            try:
                with cur.connection.transaction():  # a savepoint
                    model.apply(cur, [entry])
            except Exception as error:
                if isinstance(error, StoppedMidBatch) or not caused_by_content(error):
                    raise
                model.reset()  # its caches may hold what the rolled-back writes said
                log.error(
                    "Read model %s cannot hold the event at notification %s (%s): %s",
                    model.name,
                    entry.row.notification_id,
                    entry.row.topic[:200],
                    summary(error),
                )
                try:
                    with cur.connection.transaction():
                        model.skip(cur, entry, f"not projected ({type(error).__name__})")
                except Exception as again:
                    if not caused_by_content(again):
                        raise
                    model.reset()
                    log.error("Read model %s skipped it: %s", model.name, summary(again))

    def _track(self, cur: Cursor, names: list[str], position: int) -> None:
        """Record these models' new position, in one statement (the library's upsert, batched)."""
        if not self.datastore.single_row_tracking:
            for name in names:
                self.tracking._insert_tracking(cur, Tracking(name, position))
            return
        cur.execute(
            sql.SQL(
                "INSERT INTO {} AS t VALUES {} ON CONFLICT (application_name) DO UPDATE"
                " SET notification_id = excluded.notification_id"
                " WHERE t.notification_id < excluded.notification_id RETURNING application_name"
            ).format(
                sql.Identifier(self.schema, self.tracking.tracking_table_name),
                sql.SQL(", ").join(sql.SQL("(%s, %s)") for _ in names),
            ),
            [value for name in names for value in (name, position)],
        )
        if len(cur.fetchall()) != len(names):
            msg = f"failed to record tracking at {position} for {', '.join(names)}"
            raise IntegrityError(msg)

    def _read(self, cur: Cursor, start: int, stop: int) -> list[Entry]:
        """The decoded events after `start` (up to `stop`), at most `batch` and ≈ BATCH_BYTES."""
        # Tuples in binary: no dict per row, no hex text to decode into the state's bytes, no
        # uuid text to parse (a third of the reading's time, decoding aside).
        with cur.connection.cursor(row_factory=tuple_row) as raw:
            raw.execute(SELECT_AFTER, (start, stop, self.batch), binary=True)
            records = raw.fetchall()
        rows: list[StoredRow] = []
        size = 0
        for row in rows_from(records):
            size += len(row.state)
            if rows and size > BATCH_BYTES:
                break
            rows.append(row)
        return [decode(row) for row in rows]

    def _read_ahead(self, start: int, stop: int) -> list[Entry]:
        with self.transaction() as cur:
            return self._read(cur, start, stop)

    def _prefetched(self, start: int, stop: int) -> list[Entry]:
        """The batch read ahead, if it starts at `start` (empty: none, or read it again now)."""
        ahead, self._ahead = self._ahead, None
        if ahead is None or ahead[0] != (start, stop):
            return []
        try:
            return ahead[1].result()
        except Exception:  # the read-ahead failed (e.g. a dropped connection): read it here
            return []

    def _fail_if_asked(self, written: int) -> None:
        if self.fail_after_rows is not None:
            self.fail_after_rows -= written
            if self.fail_after_rows <= 0:
                raise StoppedMidBatch("projection stopped mid-batch (test)")

    def catch_up(self, stop: int | None = None, progress: Progress | None = None) -> int:
        """Process batches until the log (or `stop`) is reached; return the events processed.

        A big catch-up (`BULK_EVENTS` or more behind) of models in more than one bulk group runs
        each group in a process of its own (`projections.parallel`): every core folds."""
        target = stop if stop is not None else self.head()
        with self.transaction() as cur:
            positions = self.positions(cur)
        if self._apart(positions, target):
            done = self._in_processes(positions, target, progress)
        else:
            done = self.catch_up_here(target, self.bulk(self.models, positions, target), progress)
        self.promote()
        return done

    def _apart(self, positions: Mapping[str, int], target: int) -> bool:
        """Whether catching up to `target` folds each bulk group in a process of its own: more
        than one group is `BULK_EVENTS` behind, and this process may start others to use."""
        behind = [
            g
            for g in bulk_groups(self.models)
            if target - min(positions[m.tracking_name] for m in g) >= BULK_EVENTS
        ]
        # A daemon process (a pool's worker) may not start processes of its own.
        alone = (os.cpu_count() or 1) == 1 or multiprocessing.current_process().daemon
        return len(behind) > 1 and not alone

    def _in_processes(
        self,
        positions: Mapping[str, int],
        target: int,
        progress: Progress | None = None,
        stop_event: threading.Event | None = None,
    ) -> int:
        from projections.parallel import in_processes  # it builds Projectors itself

        groups = bulk_groups(self.models)
        return in_processes(self, groups, positions, target, progress, stop_event)

    def bulk(self, models: Sequence[ReadModel], positions: Mapping[str, int], target: int) -> bool:
        """Whether catching these models up to `target` is a bulk one (indexes deferred)."""
        start = min((positions[m.tracking_name] for m in models), default=0)
        fresh = any(positions[m.tracking_name] == 0 for m in models)
        return fresh and target - start >= BULK_EVENTS

    def catch_up_here(self, target: int, bulk: bool, progress: Progress | None = None) -> int:
        """Process batches in this process until `target`; in bulk, the fresh models' secondary
        indexes are built once at the end and their tables vacuumed, and the cycle collector
        runs seldom (`cores.seldom_collected`)."""
        with seldom_collected() if bulk else contextlib.nullcontext():
            return self._catch_up_here(target, bulk, progress)

    def _catch_up_here(self, target: int, bulk: bool, progress: Progress | None) -> int:
        with self.transaction(building=True) as cur:
            positions = self.positions(cur)
            fresh = [m for m in self.models if positions[m.tracking_name] == 0] if bulk else []
            for model in self.models:
                if model not in fresh:
                    model.complete(
                        cur, positions[model.tracking_name], self.transaction, self._process_apart()
                    )
        with self._building(fresh) as read:
            return self._fill(fresh, target, progress, read)

    @contextlib.contextmanager
    def _building(self, fresh: Sequence[ReadModel]) -> Iterator[Callable[[], None]]:
        """While these models are filled in bulk, if one of them answers on the live names (not
        a shadow built beside them), holds the build's advisory lock of reading (`BUILD_LOCKS`),
        and yields what changes it for the lock of the totals once every event is read. Held on
        one of the pool's connections (a connection more for each process of a parallel build
        was one too many for a busy server) and let go before it goes back, or with it if the
        process dies."""
        if not any(model.suffix == "" for model in fresh):
            yield lambda: None
            return
        lock = "SELECT pg_advisory_{}_shared(hashtext(%s), hashtext(%s))"
        reading, totals = ((self.schema, name) for name in BUILD_LOCKS)
        held: list[tuple[str, str]] = []
        with self.datastore.get_connection() as conn:  # in autocommit, as the library sets it

            def take(key: tuple[str, str]) -> None:
                conn.execute(lock.format("lock"), key)
                held.append(key)

            def read() -> None:  # the totals' lock taken first: never a moment without either
                take(totals)
                conn.execute(lock.format("unlock"), reading)
                held.remove(reading)

            take(reading)
            try:
                yield read
            finally:
                with contextlib.suppress(psycopg.Error):  # a broken session holds nothing
                    for key in held:
                        conn.execute(lock.format("unlock"), key)

    def _fill(
        self,
        fresh: Sequence[ReadModel],
        target: int,
        progress: Progress | None,
        read: Callable[[], None],
    ) -> int:
        """Process batches until `target`, the fresh models in bulk, and build what they left;
        `read` is called once every event is read."""
        deferred = self._defer_indexes(fresh) if fresh else []
        self._bulk = bool(fresh)
        for model in fresh:
            model.bulk = True
        done = 0
        try:
            while n := self.step(target):
                done += n
                if progress is not None:
                    progress(done, target)
            read()
        finally:
            self._bulk = False
            for model in fresh:
                model.bulk = False
            if deferred:
                with self.transaction() as cur:
                    for statement in deferred:
                        cur.execute(statement)
        if fresh:
            with self.transaction(building=True) as cur:
                reached = self.positions(cur, fresh)
                for model in fresh:
                    model.complete(
                        cur, reached[model.tracking_name], self.transaction, self._process_apart()
                    )
            self._vacuum(fresh)
        return done

    def _process_apart(self) -> Apart | None:
        """Starts work in a process of its own on this store, where this process may start
        processes (not a daemon's, not on one core)."""
        return partial(apart.start, self.env) if workers_here() else None

    def _vacuum(self, models: Sequence[ReadModel]) -> None:
        """Statistics and the visibility map for tables just filled in bulk.

        Without them the first inspections after a rebuild plan on empty-table estimates and
        read every heap page behind the covering indexes, until autovacuum comes round.
        """
        tables = [
            sql.Identifier(self.schema, model.t(table))
            for model in models
            for table in model.tables
        ]
        with self.datastore.get_connection() as conn:
            conn.autocommit = True  # VACUUM runs outside a transaction
            try:
                conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.SQL(", ").join(tables)))
            finally:
                conn.autocommit = False

    def _defer_indexes(self, models: Sequence[ReadModel]) -> list[str]:
        """Drop the secondary indexes of these (empty) models; return their CREATE statements.

        Should the process die before they are built again, the next `Projector` builds them:
        every model's `ddl` creates its indexes if they do not exist.
        """
        deferred = [s for m in models for s in m.ddl() if _INDEX.match(s.lstrip())]
        with self.transaction() as cur:
            for statement in deferred:
                name = _INDEX.match(statement.lstrip())
                assert name is not None
                cur.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(name[1])))
        return deferred

    def follow(self, stop_event: threading.Event, poll_seconds: float = 1.0) -> None:
        """Catch up, then wait for the store's NOTIFY (or a poll) and repeat until stopped.

        Far behind (after an import, or on a new store), it catches up as `catch_up` does, each
        bulk group in a process of its own; those are stopped as soon as `stop_event` is set,
        each model left at the last batch it committed. In a daemon process (which may not
        start others) or on one core, it folds in this process, batch by batch.

        Never gives up: while PostgreSQL is away, or batches keep failing, it tries again after
        growing waits and resumes from the tracked positions (nothing lost, nothing twice).
        """
        backoff = Backoff()
        while not stop_event.is_set():
            try:
                self._listen(stop_event, poll_seconds, backoff)
            except Exception as error:
                delay = backoff.next()
                if unavailable(error):
                    log.warning(
                        "PostgreSQL unavailable (%s), retrying in %g s", summary(error), delay
                    )
                    drop_lost_connections(self.datastore)
                else:
                    log.exception("Projection failed, retrying in %g s", delay)
                stop_event.wait(delay)

    def _listen(self, stop_event: threading.Event, poll_seconds: float, backoff: Backoff) -> None:
        channel = EVENTS_TABLE.replace(".", "_")
        with self.datastore.get_connection() as conn:
            conn.autocommit = True
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            try:
                while not stop_event.is_set():
                    # Asked before each batch: an import may add events faster than one folds.
                    self._catch_up_apart(stop_event)
                    if stop_event.is_set():
                        break
                    folded = self.step()
                    self.promote()
                    if folded:
                        continue  # more may be waiting: no pause
                    backoff.reset()  # caught up: PostgreSQL answers again
                    select.select([conn.fileno()], [], [], poll_seconds)
                    for _ in conn.notifies(timeout=0, stop_after=100):
                        pass
            finally:
                if not conn.broken:  # a lost connection is discarded by the pool as it is
                    with contextlib.suppress(psycopg.Error):
                        conn.execute(sql.SQL("UNLISTEN {}").format(sql.Identifier(channel)))
                        conn.autocommit = False

    def _catch_up_apart(self, stop_event: threading.Event) -> None:
        """When `catch_up` would fold in processes, do so (up to the log's end as it is now)."""
        with self.transaction() as cur:
            positions, target = self.positions(cur), self._head(cur)
        if not self._apart(positions, target):
            return
        behind = target - min(positions.values())
        log.info("Read models %d events behind: catching up in a process per group", behind)
        self._in_processes(positions, target, stop_event=stop_event)
        if not stop_event.is_set():
            log.info("Read models caught up with notification %d", target)
            self.promote()

    def rebuild(self, progress: Progress | None = None) -> int:
        """Drop every model's tables and position, recreate them, and replay from zero."""
        self.start_over()
        return self.catch_up(progress=progress)

    def start_over(self) -> None:
        """Drop every model's tables and position and recreate them empty, at position 0."""
        with self.transaction() as cur:
            for model in self.models:
                for statement in [*model.drop(), *model.ddl()]:
                    cur.execute(statement)
                self.reset_position(cur, model)

    def reset_position(self, cur: Cursor, model: ReadModel) -> None:
        """Forget a model's position so that it replays from zero."""
        cur.execute(
            sql.SQL("DELETE FROM {}.{} WHERE application_name = %s").format(
                sql.Identifier(self.schema), sql.Identifier(self.tracking.tracking_table_name)
            ),
            (model.tracking_name,),
        )
        model.reset()

    def close(self) -> None:
        """Stop reading ahead and close the connection pool."""
        self._reader.shutdown(wait=True)
        self._ahead = None
        self.datastore.close()


class _Tx:
    def __init__(self, projector: Projector, building: bool) -> None:
        self._projector, self._building = projector, building

    def __enter__(self) -> Cursor:
        self._cm = self._projector.datastore.transaction(commit=True)
        cur = self._cm.__enter__()
        settings = {"search_path": sql.Identifier(self._projector.schema).as_string(cur)}
        if self._projector._bulk:
            settings["synchronous_commit"] = "off"
        if self._building:
            settings["idle_in_transaction_session_timeout"] = BUILD_IDLE
        set_local(cur, settings)
        return cur

    def __exit__(self, *exc: object) -> None:
        self._cm.__exit__(*exc)  # type: ignore[arg-type]
