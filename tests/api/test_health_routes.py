"""The board's `/healthz`, `/readyz` and `/metrics`: open to probes, saying nothing but which
check failed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

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


Board = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def board(office: LiaisonOffice, users: UserStore, reads: ProjectionReads, pg_url: str) -> Board:
    """Opens a client to the board whose readiness asks the PostgreSQL at the given URL."""

    @asynccontextmanager
    async def open_board(database: str) -> AsyncIterator[httpx.AsyncClient]:
        registry = CollectorRegistry()
        registry.register(StoreCollector(pg_url))
        checks = {
            "postgres": postgres_answers(database),
            "read_models": read_models_within(pg_url, 1_000_000),
        }
        config = BoardConfig(database_url=pg_url, secure_cookies=False)
        probes = Health(Readiness(checks), registry)
        app = create_app(office, reads, users, config, probes=probes)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://board.test") as client:
            yield client

    return open_board


async def test_probes_answer_without_signing_in(board: Board, pg_url: str) -> None:
    async with board(pg_url) as ready:
        alive = await ready.get("/healthz")
        answer = await ready.get("/readyz")
    assert alive.text == "ok\n"
    assert answer.status_code == 200
    assert answer.json() == {"ready": True, "checks": {"postgres": "ok", "read_models": "ok"}}
    assert answer.headers["X-Frame-Options"] == "DENY"  # the board's headers on these too


async def test_readyz_names_the_failed_check_and_not_why(board: Board) -> None:
    async with board(NOWHERE) as unready:
        answer = await unready.get("/readyz")
        alive = await unready.get("/healthz")
    assert answer.status_code == 503
    assert answer.json() == {"ready": False, "checks": {"postgres": "failed", "read_models": "ok"}}
    assert "127.0.0.1" not in answer.text
    assert alive.status_code == 200


async def test_metrics_are_the_prometheus_exposition_of_the_store(
    board: Board, pg_url: str
) -> None:
    async with board(pg_url) as ready:
        answer = await ready.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    assert "liaison_store_up 1.0" in answer.text
    assert 'liaison_read_model_lag_events{model="audit"}' in answer.text
    assert "liaison_escalations_open" in answer.text
