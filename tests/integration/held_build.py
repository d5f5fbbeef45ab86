"""A bulk catch-up held half-way, to see what the board and the CLI say meanwhile."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import pytest

from projections import runner
from projections.facts import Facts
from projections.runner import Projector

BATCH = 5
"""The events of the build's first batch: how far it has got while held."""


@contextmanager
def held_build(env: Mapping[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """The facts model rebuilt from zero in a bulk catch-up (its secondary indexes deferred to
    its end, as for a new store after an import), held after its first batch of `BATCH` events
    while the block runs, then finished; yields the events the log holds."""
    monkeypatch.setattr(runner, "BULK_EVENTS", 1)  # the tiny province's log is "big"
    first_batch, go_on = threading.Event(), threading.Event()

    def hold(done: int, target: int) -> None:
        if not first_batch.is_set():
            first_batch.set()
            go_on.wait(60)

    rebuilding = Projector(env, [Facts()], batch=BATCH)
    failed: list[BaseException] = []

    def rebuild() -> None:
        try:
            rebuilding.rebuild(hold)
        except BaseException as error:  # raised in the test's thread below
            failed.append(error)
            first_batch.set()

    thread = threading.Thread(target=rebuild)
    thread.start()
    try:
        assert first_batch.wait(60), "the build's first batch never came"
        assert not failed, failed
        yield rebuilding.head()
    finally:
        go_on.set()
        thread.join(120)
        rebuilding.close()
    assert not failed, failed
