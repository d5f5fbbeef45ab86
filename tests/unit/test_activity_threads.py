"""Where the activities run the synchronous office: the worker's own threads, one per slot."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor

from workers.worker import activity_threads, worker_options
from workflows.activities import Activities
from workflows.outbox import InMemoryOutbox

CALLER = contextvars.ContextVar("caller", default="nobody")


def test_the_office_runs_on_the_threads_given_with_the_activitys_context() -> None:
    threads = ThreadPoolExecutor(1, thread_name_prefix="given")
    activities = Activities(object(), InMemoryOutbox(), threads)

    def where() -> tuple[str, str]:
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
