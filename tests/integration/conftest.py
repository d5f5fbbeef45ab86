"""Fixtures for integration tests that run Liaison's own embedded services."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from workers import embedded


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A fresh Liaison data folder; any embedded PostgreSQL started in it is stopped afterwards."""
    path = tmp_path / "liaison-data"
    path.mkdir()
    yield path
    embedded.stop_postgres(path)
