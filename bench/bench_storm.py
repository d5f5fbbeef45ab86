"""Deadline storm: every open liaison's receipt reminder due on one day, through the real worker.

The members are all referred yesterday, their receipt due in a month. Their workflows are
onboarded (`workers/onboarding.py`) by the real worker process (`python -m workers.worker`, 20
pollers, 8 activities) and wait on their timers, nothing due; the worker stops. The province
then moves its reminders forward (`reminder_lead_days`) so that every one falls due today, and
each workflow is told, as the dispatcher tells them (the `policy` signal), while no worker runs;
then the worker starts again and the clock runs until every reminder is recorded in the store
(`ReminderSent`). Each reminder is taken as a running workflow takes it once its timer fires
(`take_steps`), after one more activity (`load_liaison`, for the policy): a storm's path, a
little heavier. (Until 2026-12-05 the workflows were started with every reminder already due:
since the rungs due at a fresh run's start are taken in its first activity, that measured
onboarding.)
Raw limit, same run, same dev server, the same shape of work: as many trivial workflows (`Napper`:
a timer of NAP_SECONDS, then done; at most TRIVIAL_MAX of them) started while no worker polls
their queue, then a worker of the same pollers started and the clock run until every one has
completed (its first task, its timer firing, its last task).

`python -m bench.bench_storm --members 50000` for the full storm; `python -m bench` a small one.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections.abc import Sequence
from contextlib import AsyncExitStack, ExitStack
from datetime import UTC, datetime
from typing import Any

import psycopg
from eventsourcing.utils import get_topic
from psycopg import sql
from temporalio.client import Client
from temporalio.worker import Worker

from application.office import LiaisonOffice
from bench import synthetic
from bench.bench_workflows import waiting
from bench.common import Figure, bench_url, scratch_database, show
from bench.trivial import Napper
from bench.worker_processes import add_workers_option, polled_by, worker_processes
from domain import commands as cmd
from domain.deadlines import after_days
from domain.escalation import ReminderSent
from projections.cores import seldom_collected
from workers.bootstrap import persistence_env
from workers.onboarding import start_workflows
from workers.province.demo_tree import PROVINCE
from workflows.liaison import LiaisonWorkflow
from workflows.messages import TASK_QUEUE, PolicyChangedMessage, workflow_id

SMALL = 1000
"""Deadlines in the storm unless asked for more (the dev server starts ≈ 25–45 workflows/s)."""
MEMBERS_PER_COMMUNE = 500
TRIVIAL_MAX = 500
NAP_SECONDS = 0.1
STICKY_SECONDS = 6.0
"""How long the benchmark waits after telling the workflows, before the worker starts: the server
first offers a workflow's task to the worker that ran it last (its sticky queue, 5 s by default),
here the stopped one; a storm's running worker would take it at once."""


async def trivial_rate(
    client: Client, n: int, concurrency: int = 8, workers: tuple[int, str] | None = None
) -> float:
    """`Napper`s completed per second by a worker of the storm's pollers (or by `workers`: that
    many worker processes over that database, started as the storm's are), started once all of
    them were waiting for it (started at `concurrency`, while no worker polled)."""
    queue = f"trivial-{uuid.uuid4().hex[:8]}"
    keys = [uuid.uuid4() for _ in range(n)]

    async def nap(client: Client, key: uuid.UUID, task_queue: str) -> object:
        return await client.start_workflow(
            Napper.run, NAP_SECONDS, id=f"{task_queue}-{key}", task_queue=task_queue
        )

    await start_workflows(client, keys, queue, concurrency, start_one=nap)
    started = time.perf_counter()
    async with AsyncExitStack() as serving:
        if workers is None:
            worker = Worker(
                client, task_queue=queue, workflows=[Napper], max_concurrent_workflow_task_polls=20
            )
            serving.enter_context(seldom_collected())  # as the worker process collects
            await serving.enter_async_context(worker)
        else:
            count, db = workers
            address = client.service_client.config.target_host
            children = serving.enter_context(worker_processes(count, address, queue, db))
            await polled_by(client, queue, children)
        for key in keys:
            await client.get_workflow_handle(f"{queue}-{key}").result()
        return n / (time.perf_counter() - started)


def reminders(db: str, table: str) -> int:
    """How many reminders the store holds."""
    with psycopg.connect(db) as conn:
        row = conn.execute(
            sql.SQL("SELECT count(*) FROM {} WHERE topic = %s").format(sql.Identifier(table)),
            (get_topic(ReminderSent),),
        ).fetchone()
    return int(row[0]) if row else 0


async def _storm(
    db: str,
    table: str,
    liaisons: list[Any],
    server: synthetic.Child,
    address: str,
    workers: int | None = None,
) -> dict[str, float]:
    timeout = 120 + len(liaisons) / 2
    client = await Client.connect(address)
    processes = None if workers is None else (workers, db)
    trivial = await trivial_rate(client, min(len(liaisons), TRIVIAL_MAX), workers=processes)
    env = {"DATABASE_URL": db, "TEMPORAL_ADDRESS": address}
    command = [sys.executable, "-m", "workers.worker"]
    with synthetic.process(command, env) as onboarding:
        await synthetic.polling(client, TASK_QUEUE, onboarding, pollers=1)
        onboarded = await start_workflows(client, liaisons, TASK_QUEUE, concurrency=8)
        await _all_waiting(client, liaisons, onboarding, timeout)
    await _reminders_due_today(db, client, liaisons)
    await asyncio.sleep(STICKY_SECONDS)
    started = time.perf_counter()
    with ExitStack() as stack:
        real = [stack.enter_context(synthetic.process(command, env)) for _ in range(workers or 1)]
        for worker in real:
            await synthetic.polling(client, TASK_QUEUE, worker, pollers=len(real))
        boot = time.perf_counter() - started
        recorded = 0
        while recorded < len(liaisons) and time.perf_counter() - started < timeout:
            await asyncio.sleep(0.25)
            for worker in real:
                worker.check("worker")
            server.check("temporal dev server")
            recorded = reminders(db, table)
        seconds = time.perf_counter() - started
    return {
        "trivial": trivial,
        "onboard": onboarded.rate,
        "recorded": recorded,
        "seconds": seconds,
        "boot": boot,
    }


async def _all_waiting(
    client: Client, liaisons: list[Any], worker: synthetic.Child, timeout: float
) -> None:
    """Until every liaison's workflow waits on its timer (no task, no activity pending)."""
    gate = asyncio.Semaphore(8)
    deadline = time.monotonic() + timeout

    async def settled(liaison: Any) -> None:
        async with gate:
            while not await waiting(client, workflow_id(str(liaison))):
                worker.check("worker")
                if time.monotonic() > deadline:
                    msg = f"liaison {liaison} not waiting on its timer after {timeout:.0f} s"
                    raise TimeoutError(msg)
                await asyncio.sleep(0.1)

    await asyncio.gather(*(settled(liaison) for liaison in liaisons))


async def _reminders_due_today(db: str, client: Client, liaisons: list[Any]) -> None:
    """Move the province's reminders forward so that every receipt reminder falls due today,
    and tell each workflow, as the dispatcher would (`policy`), while no worker runs."""
    office = LiaisonOffice(env=persistence_env(db), clock=lambda: datetime.now(UTC))
    try:
        on = synthetic.today()
        rules = office.policy(on, synthetic.commune(0)).deadlines
        referred = office.state_of(liaisons[0]).referred_on
        lead = (after_days(referred, rules.receipt_days, rules.counting) - on).days
        office.execute(
            cmd.OverridePolicy(
                command_id=uuid.uuid4(), actor=synthetic.IMPORTER, effective_date=on,
                province_id=PROVINCE, setting="reminder_lead_days", value=lead,
            )
        )  # fmt: skip
    finally:
        office.close()
    told = PolicyChangedMessage(
        province_id=PROVINCE, setting="reminder_lead_days", effective_from=on.isoformat()
    )
    gate = asyncio.Semaphore(8)

    async def tell(liaison: Any) -> None:
        async with gate:
            handle = client.get_workflow_handle(workflow_id(str(liaison)))
            await handle.signal(LiaisonWorkflow.policy_changed, told)

    await asyncio.gather(*(tell(liaison) for liaison in liaisons))


def run(url: str, members: int, cap: int = SMALL, workers: int | None = None) -> list[Figure]:
    """A storm of min(members, cap) receipt reminders due today; time until all are recorded by
    one worker process (or `workers` of them, the trivial workflows then served alike)."""
    n = min(members, cap)
    with (
        scratch_database(url, "bench_storm") as db,
        synthetic.dev_server() as (server, address),  # starts while the store is written
    ):
        office = LiaisonOffice(env=persistence_env(db), clock=lambda: datetime.now(UTC))
        communes = max(1, n // MEMBERS_PER_COMMUNE)
        liaisons = synthetic.load(office, n, communes, due_today=False)
        table: str = office.recorder.events_table_name  # type: ignore[attr-defined]
        office.close()
        got = asyncio.run(_storm(db, table, liaisons, server, address, workers))
    recorded, seconds = int(got["recorded"]), got["seconds"]
    print(
        f"deadline storm: {recorded:,} of {n:,} reminders recorded in {seconds:,.1f} s"
        f" from the worker processes' start ({workers or 1} of them, polling after"
        f" {got['boot']:,.1f} s);"
        " workflows onboarded"
        f" beforehand at {got['onboard']:,.1f} starts/s, waiting on their timers, then told of"
        " the province's earlier reminders with no worker running",
        flush=True,
    )
    if recorded < n:
        print(f"deadline storm: INCOMPLETE, {n - recorded:,} reminders missing", flush=True)
    return show(
        [
            Figure(
                "deadline storm: reminders recorded (worker started with all due, timers waiting)",
                recorded / seconds,
                "reminders/s",
                "trivial workflows, all due at a worker's start (timer, then done), same server",
                got["trivial"],
            ),
            Figure(f"deadline storm: time until all {n:,} reminders recorded", seconds, "s"),
        ]
    )


def options(argv: Sequence[str]) -> tuple[int, int | None]:
    """`[--members N] [--workers N]`: deadlines due together (default SMALL) and how many worker
    processes drain them (default one, the trivial workflows served inside the benchmark)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--members", type=int, default=SMALL, help="deadlines due together")
    add_workers_option(parser)
    args = parser.parse_args(argv)
    return args.members, args.workers


def main() -> None:
    """`python -m bench.bench_storm [--members N] [--workers N]`."""
    count, workers = options(sys.argv[1:])
    run(bench_url(), count, cap=count, workers=workers)


if __name__ == "__main__":
    main()
