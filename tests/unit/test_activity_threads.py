"""Where the activities run the synchronous office: the worker's own threads, one per slot."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from workers.worker import activity_threads, worker_options
from workflows.activities import LiaisonActivities
from workflows.outbox import InMemoryOutbox

CALLER = contextvars.ContextVar("caller", default="nobody")


class Office:
    """Just what the activities' `_call` asks of an office: to hold its references."""

    def __init__(self) -> None:
        self.holding = False

    @contextlib.contextmanager
    def holding_references(self) -> Iterator[None]:
        self.holding = True
        try:
            yield
        finally:
            self.holding = False


def test_the_office_runs_on_the_threads_given_with_the_activitys_context() -> None:
    threads = ThreadPoolExecutor(1, thread_name_prefix="given")
    office = Office()
    activities = LiaisonActivities(office, InMemoryOutbox(), threads)  # type: ignore[arg-type]

    def where() -> tuple[str, str]:
        assert office.holding  # the organisation and the book read once for the whole call
        return threading.current_thread().name, CALLER.get()

    async def call() -> tuple[str, str]:
        CALLER.set("activity")
        return await activities._call(where)

    try:
        name, caller = asyncio.run(call())
    finally:
        threads.shutdown()
    assert name.startswith("given")
    assert caller == "activity"


def test_a_worker_has_a_thread_for_every_activity_slot() -> None:
    threads = activity_threads()
    try:
        assert threads._max_workers == worker_options()["max_concurrent_activities"]
    finally:
        threads.shutdown()
