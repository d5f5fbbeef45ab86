"""The dispatcher process: follows the event store, forwards liaison events to their workflows."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Mapping

from eventsourcing.persistence import InfrastructureFactory, TrackingRecorder
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.projection import BaseProjectionRunner
from eventsourcing.utils import Environment

from workers.bootstrap import persistence_env
from workers.embedded import database_url
from workers.settings import Settings, load_settings
from workers.worker import connect
from workflows.dispatcher import LIAISON_TOPICS, LiaisonDispatch, LogReader, bridge
from workflows.messages import TASK_QUEUE


def tracking_recorder(env: Mapping[str, str]) -> TrackingRecorder:
    """The dispatcher's position, in table `liaison_dispatcher_tracking` beside the events."""
    factory = InfrastructureFactory[PostgresTrackingRecorder].construct(
        env=Environment(LiaisonDispatch.name, dict(env))
    )
    return factory.tracking_recorder(PostgresTrackingRecorder)


async def run_dispatcher(
    settings: Settings, stop: asyncio.Event, task_queue: str = TASK_QUEUE
) -> None:
    """Forward events from the last tracked position until `stop` is set."""
    env = persistence_env(database_url(settings))
    client = await connect(settings)
    view = tracking_recorder(env)
    send = bridge(client, task_queue, asyncio.get_running_loop(), stop.is_set)
    runner: BaseProjectionRunner[LogReader] = BaseProjectionRunner(
        projection=LiaisonDispatch(view, send),
        application_class=LogReader,
        tracking_recorder=view,
        topics=LIAISON_TOPICS,
        env=env,
    )
    with runner:
        waiting = asyncio.ensure_future(asyncio.to_thread(runner.run_forever))
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        runner.stop()
        await waiting


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
