"""Open liaisons' workflows onboarded from the store, against trivial workflows doing the same.

Onboarding a liaison is done once its workflow has run its first tasks (loaded the liaison and
opened its year's cycle where one was due in one activity, taken the rungs then due in another)
and its latest run waits on its timer. The raw limit is the least a workflow can do to get there:
`Sleeper`s, which run their first task and set a timer, started on the same dev server, through
the same `start_workflows` at the same concurrency, executed by the same worker. Both clocks run
from the first start until every one of the workflows is seen waiting (`waiting`: running, with
no workflow task and no activity pending), so neither counts a start whose work is still queued.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from application.office import LiaisonOffice
from bench.common import Figure, office_on, scratch_schema, show
from bench.trivial import Sleeper
from workers.bootstrap import persistence_env
from workers.onboarding import (
    Onboarded,
    StartOne,
    open_liaisons,
    start_liaison,
    start_workflows,
)
from workers.province import demo
from workers.worker import worker_options
from workflows.activities import LiaisonActivities
from workflows.liaison import LiaisonWorkflow
from workflows.messages import workflow_id
from workflows.outbox import InMemoryOutbox

MAX_WORKFLOWS = 2000
"""Workflows onboarded per measurement (on 2 cores ≈ 40–75 `Sleeper`s a second, and on
2026-12-03 ≈ 3–5 liaisons: 2,000 take about ten minutes)."""


def _temporal() -> str:
    found = shutil.which("temporal") or str(Path(sys.executable).parent / "temporal")
    return found


CONCURRENCY = 8
"""Starts in flight, for the liaisons and the `Sleeper`s alike."""
SETTLE_SECONDS = 120.0
"""How long onboarding may take, plus a second a workflow (slower than 1/s is a failure)."""


async def start_sleeper(client: Client, key: uuid.UUID, task_queue: str) -> object:
    """Start a `Sleeper` (one timer of 30 days) under a workflow id made from `key`."""
    return await client.start_workflow(Sleeper.run, 30, id=f"sleeper-{key}", task_queue=task_queue)


async def waiting(client: Client, workflow: str) -> bool:
    """Whether the workflow has done what starting it asked: it has ended, or it runs with no
    workflow task and no activity pending (all that is left is its timer or a signal)."""
    described = (await client.get_workflow_handle(workflow).describe()).raw_description
    if described.workflow_execution_info.status != WorkflowExecutionStatus.RUNNING.value:
        return True
    return not described.HasField("pending_workflow_task") and not described.pending_activities


async def onboard(
    client: Client, keys: list[uuid.UUID], ids: list[str], queue: str, start_one: StartOne
) -> tuple[Onboarded, float]:
    """Start a workflow per key at CONCURRENCY, then wait until each (by id) is `waiting`; the
    starts, and workflows onboarded per second from the first start to the last one waiting."""
    gate = asyncio.Semaphore(CONCURRENCY)
    started = time.perf_counter()
    allowed = SETTLE_SECONDS + len(keys)
    deadline = time.monotonic() + allowed

    async def settled(workflow: str) -> None:
        async with gate:
            while not await waiting(client, workflow):
                if time.monotonic() > deadline:
                    msg = f"workflow {workflow} not waiting on its timer after {allowed:.0f} s"
                    raise TimeoutError(msg)
                await asyncio.sleep(0.05)

    starts = await start_workflows(client, keys, queue, CONCURRENCY, start_one=start_one)
    await asyncio.gather(*(settled(i) for i in ids))
    return starts, len(keys) / (time.perf_counter() - started)


async def _measure(
    url: str, schema: str, liaisons: list[uuid.UUID]
) -> tuple[Onboarded, float, float]:
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    office = LiaisonOffice(env=persistence_env(url, schema), clock=lambda: datetime.now(UTC))
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=_temporal())
    worker = Worker(
        env.client,
        task_queue=queue,
        workflows=[LiaisonWorkflow, Sleeper],
        activities=LiaisonActivities(office, InMemoryOutbox()).all(),
        **worker_options(),  # the worker process's own
    )
    async with env, worker:
        keys = [uuid.uuid4() for _ in liaisons]
        sleepers = [f"sleeper-{k}" for k in keys]
        _, trivial = await onboard(env.client, keys, sleepers, queue, start_sleeper)
        ids = [workflow_id(str(i)) for i in liaisons]
        starts, rate = await onboard(env.client, liaisons, ids, queue, start_liaison)
        again = await start_workflows(env.client, liaisons[:10], queue, CONCURRENCY)
        assert again.started == 0  # resumable: nothing starts twice
    office.close()
    return starts, rate, trivial


def run(url: str, members: int, seed: int = 1) -> list[Figure]:
    """Import a demo province, then start its open liaisons' workflows from the store."""
    province = demo.generate(members, seed, date(2025, 12, 31))
    with scratch_schema(url) as schema:
        office = office_on(url, schema)
        demo.load(office, province)
        liaisons = open_liaisons(office)
        chosen = liaisons[:MAX_WORKFLOWS]
        starts, rate, trivial = asyncio.run(_measure(url, schema, chosen))
    print(
        f"workflows: {len(liaisons):,} open liaisons, {len(chosen):,} started"
        f" ({starts.rate:,.1f} start requests/s while the worker ran their first tasks)",
        flush=True,
    )
    return show(
        [
            Figure(
                f"liaison workflows onboarded from the store, loaded and waiting ({CONCURRENCY}"
                " starts in flight)",
                rate,
                "workflows/s",
                "Sleepers started and waiting on their timer, same server, worker, concurrency",
                trivial,
                0.5,
            )
        ]
    )


if __name__ == "__main__":
    import sys

    from bench.common import run_alone

    run_alone(run, sys.argv)
