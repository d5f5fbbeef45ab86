"""Prometheus metrics: what a process counts as it works, and what the store shows when scraped.

Counters live where the work happens (each process counts its own; Prometheus sums them):
commands carried out by kind and outcome, events appended. Gauges of the shared state — each
read model's lag, the dispatcher's lag, escalations open, notifications pending — are read from
PostgreSQL at each scrape by `StoreCollector`. Workflow task and activity latencies are the
Temporal SDK's own metrics, exported by its runtime (`PrometheusConfig`) where a process sets
`LIAISON_TEMPORAL_METRICS_PORT`.
"""

from __future__ import annotations

import functools
import logging
import urllib.request
from collections.abc import Iterator
from typing import Any

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
from projections.outage import summary
from workers.settings import Settings
from workflows.dispatcher import LIAISON_TOPICS, LiaisonDispatch
from workflows.outbox import TABLE as NOTIFICATIONS

log = logging.getLogger(__name__)

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


class StoreFigures:
    """What the store shows now: head, lags and open work (None where a table is not made yet)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.head = int(
            self._one(conn, f"SELECT coalesce(max(notification_id), 0) FROM {EVENTS_TABLE}") or 0
        )
        positions = self._positions(conn)
        self.model_lags = {
            m.tracking_name: self.head - positions.get(m.tracking_name, 0) for m in all_models()
        }
        dispatched = self._one(conn, f"SELECT max(notification_id) FROM {DISPATCHER_TRACKING}")
        self.dispatcher_lag = self._one(
            conn,
            f"SELECT count(*) FROM (SELECT 1 FROM {EVENTS_TABLE} WHERE notification_id > %s"
            " AND topic = ANY(%s) LIMIT %s) AS behind",
            (dispatched or 0, list(LIAISON_TOPICS), LAG_COUNT_CAP),
        )
        escalations = Escalations().t("escalation")
        self.escalations_open = self._one(
            conn, f"SELECT count(*) FROM {escalations} WHERE resolved_on IS NULL"
        )
        self.notifications_pending = self._one(
            conn, f"SELECT count(*) FROM {NOTIFICATIONS} WHERE sent_at IS NULL"
        )

    @staticmethod
    def _one(conn: psycopg.Connection[Any], query: str, params: tuple[Any, ...] = ()) -> Any:
        """The query's single value; None when its table does not exist yet."""
        try:
            with conn.transaction():
                row = conn.execute(sql.SQL(query), params).fetchone()
        except psycopg.errors.UndefinedTable:
            return None
        return row[0] if row else None

    @staticmethod
    def _positions(conn: psycopg.Connection[Any]) -> dict[str, int]:
        try:
            with conn.transaction():
                rows = conn.execute(
                    f"SELECT application_name, notification_id FROM {PROJECTIONS_TRACKING}"
                ).fetchall()
        except psycopg.errors.UndefinedTable:
            return {}
        return {str(name): int(position) for name, position in rows}


def read_store(url: str, timeout: float = 3.0) -> StoreFigures:
    """Read the store's figures over a connection of its own (raises if PostgreSQL is away)."""
    with psycopg.connect(url, connect_timeout=max(1, int(timeout)), autocommit=True) as conn:
        conn.execute(sql.SQL("SET statement_timeout = {}").format(int(timeout * 1000)))
        return StoreFigures(conn)


class StoreCollector(Collector):
    """Gauges read from PostgreSQL at each scrape; `liaison_store_up` is 0 when it is away."""

    def __init__(self, url: str) -> None:
        self.url = url

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The store's gauges now."""
        up = GaugeMetricFamily("liaison_store_up", "Whether PostgreSQL answered this scrape.")
        try:
            figures = read_store(self.url)
        except psycopg.Error as error:
            log.warning("Metrics: PostgreSQL unavailable (%s)", summary(error))
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily(
            "liaison_store_head", "The last notification id in the event log.", value=figures.head
        )
        lag = GaugeMetricFamily(
            "liaison_read_model_lag_events",
            "Events in the log a read model has not folded in yet.",
            labels=["model"],
        )
        for model, behind in sorted(figures.model_lags.items()):
            lag.add_metric([model], behind)
        yield lag
        for name, text, value in (
            ("liaison_dispatcher_lag_events", "Liaison events not yet forwarded to their "
             "workflows.", figures.dispatcher_lag),
            ("liaison_escalations_open", "Escalations not yet resolved.", figures.escalations_open),
            ("liaison_notifications_pending", "Notifications not yet delivered by email.",
             figures.notifications_pending),
        ):  # fmt: skip
            if value is not None:
                yield GaugeMetricFamily(name, text, value=value)


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
