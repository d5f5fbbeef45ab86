"""Fixtures for integration tests that run Liaison's own embedded services."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from application.office import LiaisonOffice
from tests.integration import workflow_stack
from workers import embedded
from workers.settings import Settings


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A fresh Liaison data folder; any embedded PostgreSQL started in it is stopped afterwards."""
    path = tmp_path / "liaison-data"
    path.mkdir()
    yield path
    embedded.stop_postgres(path)


@pytest.fixture(autouse=True)
def close_offices() -> Iterator[None]:
    """Close what `workflow_stack.office_on` opened: an open office keeps its connections."""
    yield
    while workflow_stack.OPENED:
        workflow_stack.OPENED.pop().close()


@pytest.fixture
def stack_office(pg_url: str) -> LiaisonOffice:
    """The small province (tests/workflows/province.py) in `pg_url`'s schema; closed afterwards."""
    return workflow_stack.office_on(pg_url)


@pytest.fixture
def stack_settings(dev_env: WorkflowEnvironment, pg_url: str, tmp_path: Path) -> Settings:
    """Settings for a worker and dispatcher on `dev_env` and `pg_url`'s schema."""
    return workflow_stack.settings_for(dev_env, pg_url, tmp_path)
