"""The Temporal worker process: the liaison workflow, its activities, and the mail relay."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable, Mapping

from prometheus_client import REGISTRY
from temporalio.worker import Worker

from api.messages import unit_names
from workers.bootstrap import Root
from workers.health import Check, Readiness, postgres_answers, serve_health, temporal_answers
from workers.logs import configure_logging
from workers.mailer import relay
from workers.metrics import StoreCollector, temporal_metrics
from workers.settings import Settings, load_settings
from workflows.activities import LiaisonActivities
from workflows.liaison import LiaisonWorkflow
from workflows.messages import TASK_QUEUE
from workflows.outbox import PostgresOutbox


async def run_worker(
    settings: Settings,
    stop: asyncio.Event,
    task_queue: str = TASK_QUEUE,
    activities_class: type[LiaisonActivities] = LiaisonActivities,
) -> None:
    """Poll the liaison task queue until `stop` is set."""
    root = Root(settings, process="worker")
    outbox = PostgresOutbox(root.database_url)
    await outbox.create_table()
    client = await root.temporal()
    activities = activities_class(root.office, outbox)
    mail = None
    if settings.smtp_host:
        office = root.office

        def units(code: str) -> str | None:
            """A unit's name in today's tree (units are renamed and merged while it runs)."""
            return unit_names(office.tree())(code)

        mail = asyncio.create_task(relay(settings, outbox, stop, units=units))
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[LiaisonWorkflow],
        activities=activities.all(),
        # More pollers start new workflows faster (DESIGN.md: ≈ 50/s with one).
        max_concurrent_workflow_task_polls=20,
        max_concurrent_activities=8,  # threads over the store's connection pool
    ):
        await stop.wait()
    if mail is not None:
        await mail
    root.close()


def serve(
    name: str,
    process: Callable[[Settings, asyncio.Event], Awaitable[None]],
    checks: Callable[[Settings, str], Mapping[str, Check]] = lambda settings, url: {},
) -> None:
    """Run a Temporal process (`name` in its log lines) until SIGINT or SIGTERM, with its health
    endpoint on `LIAISON_HEALTH_PORT`: PostgreSQL and Temporal answer, and its own `checks`."""
    settings = load_settings()
    configure_logging(settings, name)
    url = Root(settings).database_url
    REGISTRY.register(StoreCollector(url))
    ready = Readiness(
        {
            "postgres": postgres_answers(url),
            "temporal": temporal_answers(settings),
            **checks(settings, url),
        }
    )
    health = serve_health(settings, ready, extra_metrics=lambda: temporal_metrics(settings))

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await process(settings, stop)

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run())
    finally:
        if health is not None:
            health.close()


def main() -> None:
    """Entry point: run the worker until SIGINT or SIGTERM."""
    serve("worker", run_worker)


if __name__ == "__main__":
    main()
