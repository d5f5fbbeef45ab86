"""The board's `/healthz`, `/readyz` and `/metrics`: open to probes, saying nothing but which
check failed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client import CollectorRegistry

from api.app import create_app
from api.config import BoardConfig
from api.health import Health
from api.reads_projections import ProjectionReads
from api.users import UserStore
from application.office import LiaisonOffice
from workers.health import Readiness, postgres_answers, read_models_within
from workers.metrics import StoreCollector

NOWHERE = "postgresql://liaison:secret@127.0.0.1:1/nothing"
"""A PostgreSQL that never answers (port 1)."""


async def _client(
    office: LiaisonOffice, users: UserStore, reads: ProjectionReads, pg_url: str, database: str
) -> AsyncIterator[httpx.AsyncClient]:
    registry = CollectorRegistry()
    registry.register(StoreCollector(pg_url))
    probes = Health(
        Readiness(
            {
                "postgres": postgres_answers(database),
                "read_models": read_models_within(pg_url, 1_000_000),
            }
        ),
        registry,
    )
    config = BoardConfig(database_url=pg_url, secure_cookies=False)
    app = create_app(office, reads, users, config, probes=probes)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://board.test") as client:
        yield client


@pytest.fixture
async def ready(
    office: LiaisonOffice, users: UserStore, reads: ProjectionReads, pg_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(office, users, reads, pg_url, pg_url):
        yield client


@pytest.fixture
async def unready(
    office: LiaisonOffice, users: UserStore, reads: ProjectionReads, pg_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(office, users, reads, pg_url, NOWHERE):
        yield client


async def test_probes_answer_without_signing_in(ready: httpx.AsyncClient) -> None:
    assert (await ready.get("/healthz")).text == "ok\n"
    answer = await ready.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {"ready": True, "checks": {"postgres": "ok", "read_models": "ok"}}
    assert answer.headers["X-Frame-Options"] == "DENY"  # the board's headers on these too


async def test_readyz_names_the_failed_check_and_not_why(unready: httpx.AsyncClient) -> None:
    answer = await unready.get("/readyz")
    assert answer.status_code == 503
    assert answer.json() == {"ready": False, "checks": {"postgres": "failed", "read_models": "ok"}}
    assert "127.0.0.1" not in answer.text
    assert (await unready.get("/healthz")).status_code == 200


async def test_metrics_are_the_prometheus_exposition_of_the_store(
    ready: httpx.AsyncClient,
) -> None:
    answer = await ready.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    assert "liaison_store_up 1.0" in answer.text
    assert 'liaison_read_model_lag_events{model="audit"}' in answer.text
    assert "liaison_escalations_open" in answer.text
