"""Prometheus metrics: what a process counts as it works, and what the store shows when scraped.

Counters live where the work happens (each process counts its own; Prometheus sums them):
commands carried out by kind and outcome, events appended. Gauges of the shared state — each
read model's lag, the dispatcher's lag, escalations open, notifications pending — are read from
PostgreSQL at each scrape by `StoreCollector`. Workflow task and activity latencies are the
Temporal SDK's own metrics, exported by its runtime (`PrometheusConfig`) where a process sets
`LIAISON_TEMPORAL_METRICS_PORT`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import psycopg
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from psycopg import sql
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from application.office import LiaisonOffice
from domain import commands as cmd
from domain.errors import Refused
from domain.persistence import APPLICATION_NAME
from projections.catalog import all_models
from projections.escalations import Escalations
from projections.log import EVENTS_TABLE
from projections.model import VERSION_MARK
from projections.outage import summary
from workers.settings import Settings
from workflows.dispatcher import LIAISON_TOPICS, LiaisonDispatch
from workflows.outbox import TABLE as NOTIFICATIONS

log = logging.getLogger(__name__)
T = TypeVar("T")

COMMANDS = Counter(
    "liaison_commands",
    "Commands carried out by this process, by command and outcome (refusals by reason).",
    ["command", "outcome", "reason"],
)
EVENTS = Counter("liaison_events_appended", "Events this process appended to the event store.")

PROJECTIONS_TRACKING = "projections_tracking"
DISPATCHER_TRACKING = f"{LiaisonDispatch.name}_tracking"
LAG_COUNT_CAP = 1_000_000
"""The dispatcher's lag is counted up to this many events (a bigger backlog shows as this)."""


class MeteredOffice(LiaisonOffice):
    """The office, counting the commands it carries out and the events it appends."""

    name = APPLICATION_NAME  # the library names an application's tables after its class

    def execute(self, command: cmd.Command) -> Any:
        """As the office's, counted under the command's kind: accepted, or refused and why."""
        kind = type(command).__name__
        try:
            outcome = super().execute(command)
        except Refused as refusal:
            COMMANDS.labels(kind, "refused", refusal.code).inc()
            raise
        COMMANDS.labels(kind, "accepted", "").inc()
        return outcome

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """As the office's, counting the events appended."""
        recordings = super().save(*objs, **kwargs)
        EVENTS.inc(len(recordings))
        return recordings


class Store:
    """The store's figures, each read when asked (None where its table is not made yet)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def head(self) -> int:
        """The last notification id in the log (0 when empty)."""
        query = f"SELECT coalesce(max(notification_id), 0) FROM {EVENTS_TABLE}"
        return self._one(query) or 0

    def model_lags(self) -> dict[str, int]:
        """Each read model's distance behind the log, in events."""
        head = self.head()
        try:
            with self.conn.transaction():
                rows = self.conn.execute(
                    f"SELECT application_name, notification_id FROM {PROJECTIONS_TRACKING}"
                ).fetchall()
        except psycopg.errors.UndefinedTable:
            rows = []
        positions = {str(name): int(position) for name, position in rows}
        return {m.tracking_name: head - positions.get(m.tracking_name, 0) for m in all_models()}

    def models_rebuilding(self) -> set[str]:
        """Read models whose next version is being built in the shadow: their live tables keep
        answering at a frozen position until the switch (projections.model.next_version)."""
        try:
            with self.conn.transaction():
                rows = self.conn.execute(
                    f"SELECT application_name FROM {PROJECTIONS_TRACKING}"
                    " WHERE application_name LIKE %s",
                    (f"%{VERSION_MARK}%",),
                ).fetchall()
        except psycopg.errors.UndefinedTable:
            return set()
        return {str(name).split(VERSION_MARK, 1)[0] for (name,) in rows}

    def dispatcher_lag(self) -> int | None:
        """Liaison events after the dispatcher's position (counted up to `LAG_COUNT_CAP`)."""
        dispatched = self._one(f"SELECT max(notification_id) FROM {DISPATCHER_TRACKING}")
        return self._one(
            f"SELECT count(*) FROM (SELECT 1 FROM {EVENTS_TABLE} WHERE notification_id > %s"
            " AND topic = ANY(%s) LIMIT %s) AS behind",
            (dispatched or 0, list(LIAISON_TOPICS), LAG_COUNT_CAP),
        )

    def escalations_open(self) -> int | None:
        """Escalations not yet resolved, as the read model has them."""
        table = Escalations().t("escalation")
        return self._one(f"SELECT count(*) FROM {table} WHERE resolved_on IS NULL")

    def notifications_pending(self) -> int | None:
        """Notifications the workflows raised that no email has delivered yet."""
        return self._one(f"SELECT count(*) FROM {NOTIFICATIONS} WHERE sent_at IS NULL")

    def _one(self, query: str, params: tuple[Any, ...] = ()) -> int | None:
        """The query's single number; None when it has none or its table is not made yet."""
        try:
            with self.conn.transaction():
                row = self.conn.execute(sql.SQL(query), params).fetchone()
        except psycopg.errors.UndefinedTable:
            return None
        return None if row is None or row[0] is None else int(row[0])


@contextlib.contextmanager
def store(url: str, timeout: float = 3.0) -> Iterator[Store]:
    """The store over a connection of its own, each statement cut at `timeout` seconds (raises
    if PostgreSQL is away)."""
    with psycopg.connect(url, connect_timeout=max(1, int(timeout)), autocommit=True) as conn:
        conn.execute(sql.SQL("SET statement_timeout = {}").format(int(timeout * 1000)))
        yield Store(conn)


class StoreCollector(Collector):
    """Gauges read from PostgreSQL at each scrape; `liaison_store_up` is 0 when it is away, and
    a gauge whose query fails (a timeout on a huge backlog) is left out of that scrape."""

    def __init__(self, url: str) -> None:
        self.url = url

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The store's gauges now."""
        up = GaugeMetricFamily("liaison_store_up", "Whether PostgreSQL answered this scrape.")
        try:
            with store(self.url) as figures:
                up.add_metric([], 1)
                yield up
                yield from self._gauges(figures)
        except psycopg.OperationalError as error:
            if not up.samples:
                log.warning("Metrics: PostgreSQL unavailable (%s)", summary(error))
                up.add_metric([], 0)
                yield up

    def _gauges(self, figures: Store) -> Iterator[GaugeMetricFamily]:
        for name, text, read in (
            ("liaison_store_head", "The last notification id in the event log.", figures.head),
            ("liaison_dispatcher_lag_events", "Liaison events not yet forwarded to their "
             "workflows.", figures.dispatcher_lag),
            ("liaison_escalations_open", "Escalations not yet resolved.", figures.escalations_open),
            ("liaison_notifications_pending", "Notifications not yet delivered by email.",
             figures.notifications_pending),
        ):  # fmt: skip
            value = self._read(name, read)
            if value is not None:
                yield GaugeMetricFamily(name, text, value=value)
        lags = self._read("liaison_read_model_lag_events", figures.model_lags)
        if lags is not None:
            lag = GaugeMetricFamily(
                "liaison_read_model_lag_events",
                "Events in the log a read model has not folded in yet.",
                labels=["model"],
            )
            for model, behind in sorted(lags.items()):
                lag.add_metric([model], behind)
            yield lag

    @staticmethod
    def _read(name: str, read: Callable[[], T]) -> T | None:
        try:
            return read()
        except psycopg.Error as error:
            log.warning("Metrics: %s not read (%s)", name, summary(error))
            return None


@functools.cache
def _prometheus_runtime(bind_address: str) -> Runtime:
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=bind_address)))


def temporal_runtime(settings: Settings) -> Runtime:
    """The Temporal SDK's runtime: exporting its metrics (workflow task and activity latencies,
    pollers, slots) to Prometheus where `temporal_metrics_port` is set, else the default."""
    if settings.temporal_metrics_port is None:
        return Runtime.default()
    return _prometheus_runtime(f"{settings.health_host}:{settings.temporal_metrics_port}")


def temporal_metrics(settings: Settings) -> bytes:
    """The Temporal SDK's exposition, to be served beside this process's own (empty if none)."""
    if settings.temporal_metrics_port is None:
        return b""
    host = "127.0.0.1" if settings.health_host in ("0.0.0.0", "") else settings.health_host
    url = f"http://{host}:{settings.temporal_metrics_port}/metrics"
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bytes(answer.read())
    except OSError as error:
        log.warning("Metrics: the Temporal SDK's exporter did not answer (%s)", error)
        return b""
