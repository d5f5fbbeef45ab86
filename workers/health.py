"""Liveness, readiness and metrics of a process, as Kubernetes probes and Prometheus expect.

`/healthz` answers 200 while the process runs; `/readyz` answers 200 when each of its checks
passes (PostgreSQL answers, Temporal answers, the read models or the dispatcher are within
`ready_max_lag` events of the store) and 503 naming the checks that failed; `/metrics` is the
Prometheus exposition. The web serves these routes on the board's own port; the worker, the
dispatcher and the projector through `HealthServer`, on `LIAISON_HEALTH_PORT`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from api.health import readiness_answer
from projections.outage import summary
from workers.metrics import store
from workers.settings import Settings

log = logging.getLogger(__name__)

Check = Callable[[], None]
"""A readiness check: returns when ready, raises saying why not."""
TIMEOUT = 3.0


class NotReady(Exception):
    """A check found the process unable to do its work now."""


class Readiness:
    """Named checks run together: the process is ready when every one passes."""

    def __init__(self, checks: Mapping[str, Check]) -> None:
        self.checks = dict(checks)

    def __call__(self) -> dict[str, bool]:
        """Each check's result (failures are logged with their reason, never answered)."""
        results: dict[str, bool] = {}
        for name, check in self.checks.items():
            try:
                check()
            except Exception as error:
                log.warning("Not ready: %s (%s)", name, summary(error))
                results[name] = False
            else:
                results[name] = True
        return results


def postgres_answers(url: str) -> Check:
    """PostgreSQL accepts a connection and answers a query."""

    def check() -> None:
        with psycopg.connect(url, connect_timeout=int(TIMEOUT)) as conn:
            conn.execute("SELECT 1")

    return check


def temporal_answers(settings: Settings) -> Check:
    """Temporal's frontend answers its health check (over a connection of the check's own)."""

    async def ask() -> None:
        from workers.bootstrap import Root

        client = await asyncio.wait_for(Root(settings).temporal(), TIMEOUT)
        if not await client.service_client.check_health(timeout=timedelta(seconds=TIMEOUT)):
            raise NotReady("Temporal reports itself unhealthy")

    return lambda: asyncio.run(ask())


def read_models_within(url: str, max_lag: int) -> Check:
    """Every read model is at most `max_lag` events behind the store."""

    def check() -> None:
        with store(url, TIMEOUT) as figures:
            lags = figures.model_lags()
            rebuilding = figures.models_rebuilding()  # the old tables serve meanwhile
        behind = {n: lag for n, lag in lags.items() if lag > max_lag and n not in rebuilding}
        if behind:
            raise NotReady(f"read models behind the store: {behind} (most {max_lag})")

    return check


def dispatcher_within(url: str, max_lag: int) -> Check:
    """The dispatcher is at most `max_lag` liaison events behind the store."""

    def check() -> None:
        with store(url, TIMEOUT) as figures:
            lag = figures.dispatcher_lag() or 0
        if lag > max_lag:
            raise NotReady(f"dispatcher {lag} events behind the store (most {max_lag})")

    return check


class HealthServer:
    """`/healthz`, `/readyz` and `/metrics` over HTTP on a thread of their own."""

    def __init__(
        self,
        host: str,
        port: int,
        readiness: Readiness,
        registry: CollectorRegistry = REGISTRY,
        extra_metrics: Callable[[], bytes] = lambda: b"",
    ) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                if path == "/healthz":
                    status, body, kind = 200, b"ok\n", "text/plain; charset=utf-8"
                elif path == "/readyz":
                    status, body = readiness_answer(readiness())
                    kind = "application/json"
                elif path == "/metrics":
                    status, body = 200, generate_latest(registry) + extra_metrics()
                    kind = CONTENT_TYPE_LATEST
                else:
                    status, body, kind = 404, b"not found\n", "text/plain; charset=utf-8"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Probes every few seconds would drown the log: stay quiet."""

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="health", daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        """The port it listens on (the one asked for, or the one given for 0)."""
        return int(self._server.server_address[1])

    def close(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def serve_health(
    settings: Settings, readiness: Readiness, extra_metrics: Callable[[], bytes] = lambda: b""
) -> HealthServer | None:
    """The process's health endpoint on `LIAISON_HEALTH_PORT`, or None when that is unset."""
    if settings.health_port is None:
        return None
    server = HealthServer(
        settings.health_host, settings.health_port, readiness, extra_metrics=extra_metrics
    )
    log.info("Health and metrics on http://%s:%s/", settings.health_host, server.port)
    return server
