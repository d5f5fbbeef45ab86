"""The batch runner: reads the notification log in order and commits rows and positions together."""

from __future__ import annotations

import select
import threading
from collections.abc import Callable, Mapping, Sequence

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresFactory, PostgresTrackingRecorder
from eventsourcing.utils import Environment
from psycopg import sql

from projections.log import EVENTS_TABLE, SELECT_AFTER, StoredRow, decode, rows_from
from projections.model import Cursor, ReadModel

BATCH_EVENTS = 500
BATCH_BYTES = 400_000
"""Cap each transaction well below the ~1 MB at which a Unix-socket write hangs (DESIGN.md)."""
NO_LIMIT = 2**62

Progress = Callable[[int, int], None]


class Projector:
    """Folds the log into read models in batches: each batch's rows and positions in one commit."""

    def __init__(
        self, env: Mapping[str, str], models: Sequence[ReadModel], batch: int = BATCH_EVENTS
    ) -> None:
        factory = PostgresFactory(Environment("projections", dict(env)))
        self.datastore = factory.datastore
        self.tracking: PostgresTrackingRecorder = factory.tracking_recorder()
        self.schema = self.datastore.schema
        self.models = list(models)
        self.batch = batch
        self.fail_after_rows: int | None = None  # for tests: raise mid-batch after writing rows
        with self.transaction() as cur:
            for model in self.models:
                for statement in model.ddl():
                    cur.execute(statement)

    def transaction(self) -> _Tx:
        """A transaction on the store's database with the search path set to the store's schema."""
        return _Tx(self)

    def positions(self, cur: Cursor) -> dict[str, int]:
        """Each model's tracked notification id (0 before its first batch)."""
        cur.execute(
            sql.SQL("SELECT application_name, notification_id FROM {}.{}").format(
                sql.Identifier(self.schema), sql.Identifier(self.tracking.tracking_table_name)
            )
        )
        known = {r["application_name"]: r["notification_id"] for r in cur.fetchall()}
        return {m.tracking_name: int(known.get(m.tracking_name) or 0) for m in self.models}

    def head(self) -> int:
        """The highest notification id in the store."""
        with self.transaction() as cur:
            cur.execute(f"SELECT coalesce(max(notification_id), 0) AS h FROM {EVENTS_TABLE}")
            return int(cur.fetchone()["h"])

    def step(self, stop: int = NO_LIMIT) -> int:
        """Process one batch after the slowest model's position (up to `stop`); return its size."""
        try:
            with self.transaction() as cur:
                positions = self.positions(cur)
                start = min(positions.values(), default=0)
                cur.execute(SELECT_AFTER, (start, stop, self.batch))
                rows: list[StoredRow] = []
                size = 0
                for row in rows_from(cur.fetchall()):
                    size += len(row.state)
                    if rows and size > BATCH_BYTES:
                        break
                    rows.append(row)
                if not rows:
                    return 0
                entries = [decode(row) for row in rows]
                last = rows[-1].notification_id
                for model in self.models:
                    mine = [
                        e for e in entries if e.row.notification_id > positions[model.tracking_name]
                    ]
                    if mine:
                        model.apply(cur, mine)
                        self._fail_if_asked(len(mine))
                        self.tracking._insert_tracking(cur, Tracking(model.tracking_name, last))
                return len(rows)
        except BaseException:
            for model in self.models:
                model.reset()
            raise

    def _fail_if_asked(self, written: int) -> None:
        if self.fail_after_rows is not None:
            self.fail_after_rows -= written
            if self.fail_after_rows <= 0:
                raise RuntimeError("projection stopped mid-batch (test)")

    def catch_up(self, stop: int | None = None, progress: Progress | None = None) -> int:
        """Process batches until the log (or `stop`) is reached; return the events processed."""
        target = stop if stop is not None else self.head()
        done = 0
        while n := self.step(target):
            done += n
            if progress is not None:
                progress(done, target)
        return done

    def follow(self, stop_event: threading.Event, poll_seconds: float = 1.0) -> None:
        """Catch up, then wait for the store's NOTIFY (or a poll) and repeat until stopped."""
        channel = EVENTS_TABLE.replace(".", "_")
        with self.datastore.get_connection() as conn:
            conn.autocommit = True
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            try:
                while not stop_event.is_set():
                    while self.step() and not stop_event.is_set():
                        pass
                    select.select([conn.fileno()], [], [], poll_seconds)
                    for _ in conn.notifies(timeout=0, stop_after=100):
                        pass
            finally:
                conn.execute(sql.SQL("UNLISTEN {}").format(sql.Identifier(channel)))
                conn.autocommit = False

    def rebuild(self, progress: Progress | None = None) -> int:
        """Drop every model's tables and position, recreate them, and replay from zero."""
        with self.transaction() as cur:
            for model in self.models:
                for statement in [*model.drop(), *model.ddl()]:
                    cur.execute(statement)
                self.reset_position(cur, model)
        return self.catch_up(progress=progress)

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
        """Close the connection pool."""
        self.datastore.close()


class _Tx:
    def __init__(self, projector: Projector) -> None:
        self._projector = projector

    def __enter__(self) -> Cursor:
        self._cm = self._projector.datastore.transaction(commit=True)
        cur = self._cm.__enter__()
        cur.execute(
            sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(self._projector.schema))
        )
        return cur

    def __exit__(self, *exc: object) -> None:
        self._cm.__exit__(*exc)  # type: ignore[arg-type]
