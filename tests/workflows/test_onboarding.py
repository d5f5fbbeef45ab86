"""A liaison's workflow started from the store (onboarding): one run, from the liaison's state.

In a new year its first activity loads the liaison and opens the year's cycle, its second takes
every rung then due (each still its own command and event), and the run waits on its timer
without continuing as new: a liaison onboarded costs the worker and the server a few tasks, not a
run and an activity per rung (issue 18, point 4). The first activity answers with the liaison's
state, not its events (a decade of them made histories of 20-40 KB and first tasks of seconds),
and the run then does what applying every event did: deadlines still open climb their ladders
and resolve, rungs the store already holds are not recorded twice, a closed liaison ends.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain import commands as cmd
from domain.deadlines import DeadlineKind
from domain.state import ClosingReason, LiaisonState
from tests.replay.record import patches_taken
from tests.workflows.province import (
    CLERK,
    Province,
    advance_to,
    ladder,
    pinned,
    received,
    running,
)
from workers.onboarding import start_liaison
from workflows.activities import LiaisonActivities
from workflows.liaison import FRESH_RUNS, LiaisonWorkflow
from workflows.messages import (
    LiaisonSnapshot,
    OnboardInput,
    OnboardResult,
    TakeStepsInput,
    TakeStepsResult,
    workflow_id,
)
from workflows.outbox import InMemoryOutbox

LOCAL = "core_local_activity"
"""The marker a local activity's run and answer are recorded under."""
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


IDLE = {
    EventType.EVENT_TYPE_TIMER_STARTED,  # it waits on its timer
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,  # a task that asked nothing: it awaits signals
    EventType.EVENT_TYPE_MARKER_RECORDED,  # a task that ran local activities, then asked nothing
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
}


async def idle(handle: WorkflowHandle[Any, Any]) -> WorkflowHistory:
    """The latest run's history once it has ended or waits with no task and no activity pending
    (on its timer, or on nothing but signals once no deadline is left)."""
    for _ in range(400):
        history = await handle.fetch_history()
        if history.events[-1].event_type in IDLE:
            return history
        await asyncio.sleep(0.05)
    raise TimeoutError(handle.id)


def ran(history: WorkflowHistory) -> list[tuple[str, dict[str, Any]]]:
    """The activities the run ran, in order, each with its answer as JSON: local activities
    (`LOCAL_ACTIVITIES`), whose markers the history records, with nothing scheduled on the
    task queue."""
    assert not [
        e for e in history.events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    found = []
    for e in history.events:
        marker = e.marker_recorded_event_attributes
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED and marker.marker_name == LOCAL:
            (data,) = marker.details["data"].payloads
            (answer,) = marker.details["result"].payloads
            found.append((json.loads(data.data)["activity_type"], json.loads(answer.data)))
    return found


def onboarding(history: WorkflowHistory) -> dict[str, Any]:
    """What the run's `onboard_liaison` answered, as its JSON."""
    return next(answer for name, answer in ran(history) if name == "onboard_liaison")


def started_from_state(history: WorkflowHistory, province: Province, liaison: Any) -> None:
    """The run asked for the liaison's state and got it as the store holds it, and no event."""
    answered = onboarding(history)
    assert answered["events"] == []
    state = LiaisonState.model_validate_json(answered["state_json"])
    assert state == province.office.state_of(liaison)


async def test_a_fresh_run_asks_one_patch_and_takes_the_new_path_of_every_other(
    time_env: WorkflowEnvironment, task_queue: str
) -> None:
    """Each `patched()` a run asks is a marker and an upsert of the `TemporalChangeVersion`
    search attribute in its history (a write to the server's visibility store each): a run begun
    with `FRESH_RUNS` asks that one and takes the new path of every patch before it unasked —
    its activities local, the state answered, the rungs due taken with it."""
    province, liaison = await received(time_env, pinned("213"), RECEIVED)
    await advance_to(time_env, ONBOARDED)  # a new year: the cycle opens, rungs are due
    async with running(time_env, province, task_queue):
        await start_liaison(time_env.client, liaison, task_queue)
        history = await settled(time_env.client.get_workflow_handle(workflow_id(str(liaison))))

    assert patches_taken(history) == {FRESH_RUNS}
    upserts = EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
    assert [e.event_type for e in history.events].count(upserts) == 1
    assert [name for name, _ in ran(history)] == ["onboard_liaison"]  # local, nothing scheduled
    started_from_state(history, province, liaison)
    assert onboarding(history)["taken"]  # the rungs due taken in the same activity


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
    assert [name for name, _ in ran(history)] == ["onboard_liaison"]  # the rungs taken in it
    answered = onboarding(history)
    assert sorted(_key(rung) for rung in answered["taken"]) == snapshot.taken
    started = LiaisonState.model_validate_json(answered["state_json"])
    assert answered["events"] == []
    assert started == province.office.state_of(liaison)  # the cycle opened, then the state sent
    state = LiaisonState.model_validate_json(snapshot.state_json)
    assert state == province.office.state_of(liaison)
    assert state.cycle_year == ONBOARDED.year
    assert len(snapshot.taken) > 1  # several rungs were due at once, taken in one activity
    for key in snapshot.open_escalations:  # each recorded in the store by its own command
        kind, subject = key.split("/", 1)
        assert province.escalation(liaison, DeadlineKind(kind), subject).is_open


def _key(rung: dict[str, str]) -> str:
    """A rung `onboard_liaison` names as taken, as the run's snapshot keys it."""
    deadline = json.loads(rung["deadline_json"])
    return f"{deadline['kind']}/{deadline['subject']}/{rung['step']}"


REFERRED = date(2027, 1, 5)
RECEIPT_DUE = date(2027, 2, 4)  # 30 calendar days after the referral


async def test_onboarded_with_its_receipt_awaited_climbs_the_ladder_then_resolves(
    time_env: WorkflowEnvironment, task_queue: str
) -> None:
    province = Province(pinned("213"))
    await advance_to(time_env, REFERRED)
    liaison = province.refer(REFERRED)
    await advance_to(time_env, date(2027, 1, 20))
    receipt = f"{DeadlineKind.RECEIPT}/{liaison}"
    async with running(time_env, province, task_queue):
        await start_liaison(time_env.client, liaison, task_queue)
        handle = time_env.client.get_workflow_handle(workflow_id(str(liaison)))
        started_from_state(await idle(handle), province, liaison)
        waiting = await handle.query(LiaisonWorkflow.snapshot)
        # Onboarding loaded what came before; the dispatcher forwards what comes after.
        province.forwarded[liaison] = province.office.state_of(liaison).version
        await advance_to(time_env, RECEIPT_DUE + timedelta(days=10))
        climbed = await handle.query(LiaisonWorkflow.snapshot)
        receipt_on = RECEIPT_DUE + timedelta(days=12)
        await advance_to(time_env, receipt_on)
        province.receive(liaison, receipt_on)
        await province.forward_new(time_env.client, liaison, task_queue)
        await advance_to(time_env, receipt_on + timedelta(days=2))
        await idle(handle)
        resolved = await handle.query(LiaisonWorkflow.snapshot)

    assert waiting.next_wake == (RECEIPT_DUE - timedelta(days=3)).isoformat()  # its reminder
    assert (waiting.taken, waiting.open_escalations, waiting.runs) == ([], [], 1)
    assert climbed.taken == [f"{receipt}/{step}" for step in ("escalated", "missed", "reminder")]
    assert climbed.open_escalations == [receipt]
    assert province.steps(liaison, DeadlineKind.RECEIPT, str(liaison)) == [
        *ladder(RECEIPT_DUE),
        ("EscalationResolved", receipt_on),
    ]
    assert resolved.open_escalations == []
    state = LiaisonState.model_validate_json(resolved.state_json)
    assert state == province.office.state_of(liaison)


class RecordingSteps(LiaisonActivities):
    """The activities, keeping each `take_steps` request's rungs as (step, opens)."""

    asked: list[list[tuple[str, bool]]]

    @activity.defn(name="take_steps")
    async def take_steps(self, request: TakeStepsInput) -> TakeStepsResult:
        self.asked.append([(rung.step, rung.opens) for rung in request.rungs])
        return await super().take_steps(request)


async def test_a_run_says_which_rung_opens_its_escalation(
    time_env: WorkflowEnvironment, task_queue: str
) -> None:
    """The reminder is the first rung the run takes of the receipt's ladder: it opens the
    escalation, unlooked; the miss and the escalation find it open (`Rung.opens`)."""
    province = Province(pinned("213"))
    await advance_to(time_env, REFERRED)
    liaison = province.refer(REFERRED)
    activities = RecordingSteps(province.office, province.outbox)
    activities.asked = []
    async with Worker(
        time_env.client, task_queue=task_queue, workflows=[LiaisonWorkflow],
        activities=activities.all(),
    ):  # fmt: skip
        await start_liaison(time_env.client, liaison, task_queue)
        handle = time_env.client.get_workflow_handle(workflow_id(str(liaison)))
        await idle(handle)
        await advance_to(time_env, RECEIPT_DUE + timedelta(days=10))
        await idle(handle)

    assert activities.asked == [[("reminder", True)], [("missed", False)], [("escalated", False)]]
    assert province.steps(liaison, DeadlineKind.RECEIPT, str(liaison)) == ladder(RECEIPT_DUE)


async def test_rungs_already_in_the_store_are_not_recorded_twice(
    time_env: WorkflowEnvironment, task_queue: str
) -> None:
    """A run took the reminder and the miss, then was lost (terminated); onboarded again after
    the escalation's day, the new run knows no rung taken, takes all three, and the store holds
    each once, each notice sent once."""
    province = Province(pinned("213"))
    await advance_to(time_env, REFERRED)
    liaison = province.refer(REFERRED)
    receipt = f"{DeadlineKind.RECEIPT}/{liaison}"
    async with running(time_env, province, task_queue):
        await start_liaison(time_env.client, liaison, task_queue)
        handle = time_env.client.get_workflow_handle(workflow_id(str(liaison)))
        await advance_to(time_env, RECEIPT_DUE + timedelta(days=2))
        await idle(handle)
        assert [s for s, _ in province.steps(liaison, DeadlineKind.RECEIPT, str(liaison))] == [
            "EscalationOpened", "ReminderSent", "DeadlineMissed",
        ]  # fmt: skip
        told_before = dict(province.outbox.rows)
        await handle.terminate("lost")
        await advance_to(time_env, RECEIPT_DUE + timedelta(days=10))
        await start_liaison(time_env.client, liaison, task_queue)  # onboarded again
        again = time_env.client.get_workflow_handle(workflow_id(str(liaison)))
        history = await idle(again)
        snapshot = await again.query(LiaisonWorkflow.snapshot)

    started_from_state(history, province, liaison)
    assert snapshot.taken == [f"{receipt}/{step}" for step in ("escalated", "missed", "reminder")]
    assert snapshot.open_escalations == [receipt]
    back = RECEIPT_DUE + timedelta(days=10)  # the escalation is taken late, when it came back
    assert province.steps(liaison, DeadlineKind.RECEIPT, str(liaison)) == [
        *ladder(RECEIPT_DUE)[:3],
        ("Escalated", back),
    ]
    assert all(province.outbox.rows[i] == n for i, n in told_before.items())
    told = sorted((n.step.value, n.unit_id) for n in province.outbox.rows.values())
    assert told == [("escalated", "P"), ("escalated", "W"), ("missed", "W"), ("missed", "X"),
                    ("reminder", "X")]  # fmt: skip


async def test_a_closed_liaison_onboarded_ends_at_once(
    time_env: WorkflowEnvironment, task_queue: str
) -> None:
    province, liaison = await received(time_env, pinned("213"), RECEIVED)
    retired_on = date(2027, 3, 1)
    province.do(cmd.Close, CLERK, retired_on, liaison_id=liaison, reason=ClosingReason.RETIRED)
    await advance_to(time_env, retired_on + timedelta(days=1))
    async with running(time_env, province, task_queue):
        await start_liaison(time_env.client, liaison, task_queue)
        handle = time_env.client.get_workflow_handle_for(
            LiaisonWorkflow.run, workflow_id(str(liaison))
        )
        result = await handle.result()
        history = await handle.fetch_history()

    started_from_state(history, province, liaison)
    assert (result.closed_reason, result.version) == (
        "retired",
        province.office.state_of(liaison).version,
    )
    assert [name for name, _ in ran(history)] == ["onboard_liaison"]


async def onboarded_by(
    activities: LiaisonActivities,
    env: WorkflowEnvironment,
    queue: str,
    liaison: Any,
    until: Callable[[WorkflowHandle[Any, Any]], Awaitable[WorkflowHistory]],
) -> tuple[WorkflowHistory, LiaisonSnapshot]:
    """The liaison onboarded by a worker with these activities: its history once `until` says
    so, and its snapshot then."""
    async with Worker(
        env.client, task_queue=queue, workflows=[LiaisonWorkflow], activities=activities.all()
    ):
        await start_liaison(env.client, liaison, queue)
        handle = env.client.get_workflow_handle(workflow_id(str(liaison)))
        history = await until(handle)
        return history, await handle.query(LiaisonWorkflow.snapshot)


class OlderActivities(LiaisonActivities):
    """The activities of a worker from before the change: `onboard_liaison` ignores `from_state`
    (it does not know the field) and answers with the events. `asked` keeps the requests."""

    asked: list[OnboardInput]

    @activity.defn(name="onboard_liaison")
    async def onboard_liaison(self, request: OnboardInput) -> OnboardResult:
        self.asked.append(request)
        return await super().onboard_liaison(OnboardInput(**{**vars(request), "from_state": False}))


async def test_a_new_run_served_by_an_older_worker_starts_from_the_events(
    time_env: WorkflowEnvironment, task_queue: str
) -> None:
    """During a rolling upgrade a new run's first activity may run on an older worker: the run
    asked for the state, got the events, and starts from them (the answer decides)."""
    province, liaison = await received(time_env, pinned("213"), RECEIVED)
    await advance_to(time_env, date(2027, 3, 1))
    older = OlderActivities(province.office, province.outbox)
    older.asked = []
    history, snapshot = await onboarded_by(older, time_env, task_queue, liaison, idle)

    answered = onboarding(history)
    assert [request.from_state for request in older.asked] == [True]
    assert answered.get("state_json") is None
    assert len(answered["events"]) == province.office.state_of(liaison).version
    state = LiaisonState.model_validate_json(snapshot.state_json)
    assert state == province.office.state_of(liaison)
    assert snapshot.next_wake is not None  # it waits for its first meeting's reminder


class WorkersBeforeTakingDue(LiaisonActivities):
    """A worker from before `take_due`: its `onboard_liaison` answers with the state and takes
    no rung (it does not know the field)."""

    @activity.defn(name="onboard_liaison")
    async def onboard_liaison(self, request: OnboardInput) -> OnboardResult:
        return await super().onboard_liaison(OnboardInput(**{**vars(request), "take_due": False}))


async def test_rungs_an_older_worker_did_not_take_are_taken_in_a_second_activity(
    time_env: WorkflowEnvironment, task_queue: str
) -> None:
    """The run asked for the rungs due to be taken; an older worker took none and said so (no
    `taken`): the run takes them itself, once each, as before."""
    province, liaison = await received(time_env, pinned("213"), RECEIVED)
    await advance_to(time_env, ONBOARDED)
    older = WorkersBeforeTakingDue(province.office, province.outbox)
    history, snapshot = await onboarded_by(older, time_env, task_queue, liaison, settled)

    assert [name for name, _ in ran(history)] == ["onboard_liaison", "take_steps"]
    assert onboarding(history)["taken"] == []
    assert len(snapshot.taken) > 1
    for key in snapshot.open_escalations:
        kind, subject = key.split("/", 1)
        steps = [s for s, _ in province.steps(liaison, DeadlineKind(kind), subject)]
        assert len(steps) == len(set(steps))  # each rung once


class FailingOnce(InMemoryOutbox):
    """The province's outbox, its first write failing (its database away a moment)."""

    def __init__(self, rows: InMemoryOutbox) -> None:
        super().__init__()
        self.rows, self.failed = rows.rows, False

    async def write(self, notification: Any) -> bool:
        if not self.failed:
            self.failed = True
            raise ConnectionError("outbox unavailable")
        return await super().write(notification)


async def test_rungs_whose_notices_failed_are_told_by_take_steps(
    time_env: WorkflowEnvironment, task_queue: str
) -> None:
    """`onboard_liaison` saved the rungs and could not queue their notices: it names them
    untold, and the run asks `take_steps` for the same rungs, which tells each once."""
    province, liaison = await received(time_env, pinned("213"), RECEIVED)
    await advance_to(time_env, ONBOARDED)
    activities = LiaisonActivities(province.office, FailingOnce(province.outbox))
    history, snapshot = await onboarded_by(activities, time_env, task_queue, liaison, settled)

    assert [name for name, _ in ran(history)] == ["onboard_liaison", "take_steps"]
    assert onboarding(history)["untold"] is True
    taken = sorted(_key(rung) for rung in onboarding(history)["taken"])
    assert taken == snapshot.taken
    told = [(n.step.value, n.unit_id) for n in province.outbox.rows.values()]
    assert len(told) == len(set(told)) >= len(taken)  # each rung told, once
    for key in snapshot.open_escalations:
        kind, subject = key.split("/", 1)
        steps = [s for s, _ in province.steps(liaison, DeadlineKind(kind), subject)]
        assert len(steps) == len(set(steps))  # each rung recorded once
