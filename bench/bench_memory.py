"""Memory of the worker and the dev server with many open liaison workflows (RSS from /proc).

Open liaisons referred yesterday (nothing due for weeks: every workflow sleeps on its timer) are
onboarded into a fresh dev server, run as `liaison up` runs it (a SQLite file in WAL mode), while
the real worker process (`python -m workers.worker`) runs; RSS of both is read before and after,
and every 10,000 starts on the way, and reported per 1,000 open workflows. Raw limit, same
server, same run: as many `Sleeper` workflows (one timer, no state) started first, executed by an
in-process worker.

Not the in-memory dev server: it keeps its whole database in RAM, and on 2026-12-02 it grew from
5 GiB at about 83,000 open workflows to 21 GiB four minutes later, all but the machine's 24.

`python -m bench.bench_memory --workflows 100000` for the full figure; `python -m bench` runs a
small one, which says that it is not the full size.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from temporalio.client import Client
from temporalio.worker import Worker

from application.office import LiaisonOffice
from bench import synthetic
from bench.common import Figure, bench_url, count_option, rss_mib, scratch_database, show
from bench.trivial import Sleeper
from workers.bootstrap import persistence_env
from workers.onboarding import start_workflows
from workflows.liaison import LiaisonWorkflow
from workflows.messages import TASK_QUEUE, workflow_id

SMALL = 1000
"""Open workflows unless asked for more (the dev server starts ≈ 25–45 workflows/s)."""
TARGET = 100_000
MAX_SLEEPERS = 10_000
SAMPLE = 20
SETTLE_SECONDS = 1.0
EVERY = 10_000
"""Starts between two printed readings of RSS on the way."""


Ready = Callable[[str], Awaitable[bool]]


async def settled(ready: Ready, ids: Sequence[str], seconds: float) -> None:
    """Wait until each of the last-started workflows answers its query (its first task ran)."""
    deadline = time.monotonic() + seconds
    for wid in ids[-SAMPLE:]:
        while True:
            try:
                if await ready(wid):
                    break
            except Exception:  # not ready yet (no first workflow task): ask again
                if time.monotonic() > deadline:
                    raise
            await asyncio.sleep(0.2)
    await asyncio.sleep(SETTLE_SECONDS)


async def _sleepers(client: Client, n: int) -> None:
    queue = f"sleepers-{uuid.uuid4().hex[:8]}"
    gate = asyncio.Semaphore(8)
    ids = [f"{queue}-{i}" for i in range(n)]

    async def start(wid: str) -> None:
        async with gate:
            await client.start_workflow(Sleeper.run, 30, id=wid, task_queue=queue)

    async def ready(wid: str) -> bool:
        answer: bool = await client.get_workflow_handle(wid).query(
            Sleeper.ready, rpc_timeout=timedelta(seconds=5)
        )
        return answer

    async with Worker(
        client, task_queue=queue, workflows=[Sleeper], max_concurrent_workflow_task_polls=20
    ):
        await asyncio.gather(*(start(wid) for wid in ids))
        await settled(ready, ids, 60 + n / 5)


async def _measure(
    db: str,
    liaisons: list[UUID],
    server: synthetic.Child,
    address: str,
    worker: synthetic.Child,
    sleepers: int,
) -> dict[str, float]:
    n = len(liaisons)
    client = await Client.connect(address)
    await synthetic.polling(client, TASK_QUEUE, worker)
    await asyncio.sleep(SETTLE_SECONDS)
    server_0, worker_0 = rss_mib(server.popen.pid), rss_mib(worker.popen.pid)
    await _sleepers(client, sleepers)
    server_1 = rss_mib(server.popen.pid)
    started = time.perf_counter()

    def reading(done: int) -> None:
        if done % EVERY == 0:
            server_now, worker_now = rss_mib(server.popen.pid), rss_mib(worker.popen.pid)
            print(
                f"memory: {done:,} started in {time.perf_counter() - started:,.0f} s;"
                f" dev server {server_now:,.0f} MiB, worker {worker_now:,.0f} MiB",
                flush=True,
            )

    await start_workflows(client, liaisons, TASK_QUEUE, concurrency=8, progress=reading)

    async def ready(wid: str) -> bool:
        snapshot = await client.get_workflow_handle(wid).query(
            LiaisonWorkflow.snapshot, rpc_timeout=timedelta(seconds=5)
        )
        return snapshot.next_wake is not None

    await settled(ready, [workflow_id(str(i)) for i in liaisons], 60 + n / 5)
    seconds = time.perf_counter() - started
    worker.check("worker")
    server_2, worker_2 = rss_mib(server.popen.pid), rss_mib(worker.popen.pid)
    return {
        "server_0": server_0,
        "worker_0": worker_0,
        "server_sleepers_per_1000": (server_1 - server_0) * 1000 / sleepers,
        "server_liaisons": server_2 - server_1,
        "worker_liaisons": worker_2 - worker_0,
        "server_2": server_2,
        "worker_2": worker_2,
        "seconds": seconds,
    }


def run(url: str, members: int, cap: int = SMALL, sleepers: int | None = None) -> list[Figure]:
    """Open min(members, cap) liaison workflows; RSS of the worker and the dev server per 1,000.

    The raw limit's `Sleeper` workflows are as many, up to MAX_SLEEPERS: enough for a figure
    per 1,000, without doubling the dev server's memory at the full size."""
    n = min(members, cap)
    sleepers = sleepers or min(n, MAX_SLEEPERS)
    with scratch_database(url, "bench_memory") as db, tempfile.TemporaryDirectory() as tmp:
        office = LiaisonOffice(env=persistence_env(db), clock=lambda: datetime.now(UTC))
        sqlite = Path(tmp) / "temporal.sqlite"
        with synthetic.dev_server(sqlite) as (server, address):  # start while the store is written
            env = {"DATABASE_URL": db, "TEMPORAL_ADDRESS": address}
            with synthetic.process([sys.executable, "-m", "workers.worker"], env) as worker:
                liaisons = synthetic.load(office, n, max(1, n // 500), due_today=False)
                office.close()
                got = asyncio.run(_measure(db, liaisons, server, address, worker, sleepers))
    per = 1000 / n
    print(
        f"memory: {n:,} open liaison workflows (all asleep on their timers, {got['seconds']:,.1f} s"
        f" to open); dev server {got['server_0']:,.0f} → {got['server_2']:,.0f} MiB"
        f" (+{sleepers:,} sleepers before them), worker {got['worker_0']:,.0f} →"
        f" {got['worker_2']:,.0f} MiB",
        flush=True,
    )
    server_per, worker_per = got["server_liaisons"] * per, got["worker_liaisons"] * per
    figures = [
        Figure(
            "memory: dev server, per 1,000 open liaison workflows",
            server_per,
            "MiB",
            "the same server per 1,000 idle Sleeper workflows",
            got["server_sleepers_per_1000"],
        ),
        Figure("memory: worker, per 1,000 open liaison workflows", worker_per, "MiB"),
        Figure(
            f"memory: dev server RSS, {n:,} open (+{sleepers:,} sleepers)", got["server_2"], "MiB"
        ),
        Figure(f"memory: worker RSS, {n:,} open workflows", got["worker_2"], "MiB"),
    ]
    if n < TARGET:
        print(
            f"memory: {n:,} open workflows, not {TARGET:,}; not extrapolated: the dev server keeps"
            " its workflows in its SQLite file and only a cache in memory (flat from 10,000 to"
            f" 100,000 on 2026-12-02), and the worker's cache is bounded; run --workflows {TARGET}",
            flush=True,
        )
    return show(figures)


def main() -> None:
    """`python -m bench.bench_memory [--workflows N]`."""
    count = count_option(__doc__, "--workflows", SMALL, "open workflows")
    run(bench_url(), count, cap=count)


if __name__ == "__main__":
    main()
