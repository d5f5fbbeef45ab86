"""The long-lived processes (worker, projector, web) run Python's cycle collector seldom for their
whole life (`projections.cores.collect_seldom`), set by their entry points before they serve (not
by what they serve, which the tests run in their own process)."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from projections.cores import YOUNG_OBJECTS
from workers import projector, web, worker


@pytest.fixture
def thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(700, *before[1:])
    yield
    gc.set_threshold(*before)


def _serving(seen: list[int]) -> Callable[..., None]:
    def serve(*_: Any, **__: Any) -> None:
        seen.append(gc.get_threshold()[0])

    return serve


@pytest.mark.usefixtures("thresholds")
@pytest.mark.parametrize(
    ("module", "blocking"),
    [(worker, "serve"), (projector, "follow"), (web, "serve")],
    ids=["worker", "projector", "web"],
)
def test_a_process_collects_seldom_from_its_entry_point(
    monkeypatch: pytest.MonkeyPatch, module: Any, blocking: str
) -> None:
    seen: list[int] = []
    monkeypatch.setattr(module, blocking, _serving(seen))
    monkeypatch.setattr(module, "configure_logging", lambda *_: None, raising=False)
    module.main()
    assert seen == [YOUNG_OBJECTS]
