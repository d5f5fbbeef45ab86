"""`liaison projections` and `liaison rebuild` name each read model as people call it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from projections.catalog import MODELS
from projections.rebuild import SHADOW, ShadowResult
from workers import cli_support
from workers.cli_read import _verdict, projection


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


@pytest.mark.parametrize(
    ("language", "switched", "differs", "building"),
    [
        (
            "vi",
            "đã chuyển sang bản mới",
            "giữ bản đang dùng; 1 dòng khác với bản dựng lại",
            "giữ bản đang dùng; một phiên bản mới của nó đang được dựng"
            " và sẽ tự chuyển sang khi xong",
        ),
        (
            "en",
            "switched",
            "kept the live one; 1 row differs from the rebuilt one",
            "kept the live one; a new version of it is being built and switches itself",
        ),
    ],
)
def test_a_shadow_builds_verdict_in_words(
    language: str,
    switched: str,
    differs: str,
    building: str,
    monkeypatch: pytest.MonkeyPatch,
    fresh_settings: None,
) -> None:
    """What differed is counted in rows, never shown as the tables' names."""
    monkeypatch.setenv("LIAISON_LANG", language)
    assert _verdict(ShadowResult(True, 9, {})) == switched
    assert _verdict(ShadowResult(False, 9, {"member": 1})) == differs
    assert _verdict(ShadowResult(False, 0, {"version": 3})) == building
