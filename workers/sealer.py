"""The seal's worker, run on the machine that holds the seal key: it keeps the daily checkpoint
schedule and publishes each checkpoint (`python -m workers.sealer`)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.worker import Worker

from workers.bootstrap import Root, build_projector
from workers.checkpoints import publish, signing_key
from workers.service import serve
from workers.settings import Settings
from workflows.checkpoint import (
    SEAL_TASK_QUEUE,
    CheckpointActivities,
    CheckpointWorkflow,
    PublishCheckpointInput,
    PublishCheckpointResult,
)

SCHEDULE_ID = "liaison-seal-checkpoint"
EVERY = timedelta(days=1)


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


async def ensure_schedule(client: Client, task_queue: str = SEAL_TASK_QUEUE) -> None:
    """Create the daily checkpoint schedule, or bring an existing one to this definition."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            CheckpointWorkflow.run,
            PublishCheckpointInput(),
            id=f"{SCHEDULE_ID}-run",
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=EVERY)]),
    )
    try:
        await client.create_schedule(SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:

        def update(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(SCHEDULE_ID).update(update)


def main() -> None:
    """Entry point: run the seal's worker until SIGINT or SIGTERM."""
    serve("sealer", run_sealer)


if __name__ == "__main__":
    main()
