"""`/healthz`, `/readyz` and `/metrics` of the web process, for probes and Prometheus.

The checks themselves are the composition root's (PostgreSQL, Temporal, the read models' lag);
the answer names each check "ok" or "failed" and never says why (that goes to the log)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from starlette.concurrency import run_in_threadpool

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Health:
    """What the probes ask: the readiness checks, and the metrics to expose."""

    readiness: Callable[[], Mapping[str, bool]] = dict
    registry: CollectorRegistry = field(default_factory=lambda: REGISTRY)


def readiness_answer(results: Mapping[str, bool]) -> tuple[int, bytes]:
    """The `/readyz` status and JSON body for these results."""
    ready = all(results.values())
    body = {"ready": ready, "checks": {n: "ok" if ok else "failed" for n, ok in results.items()}}
    return (200 if ready else 503), json.dumps(body).encode()


@router.get("/healthz")
def healthz() -> PlainTextResponse:
    """The process is alive and serving."""
    return PlainTextResponse("ok\n")


@router.get("/readyz")
async def readyz(request: Request) -> Response:
    """200 when every check passes, else 503; each check named "ok" or "failed"."""
    health: Health = request.app.state.health
    results = await run_in_threadpool(health.readiness)  # the checks block: off the loop
    status, body = readiness_answer(results)
    return Response(body, status, media_type="application/json")


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """The Prometheus exposition of this process."""
    health: Health = request.app.state.health
    body = await run_in_threadpool(generate_latest, health.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
