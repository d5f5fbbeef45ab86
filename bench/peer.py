"""The peer of a catch-up: the eventsourcing library's own projection runner on the same events.

The library's way to keep a read model (`eventsourcing.projection`, as `workflows/dispatcher.py`
runs it): a `BaseProjectionRunner` subscribes to the application's log, decodes each event with
the application's mapper, and hands it to a `Projection`, whose view, a tracking recorder, writes
what the event means and the event's tracking record in one transaction. One event at a time:
that is the library's unit of exactly-once processing.

Here the view writes the same facts as Liaison's projector (the same six read models' `apply`, on
tables of their own, suffixed `_peer`), so the two differ only in how they go about it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    Mapper,
    Notification,
    OperationalError,
    StoredEvent,
    Tracking,
)
from eventsourcing.postgres import PostgresFactory, PostgresTrackingRecorder
from eventsourcing.projection import BaseProjectionRunner, Projection
from eventsourcing.utils import Environment
from psycopg import sql

from domain.persistence import APPLICATION_NAME, PydanticMapper
from projections.catalog import all_models
from projections.log import Entry, StoredRow
from projections.model import ReadModel
from projections.runner import Projector
from workflows.dispatcher import LogReader

SUFFIX = "_peer"


class EntryMapper(PydanticMapper):
    """The application's mapper, keeping the stored row beside the decoded event (the read models
    take both: the seal hashes the row as stored)."""

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        assert isinstance(stored_event, Notification)
        row = StoredRow(
            stored_event.id,
            stored_event.originator_id,  # type: ignore[arg-type]
            stored_event.originator_version,
            stored_event.topic,
            stored_event.state,
        )
        return Entry(row=row, event=super().to_domain_event(stored_event))


class PeerLog(LogReader):
    """The store's log as the library's runner reads it, decoded by `EntryMapper`."""

    name = APPLICATION_NAME  # the library names the events table after the application

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(transcoder=self.construct_transcoder(), mapper_class=EntryMapper)


class PeerView(PostgresTrackingRecorder):
    """A materialised view as the library intends one: each event's rows and its tracking record
    written in one transaction of the library's datastore."""

    models: list[ReadModel]
    folded = 0
    """Events folded and committed so far."""

    def create_models(self, models: list[ReadModel]) -> None:
        """Create the models' tables (beside the projector's, suffixed)."""
        self.models = models
        with self.datastore.transaction(commit=True) as cur:
            cur.execute(self._search_path())
            for model in models:
                for statement in model.ddl():
                    cur.execute(statement)

    def start_at(self, position: int) -> None:
        """Forget where an earlier run stopped: the runner starts after `position`."""
        with self.datastore.transaction(commit=True) as cur:
            cur.execute(
                sql.SQL("DELETE FROM {}.{} WHERE application_name = %s").format(
                    sql.Identifier(self.datastore.schema), sql.Identifier(self.tracking_table_name)
                ),
                (PeerLog.name,),
            )
            if position:
                self._insert_tracking(cur, Tracking(PeerLog.name, position))

    def _search_path(self) -> sql.Composed:
        return sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(self.datastore.schema))

    def fold(self, entry: Entry, tracking: Tracking) -> None:
        """Write what one event means to every model, and its position, in one transaction."""
        with self.datastore.transaction(commit=True) as cur:
            cur.execute(self._search_path())
            for model in self.models:
                model.apply(cur, [entry])
            self._insert_tracking(cur, tracking)
        self.folded += 1
        for model in self.models:
            model.committed(tracking.notification_id)


class PeerProjection(Projection[PeerView]):
    """Hands each event to the view (every model is interested in every event)."""

    name = "peer"

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Fold it in."""
        self.view.fold(domain_event, tracking)


def peer_rate(
    env: Mapping[str, str], last: int, events: int, allowed: float | None = None, after: int = 0
) -> float:
    """Events/s of the library's runner folding the log from notification `after` up to `last`
    (`events` events) into the six read models, one event per transaction.

    What comes before `after` is folded into its models untimed first, by Liaison's projector, and
    the runner told it has (its tracking row): both sides of the comparison start from the same
    tables. Given `allowed` seconds (by default a minute and a second for every 20 events); should
    it not reach `last` in that time (a loaded machine), the rate is that of the events it folded
    then."""
    factory = PostgresFactory(Environment("peer", dict(env)))
    view = factory.tracking_recorder(PeerView)
    view.create_models(all_models(SUFFIX))
    before = Projector(env, all_models(SUFFIX))
    try:
        before.start_over()  # from zero, whatever an earlier (stopped) run left
        before.catch_up(after)
    finally:
        before.close()
    view.start_at(after)
    started = time.perf_counter()
    with BaseProjectionRunner(
        projection=PeerProjection(view),
        application_class=PeerLog,
        tracking_recorder=view,
        topics=(),
        env=env,
    ) as runner:
        try:
            runner.wait(last, timeout=60 + events / 20 if allowed is None else allowed)
        except TimeoutError as timeout:
            if isinstance(timeout, OperationalError):  # the database failed, not the time
                raise
        seconds = time.perf_counter() - started
    factory.close()
    return view.folded / seconds
