"""Fixtures for integration tests that run Liaison's own embedded services."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration import workflow_stack
from workers import embedded


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
