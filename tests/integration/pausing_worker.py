"""A worker that hangs right after recording an escalation, to be killed mid-activity.

`python -m tests.integration.pausing_worker QUEUE MARKER` (DATABASE_URL, TEMPORAL_ADDRESS set).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from temporalio import activity

from workers.settings import load_settings
from workers.worker import run_worker
from workflows.activities import LiaisonActivities
from workflows.messages import (
    OnboardInput,
    OnboardResult,
    TakeStepInput,
    TakeStepResult,
    TakeStepsInput,
    TakeStepsResult,
)

MARKER = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("/nonexistent")


async def hang_once_escalated(steps: list[str]) -> None:
    """Once the escalation is among the steps recorded: say so in the marker file, then hang."""
    if "escalated" in steps:
        MARKER.write_text("recorded")
        await asyncio.sleep(3600)


class PausingActivities(LiaisonActivities):
    """Records the escalation, says so in the marker file, then hangs until killed."""

    @activity.defn(name="take_step")
    async def take_step(self, request: TakeStepInput) -> TakeStepResult:
        result = await super().take_step(request)
        await hang_once_escalated([request.step])
        return result

    @activity.defn(name="onboard_liaison")
    async def onboard_liaison(self, request: OnboardInput) -> OnboardResult:
        result = await super().onboard_liaison(request)
        await hang_once_escalated([rung.step for rung in result.taken])
        return result

    @activity.defn(name="take_steps")
    async def take_steps(self, request: TakeStepsInput) -> TakeStepsResult:
        result = await super().take_steps(request)
        await hang_once_escalated([rung.step for rung in request.rungs])
        return result


if __name__ == "__main__":
    asyncio.run(run_worker(load_settings(), asyncio.Event(), sys.argv[1], PausingActivities))
