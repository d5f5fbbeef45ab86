"""The seal's checkpoint, published by a Temporal schedule (at least daily) on the machine that
holds the seal key: a one-activity workflow, its activity an adapter over the publisher the worker
passes in."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy

SEAL_TASK_QUEUE = "liaison-seal"
"""Polled only by a worker that holds the seal key (`python -m workers.sealer`)."""


@dataclass(frozen=True)
class PublishCheckpointInput:
    """Nothing to choose: the checkpoint is of the seal's head when the activity runs."""


@dataclass(frozen=True)
class PublishCheckpointResult:
    """The checkpoint that was published: its position, link and file."""

    position: int
    link: str
    file: str


class CheckpointActivities:
    """The publishing activity, over the publisher the worker (composition root) passes in."""

    def __init__(self, publish: Callable[[], PublishCheckpointResult]) -> None:
        self.publish = publish

    @activity.defn(name="publish_checkpoint")
    async def publish_checkpoint(self, _: PublishCheckpointInput) -> PublishCheckpointResult:
        """Verify the seal, sign its head, write the file and record the event."""
        return await asyncio.to_thread(self.publish)


@workflow.defn
class CheckpointWorkflow:
    """One publication of the seal's checkpoint."""

    @workflow.run
    async def run(self, request: PublishCheckpointInput) -> PublishCheckpointResult:
        """Publish once; a broken seal fails the run after a few tries (and shows in Temporal)."""
        return await workflow.execute_activity_method(
            CheckpointActivities.publish_checkpoint,
            request,
            start_to_close_timeout=timedelta(hours=1),
            retry_policy=RetryPolicy(maximum_attempts=3, initial_interval=timedelta(minutes=1)),
        )
