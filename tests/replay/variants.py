"""Workflow versions for the versioning tests only: one change made without and with `patched()`.

The change is harmless and never shipped: wait a little before doing what the code did before.
`PauseBeforeStep*` make it in today's liaison workflow (against its saved histories); the four
`Reminder*` versions walk one patch through its life on a toy workflow: introduced with
`patched`, deprecated with `deprecate_patch`, then removed.
"""

from __future__ import annotations

from datetime import date, timedelta

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from domain.deadlines import Deadline
    from domain.escalation import Step
    from workflows.liaison import LiaisonWorkflow
    from workflows.messages import LiaisonWorkflowInput, LiaisonWorkflowResult

PAUSE = timedelta(minutes=5)
PATCH = "2026-12-02-pause-before-step"
TIMEOUT = timedelta(seconds=10)


@workflow.defn(name="Liaison")
class PauseBeforeStepUnpatched(LiaisonWorkflow):
    """Today's liaison workflow, pausing before each escalation step: not behind `patched()`."""

    @workflow.run
    async def run(self, start: LiaisonWorkflowInput) -> LiaisonWorkflowResult:
        return await super().run(start)

    async def _take(self, liaison_id: str, deadline: Deadline, step: Step, today: date) -> None:
        await workflow.sleep(PAUSE)
        await super()._take(liaison_id, deadline, step, today)


@workflow.defn(name="Liaison")
class PauseBeforeStepPatched(LiaisonWorkflow):
    """The same change behind `patched()`: a run recorded without it keeps the old path."""

    @workflow.run
    async def run(self, start: LiaisonWorkflowInput) -> LiaisonWorkflowResult:
        return await super().run(start)

    async def _take(self, liaison_id: str, deadline: Deadline, step: Step, today: date) -> None:
        if workflow.patched(PATCH):
            await workflow.sleep(PAUSE)
        await super()._take(liaison_id, deadline, step, today)


@activity.defn(name="remind")
async def remind(who: str) -> str:
    """A reminder sent (nothing is sent: the result says to whom)."""
    return f"reminded {who}"


async def _remind(who: str) -> str:
    return await workflow.execute_activity(remind, who, start_to_close_timeout=TIMEOUT)


async def _wait_a_day() -> None:
    await workflow.sleep(timedelta(days=1))


@workflow.defn(name="Reminder")
class ReminderV1:
    """Before the change: remind at once."""

    @workflow.run
    async def run(self, who: str) -> str:
        return await _remind(who)


@workflow.defn(name="Reminder")
class ReminderUnpatched:
    """The change made bare: wait a day, then remind."""

    @workflow.run
    async def run(self, who: str) -> str:
        await _wait_a_day()
        return await _remind(who)


@workflow.defn(name="Reminder")
class ReminderPatched:
    """Step 1: the change behind `patched()`, the old path kept for runs recorded before it."""

    @workflow.run
    async def run(self, who: str) -> str:
        if workflow.patched(PATCH):
            await _wait_a_day()
        return await _remind(who)


@workflow.defn(name="Reminder")
class ReminderDeprecated:
    """Step 2, once no run from before the patch is open: `deprecate_patch`, old path gone."""

    @workflow.run
    async def run(self, who: str) -> str:
        workflow.deprecate_patch(PATCH)
        await _wait_a_day()
        return await _remind(who)


ReminderPatchRemoved = ReminderUnpatched
"""Step 3, once no run from before the deprecation is open: the call goes too, which leaves the
change made bare, the very code that broke the runs from before the patch (now none is open)."""
