"""N worker processes for the benchmarks that measure workers side by side: each a worker of one
task queue, with the worker process's own options and activity threads, serving the liaison
workflow and the trivial workflows measured beside it (`Sleeper`, `Napper`).

`python -m bench.worker_processes ADDRESS QUEUE DATABASE_URL [SCHEMA]` runs one until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime

from temporalio.client import Client
from temporalio.worker import Worker

from application.office import LiaisonOffice
from bench import synthetic
from bench.trivial import Napper, Sleeper
from projections.cores import collect_seldom
from workers.bootstrap import one_process_at_a_time, persistence_env
from workers.worker import activity_threads, warm, worker_options
from workflows.activities import LiaisonActivities
from workflows.liaison import LiaisonWorkflow
from workflows.outbox import InMemoryOutbox


def positive(text: str) -> int:
    """A count of at least one, for an option."""
    value = int(text)
    if value < 1:
        msg = f"{value} is not a count of at least one"
        raise argparse.ArgumentTypeError(msg)
    return value


def add_workers_option(parser: argparse.ArgumentParser) -> None:
    """`--workers N`: that many worker processes (none given: the benchmark's usual worker)."""
    parser.add_argument(
        "--workers",
        type=positive,
        default=None,
        help="worker processes, each polling the queue (default: the benchmark's usual worker)",
    )


async def _serve(address: str, queue: str, url: str, schema: str | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    collect_seldom()  # as the worker process does
    env = persistence_env(url, schema)
    with one_process_at_a_time(env):  # the copies start together, as the worker's do
        office = LiaisonOffice(env=env, clock=lambda: datetime.now(UTC))
    warm(office)  # as the worker process does before it polls
    threads = activity_threads()
    client = await Client.connect(address)
    async with Worker(
        client,
        task_queue=queue,
        workflows=[LiaisonWorkflow, Sleeper, Napper],
        activities=LiaisonActivities(office, InMemoryOutbox(), threads).all(),
        **worker_options(),
    ):
        await stop.wait()
    threads.shutdown()
    office.close()


@contextmanager
def worker_processes(
    n: int, address: str, queue: str, url: str, schema: str | None = None
) -> Iterator[list[synthetic.Child]]:
    """`n` worker processes of `queue`, stopped afterwards."""
    args = [sys.executable, "-m", "bench.worker_processes", address, queue, url]
    args += [schema] if schema else []
    with ExitStack() as stack:
        yield [stack.enter_context(synthetic.process(args)) for _ in range(n)]


async def polled_by(client: Client, queue: str, children: Sequence[synthetic.Child]) -> None:
    """Wait until every one of the child workers polls `queue` (each must stay alive)."""
    for child in children:
        await synthetic.polling(client, queue, child, pollers=len(children))


def main(argv: Sequence[str] | None = None) -> None:
    """Run one worker until SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    for name in ("address", "queue", "url"):
        parser.add_argument(name)
    parser.add_argument("schema", nargs="?")
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.address, args.queue, args.url, args.schema))


if __name__ == "__main__":
    main()
