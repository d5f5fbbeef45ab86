"""Tracing, on by setting: the board's requests and the Temporal client's calls become spans."""

from __future__ import annotations

from uuid import uuid4

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.config import BoardConfig
from api.reads_projections import ProjectionReads
from api.users import UserStore
from workers.bootstrap import Root
from workers.settings import Settings
from workers.tracing import trace_web, tracer_provider

pytestmark = pytest.mark.postgres


def test_tracing_is_off_by_default() -> None:
    assert tracer_provider(Settings(), "web") is None


async def test_enabled_tracing_records_web_requests_and_temporal_calls(
    pg_url: str, dev_env: WorkflowEnvironment
) -> None:
    settings = Settings(
        database_url=pg_url,
        temporal_address=dev_env.client.service_client.config.target_host,
        tracing=True,
    )
    exporter = InMemorySpanExporter()
    provider = tracer_provider(settings, "tracing-test", exporter)
    assert provider is not None
    root = Root(settings, process="tracing-test")
    users = UserStore(pg_url)
    reads = ProjectionReads(pg_url)
    try:
        config = BoardConfig(database_url=pg_url, secure_cookies=False)
        app = create_app(root.office, reads, users, config)
        trace_web(app, provider)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://board.test") as web:
            assert (await web.get("/login")).status_code == 200

        client = await root.temporal()
        handle = await client.start_workflow(
            "NoSuchWorkflow", id=f"traced-{uuid4()}", task_queue=f"traced-{uuid4()}"
        )
        await handle.terminate()
    finally:
        await reads.close()
        await users.close()
        root.close()

    names = [span.name for span in exporter.get_finished_spans()]
    assert any(name == "GET /login" for name in names), names
    assert "StartWorkflow:NoSuchWorkflow" in names, names
    assert {s.resource.attributes["service.name"] for s in exporter.get_finished_spans()} == {
        "liaison-tracing-test"
    }
