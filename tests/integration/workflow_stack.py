"""Helpers for the workflow integration tests: a province in PostgreSQL, worker and dispatcher."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from temporalio.testing import WorkflowEnvironment

from application.office import LiaisonOffice
from domain import commands as cmd
from domain.organisation import Unit, UnitKind
from domain.roles import Actor, Role
from workers.bootstrap import persistence_env
from workers.dispatcher import run_dispatcher
from workers.settings import Settings
from workers.worker import run_worker

ADMIN = Actor(id="admin", role=Role.ADMINISTRATOR, unit_id="P")
CLERK = Actor(id="clerk", role=Role.WORKPLACE_CLERK, unit_id="W")
COMMUNE = Actor(id="commune", role=Role.COMMUNE_CLERK, unit_id="X")
SECRETARY = Actor(id="secretary", role=Role.CELL_SECRETARY, unit_id="C1")


def k(actor: Actor, on: date) -> dict[str, Any]:
    return {"command_id": uuid4(), "actor": actor, "effective_date": on}


OPENED: list[LiaisonOffice] = []
"""Offices `office_on` opened; tests/integration/conftest.py closes them after each test."""


def office_on(pg_url: str) -> LiaisonOffice:
    office = LiaisonOffice(env=persistence_env(pg_url), clock=lambda: datetime.now(UTC))
    OPENED.append(office)
    for unit_id, kind, parent in (
        ("P", UnitKind.PROVINCIAL_COMMITTEE, None),
        ("X", UnitKind.COMMUNE_COMMITTEE, "P"),
        ("C1", UnitKind.RESIDENCE_CELL, "X"),
        ("W", UnitKind.WORKPLACE_COMMITTEE, "P"),
    ):
        unit = Unit(
            id=unit_id, name=unit_id, kind=kind, parent_id=parent, valid_from=date(2000, 1, 1)
        )
        office.execute(cmd.EstablishUnit(**k(ADMIN, date(2000, 1, 1)), unit=unit))
    return office


def refer(office: LiaisonOffice, on: date, card: str) -> UUID:
    member = office.execute(
        cmd.RegisterMember(
            **k(CLERK, on),
            name="Trần Văn Bình",
            birth_date=date(1985, 5, 5),
            party_card_number=card,
            workplace_unit_id="W",
        )
    ).member_id
    return office.execute(
        cmd.Refer(**k(CLERK, on), member_id=member, referral=cmd.Referral(residence_commune_id="X"))
    ).liaison_id


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
