"""Open liaisons' workflows started from the store, against the dev server's trivial workflows."""

from __future__ import annotations

import asyncio
import shutil
import sys
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from application.office import LiaisonOffice
from bench.common import Figure, office_on, scratch_schema, show
from bench.trivial import Trivial
from workers.bootstrap import persistence_env
from workers.onboarding import open_liaisons, start_workflows
from workers.province import demo
from workflows.activities import LiaisonActivities
from workflows.liaison import LiaisonWorkflow
from workflows.outbox import InMemoryOutbox

MAX_WORKFLOWS = 2000
"""Workflows started per measurement (the dev server manages ≈ 25–45 a second on 2 cores)."""


def _temporal() -> str:
    found = shutil.which("temporal") or str(Path(sys.executable).parent / "temporal")
    return found


async def _trivial_rate(env: WorkflowEnvironment, queue: str, n: int, concurrency: int) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            await env.client.execute_workflow(
                Trivial.run, i, id=f"trivial-{queue}-{i}", task_queue=queue
            )

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    return n / (time.perf_counter() - started)


async def _measure(url: str, schema: str, liaisons: list[uuid.UUID]) -> tuple[float, float]:
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    office = LiaisonOffice(env=persistence_env(url, schema), clock=lambda: datetime.now(UTC))
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=_temporal())
    worker = Worker(
        env.client,
        task_queue=queue,
        workflows=[LiaisonWorkflow, Trivial],
        activities=LiaisonActivities(office, InMemoryOutbox()).all(),
        max_concurrent_workflow_task_polls=20,
        max_concurrent_activities=8,
    )
    async with env, worker:
        trivial = await _trivial_rate(env, queue, len(liaisons), 8)
        onboarded = await start_workflows(env.client, liaisons, queue, concurrency=8)
        again = await start_workflows(env.client, liaisons[:10], queue, concurrency=8)
        assert again.started == 0  # resumable: nothing starts twice
    office.close()
    return onboarded.rate, trivial


def run(url: str, members: int, seed: int = 1) -> list[Figure]:
    """Import a demo province, then start its open liaisons' workflows from the store."""
    province = demo.generate(members, seed, date(2025, 12, 31))
    with scratch_schema(url) as schema:
        office = office_on(url, schema)
        demo.load(office, province)
        liaisons = open_liaisons(office)
        chosen = liaisons[:MAX_WORKFLOWS]
        rate, trivial = asyncio.run(_measure(url, schema, chosen))
    print(f"workflows: {len(liaisons):,} open liaisons, {len(chosen):,} started", flush=True)
    return show(
        [
            Figure(
                "liaison workflows started from the store (8 in flight)",
                rate,
                "starts/s",
                "trivial workflows executed, same concurrency",
                trivial,
            )
        ]
    )
