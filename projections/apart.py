"""Work at a bulk catch-up's end done in a process of its own, beside the rest (issue 18).

The facts model's end builds the figures' steps on every core, then sums them on one; the stage
funnel and the worklist's tasks, each Python's work on one core, come after. Given a process of
their own they run beside the steps instead. The process has its own connection and transaction
(the work's rows and its state row committed together, as in this process), ends with the
process that started it, and its failure is raised to the caller by the future's `result()`.
Its transaction may idle between statements as long as the build's own (`BUILD_IDLE`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context

from eventsourcing.postgres import PostgresFactory
from eventsourcing.utils import Environment
from psycopg import sql

from projections.cores import collect_seldom, end_with_parent
from projections.model import BUILD_IDLE, Work, set_local


def start(env: Mapping[str, str], work: Work) -> Future[None]:
    """Run the work in a new process on the store these settings name."""
    pool = ProcessPoolExecutor(1, get_context("spawn"), initializer=_watch_parent)
    try:
        return pool.submit(_run, dict(env), work)
    finally:
        pool.shutdown(wait=False)  # the process ends once the work has


def _watch_parent() -> None:
    threading.Thread(target=end_with_parent, name="parent-watch", daemon=True).start()
    collect_seldom()


def _run(env: dict[str, str], work: Work) -> None:
    datastore = PostgresFactory(Environment("projections", env)).datastore
    try:
        with datastore.transaction(commit=True) as cur:
            path = sql.Identifier(datastore.schema).as_string(cur)
            set_local(cur, {"search_path": path, "idle_in_transaction_session_timeout": BUILD_IDLE})
            work(cur)
    finally:
        datastore.close()
