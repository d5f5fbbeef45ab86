"""Health, readiness and metrics against real PostgreSQL: `/readyz` follows PostgreSQL going
away and coming back, `/metrics` shows the projector's lag moving, the office counts commands."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from pgserver.postgres_server import get_server
from prometheus_client import REGISTRY, CollectorRegistry

from application.office import LiaisonOffice
from domain import commands as c
from domain.errors import FutureDate
from domain.organisation import Unit, UnitKind
from projections.catalog import all_models
from projections.runner import Projector
from tests.integration import province as pv
from workers.bootstrap import persistence_env
from workers.health import HealthServer, Readiness, postgres_answers, read_models_within
from workers.metrics import MeteredOffice, StoreCollector

pytestmark = pytest.mark.postgres


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return int(answer.status), bytes(answer.read())
    except urllib.error.HTTPError as refusal:
        return refusal.code, refusal.read()


@pytest.fixture
def health(pg_url: str) -> Iterator[str]:
    """A health endpoint on a free port with the projector's checks (any lag is too much) and
    the store's gauges; yields its address."""
    registry = CollectorRegistry()
    registry.register(StoreCollector(pg_url))
    checks = {"postgres": postgres_answers(pg_url), "read_models": read_models_within(pg_url, 0)}
    server = HealthServer("127.0.0.1", 0, Readiness(checks), registry)
    yield f"http://127.0.0.1:{server.port}"
    server.close()


def _lags(address: str) -> dict[str, float]:
    status, body = _get(f"{address}/metrics")
    assert status == 200
    prefix = 'liaison_read_model_lag_events{model="'
    return {
        line[len(prefix) :].split('"')[0]: float(line.rsplit(" ", 1)[1])
        for line in body.decode().splitlines()
        if line.startswith(prefix)
    }


def test_the_metrics_show_the_projectors_lag_moving_and_readiness_follows_it(
    pg_url: str, health: str
) -> None:
    env = persistence_env(pg_url)
    office = LiaisonOffice(env=env, clock=pv.clock)
    projector = Projector(env, all_models())
    try:
        pv.build_province(office)
        head = office.recorder.max_notification_id()
        assert head

        assert _lags(health) == {m.name: head for m in all_models()}
        status, body = _get(f"{health}/readyz")
        assert status == 503
        assert json.loads(body)["checks"] == {"postgres": "ok", "read_models": "failed"}

        projector.catch_up()
        assert set(_lags(health).values()) == {0}
        assert _get(f"{health}/readyz")[0] == 200

        pv.received_member(office, 1)
        behind = office.recorder.max_notification_id() - head
        assert set(_lags(health).values()) == {behind}
        projector.catch_up()
        assert set(_lags(health).values()) == {0}
    finally:
        projector.close()
        office.close()


def test_readyz_turns_unready_while_postgres_is_stopped_and_ready_when_it_returns(
    tmp_path: Path,
) -> None:
    """On a PostgreSQL of the test's own, stopped and started again."""
    pgdata = tmp_path / "postgres"
    server = get_server(pgdata, cleanup_mode="stop")
    url = server.get_uri()
    checks = {"postgres": postgres_answers(url), "read_models": read_models_within(url, 10)}
    health = HealthServer("127.0.0.1", 0, Readiness(checks), CollectorRegistry())
    address = f"http://127.0.0.1:{health.port}"
    try:
        assert _get(f"{address}/readyz")[0] == 200

        server.cleanup()
        status, body = _get(f"{address}/readyz")
        assert status == 503
        assert json.loads(body) == {
            "ready": False,
            "checks": {"postgres": "failed", "read_models": "failed"},
        }
        assert _get(f"{address}/healthz")[0] == 200  # alive all the same: nothing to restart

        server = get_server(pgdata, cleanup_mode="stop")
        assert server.get_uri() == url
        assert _get(f"{address}/readyz")[0] == 200
    finally:
        health.close()
        server.cleanup()


def _counted(command: str, outcome: str, reason: str = "") -> float:
    labels = {"command": command, "outcome": outcome, "reason": reason}
    return REGISTRY.get_sample_value("liaison_commands_total", labels) or 0.0


def test_the_metered_office_counts_commands_and_events_in_the_offices_own_store(
    pg_env: dict[str, str],
) -> None:
    accepted = _counted("EstablishUnit", "accepted")
    refused = _counted("EstablishUnit", "refused", FutureDate.code)
    appended = REGISTRY.get_sample_value("liaison_events_appended_total") or 0.0
    office = MeteredOffice(env=pg_env, clock=pv.clock)
    try:
        pv.build_province(office)
        unit = Unit(id="LATER", name="Later", kind=UnitKind.RESIDENCE_CELL, parent_id=pv.COMMUNE,
                    valid_from=date(2030, 1, 1))  # fmt: skip
        with pytest.raises(FutureDate):
            office.execute(c.EstablishUnit(**pv.by(pv.ADMIN, date(2030, 1, 1)), unit=unit))
        head = office.recorder.max_notification_id()
    finally:
        office.close()

    assert _counted("EstablishUnit", "accepted") == accepted + 4
    assert _counted("EstablishUnit", "refused", FutureDate.code) == refused + 1
    # Every event and receipt appended (the refusal's audit record included), and in the
    # office's own tables: the subclass must not give the library another application name.
    assert REGISTRY.get_sample_value("liaison_events_appended_total") == appended + head
    plain = LiaisonOffice(env=pg_env, clock=pv.clock)
    try:
        assert plain.recorder.max_notification_id() == head
    finally:
        plain.close()
