"""A bulk catch-up held half-way, to see what the board and the CLI say meanwhile."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Literal

import pytest

from projections import runner
from projections.facts import Facts
from projections.runner import Projector

BATCH = 5
"""The events of the build's first batch: how far it has got while held there."""


@contextmanager
def held_build(
    env: Mapping[str, str],
    monkeypatch: pytest.MonkeyPatch,
    at: Literal["first batch", "totals"] = "first batch",
) -> Iterator[int]:
    """The facts model rebuilt from zero in a bulk catch-up (its secondary indexes deferred to
    its end, as for a new store after an import), held while the block runs after its first
    batch of `BATCH` events, or once every event is read and its indexes made, as it begins to
    work out its totals; then finished. Yields the events the log holds."""
    monkeypatch.setattr(runner, "BULK_EVENTS", 1)  # the tiny province's log is "big"
    reached, go_on = threading.Event(), threading.Event()

    def wait() -> None:
        if not reached.is_set():
            reached.set()
            go_on.wait(60)

    if at == "totals":
        complete = Facts.complete

        def held_complete(model: Facts, *args: Any, **kwargs: Any) -> None:
            wait()
            complete(model, *args, **kwargs)

        monkeypatch.setattr(Facts, "complete", held_complete)
    rebuilding = Projector(env, [Facts()], batch=BATCH)
    failed: list[BaseException] = []

    def rebuild() -> None:
        try:
            rebuilding.rebuild(lambda done, target: wait() if at == "first batch" else None)
        except BaseException as error:  # raised in the test's thread below
            failed.append(error)
            reached.set()

    thread = threading.Thread(target=rebuild)
    thread.start()
    try:
        try:
            assert reached.wait(60), f"the build never reached its {at}"
            assert not failed, failed
            yield rebuilding.head()
        finally:
            go_on.set()
            thread.join(120)
        assert not failed, failed
        # Its projector goes on (as `liaison up`'s does): the build let go of its locks.
        with rebuilding.transaction() as cur:
            cur.execute(
                "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory'"
                " AND classid = hashtext(current_schema())::oid"
                " AND objid = ANY(ARRAY[hashtext(%s)::oid, hashtext(%s)::oid])",
                runner.BUILD_LOCKS,
            )
            assert cur.fetchone()["n"] == 0, "the build's locks are still held"
    finally:
        rebuilding.close()
