"""Open liaisons' workflows onboarded from the store, against trivial workflows doing the same.

Onboarding a liaison is done once its workflow has run its first tasks (loaded the liaison's state
and opened its year's cycle where one was due in one activity, taken the rungs then due in another)
and its latest run waits on its timer. The raw limit is the least a workflow can do to get there:
`Sleeper`s, which run their first task and set a timer, started on the same dev server, through
the same `start_workflows` at the same concurrency, executed by the same worker. Both clocks run
from the first start until every one of the workflows is seen waiting (`waiting`: running, with
no workflow task and no activity pending), so neither counts a start whose work is still queued.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from application.office import LiaisonOffice
from bench.common import Figure, bench_url, imported_province, office_on, show
from bench.trivial import Sleeper
from bench.worker_processes import add_workers_option, polled_by, worker_processes
from projections.cores import seldom_collected
from workers.bootstrap import persistence_env
from workers.onboarding import (
    Onboarded,
    StartOne,
    open_liaisons,
    start_liaison,
    start_workflows,
)
from workers.worker import activity_threads, warm, worker_options
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


@asynccontextmanager
async def serving(
    client: Client, queue: str, url: str, schema: str, workers: int | None
) -> AsyncIterator[None]:
    """The workers of `queue`: that many processes, else one inside this process (the worker
    process's options and activity threads either way)."""
    if workers is not None:
        address = client.service_client.config.target_host
        with worker_processes(workers, address, queue, url, schema) as children:
            await polled_by(client, queue, children)
            yield
        return
    office = LiaisonOffice(env=persistence_env(url, schema), clock=lambda: datetime.now(UTC))
    threads = activity_threads()
    warm(office)  # as the worker process does before it polls
    try:
        with seldom_collected():  # as the worker process collects (`workers.worker`)
            async with Worker(
                client,
                task_queue=queue,
                workflows=[LiaisonWorkflow, Sleeper],
                activities=LiaisonActivities(office, InMemoryOutbox(), threads).all(),
                **worker_options(),  # the worker process's own
            ):
                yield
    finally:
        threads.shutdown()
        office.close()


async def _measure(
    url: str, schema: str, liaisons: list[uuid.UUID], workers: int | None
) -> tuple[Onboarded, float, float]:
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=_temporal())
    async with env, serving(env.client, queue, url, schema, workers):
        keys = [uuid.uuid4() for _ in liaisons]
        sleepers = [f"sleeper-{k}" for k in keys]
        _, trivial = await onboard(env.client, keys, sleepers, queue, start_sleeper)
        ids = [workflow_id(str(i)) for i in liaisons]
        starts, rate = await onboard(env.client, liaisons, ids, queue, start_liaison)
        again = await start_workflows(env.client, liaisons[:10], queue, CONCURRENCY)
        assert again.started == 0  # resumable: nothing starts twice
    return starts, rate, trivial


def run(url: str, members: int, seed: int = 1, workers: int | None = None) -> list[Figure]:
    """Import a demo province, then start its open liaisons' workflows from the store (served by
    that many worker processes, else by a worker inside this process)."""
    with imported_province(url, members, seed, date(2025, 12, 31)) as schema:
        office = office_on(url, schema)
        liaisons = open_liaisons(office)
        office.close()
        chosen = liaisons[:MAX_WORKFLOWS]
        starts, rate, trivial = asyncio.run(_measure(url, schema, chosen, workers))
    served = (
        "one worker in the benchmark's process"
        if workers is None
        else f"worker processes: {workers}"
    )
    print(
        f"workflows: {len(liaisons):,} open liaisons, {len(chosen):,} started, {served}"
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
                "Sleepers started and waiting on their timer, same server, workers, concurrency",
                trivial,
                0.5,
            )
        ]
    )


def options(argv: Sequence[str]) -> tuple[int, int | None]:
    """`[MEMBERS] [--workers N]`: the province's size (default 50,000) and how many worker
    processes serve it (default: one worker inside the benchmark's process)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("members", type=int, nargs="?", default=50_000)
    add_workers_option(parser)
    args = parser.parse_args(argv)
    return args.members, args.workers


def main() -> None:
    """`python -m bench.bench_workflows [MEMBERS] [--workers N]`."""
    members, workers = options(sys.argv[1:])
    run(bench_url(), members, workers=workers)


if __name__ == "__main__":
    main()
