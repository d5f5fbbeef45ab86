"""A liaison's workflow started from the store in a new year (onboarding): one run, two activities.

Its first activity loads the liaison and opens the year's cycle, its second takes every rung then
due (each still its own command and event), and the run waits on its timer without continuing as
new: a liaison onboarded costs the worker and the server a few tasks, not a run and an activity
per rung (issue 18, point 4).
"""

from __future__ import annotations

import asyncio
from datetime import date

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from domain.deadlines import DeadlineKind
from domain.state import LiaisonState
from tests.workflows.province import advance_to, pinned, received, running
from workers.onboarding import start_liaison
from workflows.liaison import LiaisonWorkflow
from workflows.messages import workflow_id

RECEIVED = date(2027, 1, 5)
ONBOARDED = date(2028, 3, 1)


async def settled(handle: WorkflowHandle[object, object]) -> WorkflowHistory:
    """The latest run's history once it waits on its timer."""
    for _ in range(400):
        history = await handle.fetch_history()
        if history.events[-1].event_type == EventType.EVENT_TYPE_TIMER_STARTED:
            return history
        await asyncio.sleep(0.05)
    raise TimeoutError(handle.id)


async def test_liaison_onboarded_in_a_new_year_opens_its_cycle_in_one_run(
    time_env: WorkflowEnvironment, task_queue: str
) -> None:
    province, liaison = await received(time_env, pinned("213"), RECEIVED)
    await advance_to(time_env, ONBOARDED)  # all of 2027 passed with no meeting recorded
    async with running(time_env, province, task_queue):
        await start_liaison(time_env.client, liaison, task_queue)
        handle = time_env.client.get_workflow_handle(workflow_id(str(liaison)))
        history = await settled(handle)
        description = await handle.describe()
        snapshot = await handle.query(LiaisonWorkflow.snapshot)

    info = description.raw_description.workflow_execution_info
    assert description.run_id == info.first_run_id  # it did not continue as new
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert scheduled == ["onboard_liaison", "take_steps"]
    state = LiaisonState.model_validate_json(snapshot.state_json)
    assert state == province.office.state_of(liaison)
    assert state.cycle_year == ONBOARDED.year
    assert len(snapshot.taken) > 1  # several rungs were due at once, taken in one activity
    for key in snapshot.open_escalations:  # each recorded in the store by its own command
        kind, subject = key.split("/", 1)
        assert province.escalation(liaison, DeadlineKind(kind), subject).is_open
