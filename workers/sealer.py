"""The seal's worker, run on the machine that holds the seal key: it keeps the daily checkpoint
schedule and publishes each checkpoint (`python -m workers.sealer`)."""

from __future__ import annotations

import asyncio

from temporalio.client import Client
from temporalio.worker import Worker

from workers.bootstrap import Root
from workers.checkpoints import ensure_schedule, publish, signing_key
from workers.projector import build_projector
from workers.service import serve
from workers.settings import Settings
from workflows.checkpoint import (
    SEAL_TASK_QUEUE,
    CheckpointActivities,
    CheckpointWorkflow,
    PublishCheckpointResult,
)


async def run_sealer(
    settings: Settings,
    stop: asyncio.Event,
    task_queue: str = SEAL_TASK_QUEUE,
    client: Client | None = None,
) -> None:
    """Keep the schedule and poll the seal's task queue until `stop` is set."""
    signing_key(settings)  # refuse to start without the key, before anything is scheduled
    root = Root(settings)
    client = client or await root.temporal()

    def publish_now() -> PublishCheckpointResult:
        projector = build_projector(settings)
        try:
            done = publish(settings, root.office, projector)
        finally:
            projector.close()
        return PublishCheckpointResult(
            done.checkpoint.position, done.checkpoint.link, str(done.file)
        )

    await ensure_schedule(client, task_queue)
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[CheckpointWorkflow],
        activities=[CheckpointActivities(publish_now).publish_checkpoint],
    ):
        await stop.wait()
    root.close()


def main() -> None:
    """Entry point: run the seal's worker until SIGINT or SIGTERM."""
    serve("sealer", run_sealer)


if __name__ == "__main__":
    main()
