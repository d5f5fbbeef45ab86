"""The dispatcher process: follows the event store, forwards liaison events to their workflows
(and starts or settles each registered member's late-referral workflow)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping

from eventsourcing.postgres import PostgresFactory, PostgresTrackingRecorder
from eventsourcing.projection import BaseProjectionRunner
from eventsourcing.utils import Environment
from temporalio.client import Client

from domain.registry import PolicyOverridden, PolicyOverrideWithdrawn
from projections.outage import Backoff, drop_lost_connections, summary, unavailable
from workers import standby
from workers.bootstrap import Root, one_process_at_a_time
from workers.health import dispatcher_within
from workers.service import serve
from workers.settings import Settings
from workflows.dispatcher import (
    DISPATCHED_TOPICS,
    Bridge,
    LiaisonDispatch,
    LogReader,
    bridge,
    policy_bridge,
)
from workflows.messages import TASK_QUEUE

log = logging.getLogger(__name__)
Tell = Callable[[PolicyOverridden | PolicyOverrideWithdrawn, int], None]
"""Tells the liaisons of a province about its change of a deadline (at its log position)."""


def _tracking_factory(env: Mapping[str, str]) -> PostgresFactory:
    """The library's factory for the dispatcher's position, in `liaison_dispatcher_tracking`.

    Made once per process: its connection pool outlives the runners made after an outage."""
    return PostgresFactory(Environment(LiaisonDispatch.name, dict(env)))


async def run_dispatcher(
    settings: Settings, stop: asyncio.Event, task_queue: str = TASK_QUEUE
) -> None:
    """Forward events from the last tracked position until `stop` is set, while this copy holds
    the lead; other copies stand by and one takes over within seconds when it dies
    (workers.standby). The first event after each start is forwarded only if its workflow has
    not received it yet: a copy that died between forwarding it and recording its position."""
    root = Root(settings, process="dispatcher")
    client = await root.temporal()

    async def forward(active: asyncio.Event) -> None:
        await _dispatch(root.env, client, task_queue, active)

    await standby.while_leading_async(root.database_url, "dispatcher", stop, forward)


async def _dispatch(
    env: Mapping[str, str], client: Client, task_queue: str, stop: asyncio.Event
) -> None:
    """Forward events from the last tracked position until `stop` is set.

    Never gives up on PostgreSQL: when it goes away the library's runner stops with the error
    (`run_forever` re-raises it); after a growing wait a new runner resumes from the tracked
    position."""
    loop = asyncio.get_running_loop()
    calls = bridge(client, task_queue, loop, stop.is_set)
    # Finds the liaisons a province's change of a deadline concerns. It only reads: building it
    # must not re-create the library's tables and functions beside a starting process (that
    # fails with "tuple concurrently updated"), and a change to tell means the store has them.
    reader = LogReader(env={**env, "CREATE_TABLE": "n"})
    tell = policy_bridge(client, reader, loop, stop.is_set)
    factory = _tracking_factory(env)
    backoff = Backoff()
    try:
        while not stop.is_set():
            try:
                await _forward_until_stopped(factory, env, calls, tell, stop, backoff)
            except Exception as error:
                if stop.is_set():  # e.g. a forward cut short by the stop itself
                    log.info("Dispatcher stopped (%s)", summary(error))
                    break
                delay = backoff.next()
                if unavailable(error):
                    log.warning(
                        "PostgreSQL unavailable (%s), retrying in %g s", summary(error), delay
                    )
                    await asyncio.to_thread(drop_lost_connections, factory.datastore)
                else:
                    log.exception("Dispatcher failed, retrying in %g s", delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
    finally:
        factory.close()
        reader.close()


async def _forward_until_stopped(
    factory: PostgresFactory,
    env: Mapping[str, str],
    calls: Bridge,
    tell: Tell,
    stop: asyncio.Event,
    backoff: Backoff,
) -> None:
    """One library runner from the tracked position until `stop` is set or the runner fails."""

    # Threads, not the loop: the runner connects and joins threads, while `send` needs the loop.
    runner = await asyncio.to_thread(started_runner, factory, env, calls, tell)
    backoff.reset()  # PostgreSQL answered
    try:
        waiting = asyncio.ensure_future(asyncio.to_thread(runner.run_forever))
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        runner.stop()
        await waiting  # the runner's error, if it stopped by itself
    finally:
        await asyncio.to_thread(runner.__exit__, None, None, None)


def started_runner(
    factory: PostgresFactory, env: Mapping[str, str], calls: Bridge, tell: Tell | None = None
) -> BaseProjectionRunner[LogReader]:
    """The library's runner, entered (left by its `__exit__`, as a `with` block would). Its two
    recorders create (or check) their tables one process at a time."""
    with one_process_at_a_time(env):
        view = factory.tracking_recorder(PostgresTrackingRecorder)
        runner = BaseProjectionRunner(
            projection=LiaisonDispatch(view, calls.send, calls.forwarded, tell, calls.watch),
            application_class=LogReader,
            tracking_recorder=view,
            topics=DISPATCHED_TOPICS,
            env=env,
        )
    return runner.__enter__()


def main() -> None:
    """Entry point: run the dispatcher until SIGINT or SIGTERM (health on `LIAISON_HEALTH_PORT`:
    PostgreSQL and Temporal answer, and it is within `ready_max_lag` liaison events)."""
    serve(
        "dispatcher",
        run_dispatcher,
        lambda settings, url: {"dispatched": dispatcher_within(url, settings.ready_max_lag)},
    )


if __name__ == "__main__":
    main()
