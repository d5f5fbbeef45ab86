"""The dispatcher process: follows the event store, forwards liaison events to their workflows."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Mapping

from eventsourcing.postgres import PostgresFactory, PostgresTrackingRecorder
from eventsourcing.projection import BaseProjectionRunner
from eventsourcing.utils import Environment

from domain.liaison_events import LiaisonEvent
from domain.registry import PolicyOverridden, PolicyOverrideWithdrawn
from projections.outage import Backoff, drop_lost_connections, summary, unavailable
from workers.bootstrap import Root
from workers.settings import Settings, load_settings
from workflows.dispatcher import (
    DISPATCHED_TOPICS,
    LiaisonDispatch,
    LogReader,
    bridge,
    policy_bridge,
)
from workflows.messages import TASK_QUEUE

log = logging.getLogger(__name__)


def _tracking_factory(env: Mapping[str, str]) -> PostgresFactory:
    """The library's factory for the dispatcher's position, in `liaison_dispatcher_tracking`.

    Made once per process: its connection pool outlives the runners made after an outage."""
    return PostgresFactory(Environment(LiaisonDispatch.name, dict(env)))


async def run_dispatcher(
    settings: Settings, stop: asyncio.Event, task_queue: str = TASK_QUEUE
) -> None:
    """Forward events from the last tracked position until `stop` is set.

    Never gives up on PostgreSQL: when it goes away the library's runner stops with the error
    (`run_forever` re-raises it); after a growing wait a new runner resumes from the tracked
    position. An event forwarded but not yet tracked goes again; its workflow drops it.
    """
    root = Root(settings)
    env = root.env
    client = await root.temporal()
    loop = asyncio.get_running_loop()
    send = bridge(client, task_queue, loop, stop.is_set)
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
                await _forward_until_stopped(factory, env, send, tell, stop, backoff)
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
    send: Callable[[LiaisonEvent], None],
    tell: Callable[[PolicyOverridden | PolicyOverrideWithdrawn, int], None],
    stop: asyncio.Event,
    backoff: Backoff,
) -> None:
    """One library runner from the tracked position until `stop` is set or the runner fails."""

    def start() -> BaseProjectionRunner[LogReader]:
        view = factory.tracking_recorder(PostgresTrackingRecorder)  # creates its table if need be
        runner = BaseProjectionRunner(
            projection=LiaisonDispatch(view, send, tell),
            application_class=LogReader,
            tracking_recorder=view,
            topics=DISPATCHED_TOPICS,
            env=env,
        )
        return runner.__enter__()  # left by `__exit__` below, as a `with` block would

    # Threads, not the loop: the runner connects and joins threads, while `send` needs the loop.
    runner = await asyncio.to_thread(start)
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


def main() -> None:
    """Entry point: run the dispatcher until SIGINT or SIGTERM."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s dispatcher %(levelname)s %(message)s"
    )

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_dispatcher(load_settings(), stop)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
