"""The projector process: follows the store's notification log into the read models."""

from __future__ import annotations

import logging
import signal
import threading

from prometheus_client import REGISTRY

from projections.cores import collect_seldom
from projections.outage import Backoff, from_database, summary, unavailable
from workers import bootstrap, standby
from workers.health import Readiness, postgres_answers, read_models_within, serve_health
from workers.logs import configure_logging
from workers.metrics import StoreCollector
from workers.settings import Settings, load_settings

log = logging.getLogger(__name__)


def run_projector(settings: Settings, stop_event: threading.Event) -> None:
    """Follow the log until `stop_event` is set, while this copy holds the lead; other copies
    stand by and one takes over within seconds when it dies (workers.standby)."""
    url = bootstrap.Root(settings).database_url
    standby.while_leading(url, "projector", stop_event, lambda active: _project(settings, active))


def _project(settings: Settings, stop_event: threading.Event) -> None:
    """Catch up, then follow the log in batches until `stop_event` is set.

    PostgreSQL may be away at the start too, or busy with another process creating the same
    tables: the projector is built once it succeeds."""
    backoff = Backoff()
    while not stop_event.is_set():
        try:
            projector = bootstrap.build_projector(settings)
        except Exception as error:
            if not from_database(error):
                raise
            delay = backoff.next()
            problem = "PostgreSQL unavailable" if unavailable(error) else "Read models not ready"
            log.warning("%s (%s), retrying in %g s", problem, summary(error), delay)
            stop_event.wait(delay)
            continue
        try:
            projector.follow(stop_event)
        finally:
            projector.close()


def readiness(settings: Settings, url: str) -> Readiness:
    """The projector is ready while PostgreSQL answers and no read model lags too far."""
    return Readiness(
        {
            "postgres": postgres_answers(url),
            "read_models": read_models_within(url, settings.ready_max_lag),
        }
    )


def main() -> None:
    """Entry point: follow the log until SIGINT or SIGTERM (health on `LIAISON_HEALTH_PORT`)."""
    collect_seldom()  # its batches make rows and states by the thousand, cycles seldom
    follow()


def follow() -> None:
    """The projector process's life, as configured by the environment."""
    settings = load_settings()
    configure_logging(settings, "projector")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    url = bootstrap.Root(settings).database_url
    REGISTRY.register(StoreCollector(url))
    health = serve_health(settings, readiness(settings, url))
    try:
        run_projector(settings, stop)
    finally:
        if health is not None:
            health.close()


if __name__ == "__main__":
    main()
