"""Running a process that talks to Temporal (worker, dispatcher, sealer): its log, its health
endpoint, and a clean stop on SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable, Mapping

from prometheus_client import REGISTRY

from workers.bootstrap import Root
from workers.health import Check, Readiness, postgres_answers, serve_health, temporal_answers
from workers.logs import configure_logging
from workers.metrics import StoreCollector, temporal_metrics
from workers.settings import Settings, load_settings


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
