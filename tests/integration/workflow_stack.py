"""Helpers for the workflow integration tests: a province in PostgreSQL, worker and dispatcher."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from application.office import LiaisonOffice
from tests.workflows.province import (  # the same small province, kept in PostgreSQL here
    establish_units,
)
from workers.bootstrap import persistence_env
from workers.dispatcher import run_dispatcher
from workers.settings import Settings
from workers.worker import run_worker

OPENED: list[LiaisonOffice] = []
"""Offices `office_on` opened; tests/integration/conftest.py closes them after each test."""


def office_on(pg_url: str) -> LiaisonOffice:
    office = LiaisonOffice(env=persistence_env(pg_url), clock=lambda: datetime.now(UTC))
    OPENED.append(office)
    establish_units(office)
    return office


def settings_for(env: WorkflowEnvironment, pg_url: str, data_dir: Path) -> Settings:
    return Settings(
        database_url=pg_url,
        temporal_address=env.client.service_client.config.target_host,
        data_dir=data_dir,
    )


@asynccontextmanager
async def process(
    run: Callable[..., Any], settings: Settings, queue: str, **kw: Any
) -> AsyncIterator[asyncio.Event]:
    """Run the worker or the dispatcher as a task until the block ends (a clean stop)."""
    stop = asyncio.Event()
    task = asyncio.create_task(run(settings, stop, queue, **kw))
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)


worker = run_worker
dispatcher = run_dispatcher


async def eventually(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Poll until `check()` is truthy; return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = await asyncio.to_thread(check)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout}s: {check}")
        await asyncio.sleep(0.2)
