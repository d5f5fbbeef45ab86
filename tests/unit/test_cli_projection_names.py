"""`liaison projections` and `liaison rebuild` name each read model as people call it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from projections.catalog import MODELS
from projections.rebuild import SHADOW
from workers import cli_support
from workers.cli_read import projection


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """The CLI reads its settings once per run: read them again in the test's language."""
    cli_support.settings.cache_clear()
    yield
    cli_support.settings.cache_clear()


@pytest.mark.parametrize(
    ("language", "facts", "shadow"),
    [
        ("vi", "Số liệu tổng quan", "Số liệu tổng quan (bản dựng song song)"),
        ("en", "Dashboard figures", "Dashboard figures (rebuilt beside it)"),
    ],
)
def test_a_read_model_and_its_shadow_by_name(
    language: str, facts: str, shadow: str, monkeypatch: pytest.MonkeyPatch, fresh_settings: None
) -> None:
    monkeypatch.setenv("LIAISON_LANG", language)
    assert projection("facts") == facts
    assert projection("facts" + SHADOW) == shadow
    assert all(projection(name) != name for name in MODELS)
    assert projection("something_else") == "something_else"  # a tracking row of another kind
