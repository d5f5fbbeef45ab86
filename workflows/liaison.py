"""The liaison workflow: one per liaison, driven by its events, owning its deadlines' timers.

Versioning. A worker replays a workflow's history on its own code, and a liaison's workflow runs
for years (continuing as new at each yearly cycle), so today's code must replay every run still
open. Every change of workflow-visible behaviour goes behind `workflow.patched("<date>-<what>")`:
the commands it issues (activities, timers, continue-as-new), their order or arguments, when it
wakes, and how it handles signals, queries and updates. That includes the pure code it runs:
`workflows/process.py` and the deadlines, ladders, calendar and state evolution in `domain/`;
there the workflow asks `patched()` and passes the answer down (`domain/` cannot call Temporal).

    if workflow.patched("2027-03-01-remind-on-receipt"):
        ...  # the new path
    else:
        ...  # the old path, as it was

The old path stays until no open run can need it (no run started before the patch is still
open); then `patched` becomes `workflow.deprecate_patch` with the same id and the old path goes;
once no run started before the deprecation is open, the call goes too. After each change, record
new histories (`python -m tests.replay.record`): tests/replay replays every saved one on today's
code, and a saved history is removed only with the step that stops replaying it.

Patches in force:
- `2026-12-03-policy-overrides` (`POLICY_PATCH`): the `policy` signal — a province changed a
  deadline — makes the workflow reload its policy and recompute its due dates (before it, the
  policy changed only when a year's cycle opened).
- `CLOSING_SLIPS` (2026-12-03): a liaison closed by expulsion, removal from the rolls or death
  awaits its closing slips (`DeadlineKind.CLOSING_SLIP`) and runs their ladder before it ends;
  runs begun before it end at once, as they did.
- `ONBOARD_PATCH` (2026-12-03): a fresh run loads its liaison and opens the year's cycle where one
  is due in one activity (`onboard_liaison`), so it does not continue as new at once, and takes
  the rungs due together in one activity (`take_steps`, each rung still its own command and
  event); before it, a liaison onboarded in a new year ran `load_liaison`, `open_cycle`, a
  `take_step` per rung and a second run.
- `ONBOARD_FROM_STATE` (2026-12-04): a fresh run asks `onboard_liaison` for the liaison's state
  (`OnboardInput.from_state`) and starts from it (`LiaisonProcess.start_from`) instead of
  receiving every event of the liaison and applying them one by one in its first task (a decade
  of events made histories of 20-40 KB and tasks of seconds); runs begun before it ask for the
  events, as they did.
- `LOCAL_ACTIVITIES` (2026-12-05): a run's activities are local activities, run by the worker
  that runs its workflow task, within that task, and recorded as markers: the server no longer
  schedules, dispatches and records each one as a task of its own (in a storm of 1,000 due
  reminders the dev server spent a whole core on them, and the worker waited on it). A dead
  worker's activity is then retried with the workflow task, on another worker, once the task
  times out. Runs begun before it schedule them on the task queue, as they did.
- `ONBOARD_TAKES_DUE` (2026-12-05): a fresh run's `onboard_liaison` also takes the rungs due
  once the cycle is opened (`OnboardInput.take_due`; the same `LiaisonProcess.due` a fresh run
  works out, each rung still its own command and event) and names them (`OnboardResult.taken`):
  the run marks them taken, and asks `take_steps` only for rungs it still finds due (none, unless
  the day turned meanwhile or an older worker answered, or for the rungs it took when their
  notices could not be queued, `OnboardResult.untold`: a retry would work the rungs out anew).
  Its timeout is `ONBOARD_TIMEOUT`. Runs begun before it take the rungs in a second activity,
  as they did.
- `RUNGS_SAY_OPENS` (2026-12-06): the rungs a run asks `take_steps` for say whether the run took
  no rung of their ladder yet (`Rung.opens`), so that the activity opens their escalation
  without looking it up first; runs begun before it send them as they did (`opens` False).
- `FRESH_RUNS` (2026-12-07): a run begun with it takes the new path of every patch above without
  asking each (`_patched`). Each `patched()` call a run makes is a marker in its history and an
  upsert of the `TemporalChangeVersion` search attribute (the SDK's core adds one per patch), so
  a fresh run's first task recorded five of each beside its one activity and its timer (10 of
  the 12 events its commands wrote), each upsert a write to the server's visibility store; it
  now records one of each. Runs begun before it ask each patch, as they did. When no
  run begun before it is open, the patches above, their old paths and `_patched` go, and this
  one becomes `deprecate_patch`.
"""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from typing import TypeVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.calendar import business_date
    from domain.deadlines import Deadline
    from domain.escalation import Step
    from domain.policy import Policy
    from domain.state import LiaisonState
    from workflows.messages import (
        LiaisonEventMessage,
        LiaisonSnapshot,
        LiaisonWorkflowInput,
        LiaisonWorkflowResult,
        LoadLiaisonInput,
        LoadLiaisonResult,
        OnboardInput,
        OnboardResult,
        OpenCycleInput,
        OpenCycleResult,
        PolicyChangedMessage,
        ResolveInput,
        ResolveResult,
        Rung,
        TakeStepInput,
        TakeStepResult,
        TakeStepsInput,
        TakeStepsResult,
    )
    from workflows.process import LiaisonProcess, wake_moment

ACTIVITY_TIMEOUT = timedelta(seconds=20)  # a hung activity is retried after this
POLICY_PATCH = "2026-12-03-policy-overrides"
CLOSING_SLIPS = "2026-12-03-closing-slip-deadline"
ONBOARD_PATCH = "2026-12-03-onboard-in-one-run"
ONBOARD_FROM_STATE = "2026-12-04-onboard-from-state"
LOCAL_ACTIVITIES = "2026-12-05-local-activities"
ONBOARD_TAKES_DUE = "2026-12-05-onboard-takes-due-rungs"
RUNGS_SAY_OPENS = "2026-12-06-rungs-say-opens"
FRESH_RUNS = "2026-12-07-fresh-runs-take-every-patch"
ONBOARD_TIMEOUT = timedelta(seconds=60)  # loading, the cycle and the rungs due, with their notices
STEP_TIMEOUT = timedelta(seconds=5)  # more per rung taken in one `take_steps`
T = TypeVar("T")


@workflow.defn(name="Liaison")
class LiaisonWorkflow:
    """Giữ mối liên hệ: applies the liaison's events, fires reminders and escalations on time."""

    def __init__(self) -> None:
        self._process = LiaisonProcess()
        self._next_wake: date | None = None
        self._refused_cycles: set[int] = set()
        self._policy_stale = False
        self._local = False
        self._fresh = False

    @workflow.signal(name="event")
    def event(self, message: LiaisonEventMessage) -> None:
        """A stored event of this liaison (the dispatcher may repeat one: seen versions drop)."""
        self._process.offer(message)

    @workflow.signal(name="policy")
    def policy_changed(self, message: PolicyChangedMessage) -> None:
        """A province changed a deadline: reload the policy and recompute the due dates.

        The patch is asked here, where the signal is handled, so that a history in which an
        older worker left the signal unheard replays without waking the workflow."""
        if self._patched(POLICY_PATCH):
            self._policy_stale = True

    @workflow.query(name="snapshot")
    def snapshot(self) -> LiaisonSnapshot:
        """The state, the rungs taken and the open escalations."""
        state = self._process.state
        return LiaisonSnapshot(
            state_json=state.model_dump_json() if state else "",
            taken=sorted(self._process.taken),
            open_escalations=sorted(self._process.open_escalations),
            runs=self._process.runs,
            next_wake=self._next_wake.isoformat() if self._next_wake else None,
        )

    @workflow.run
    async def run(self, start: LiaisonWorkflowInput) -> LiaisonWorkflowResult:
        """Wait for events and due dates until the liaison is closed and awaits nothing."""
        process = self._process
        self._fresh = workflow.patched(FRESH_RUNS)
        process.closing_slips = self._patched(CLOSING_SLIPS)
        batched = self._patched(ONBOARD_PATCH)
        self._local = self._patched(LOCAL_ACTIVITIES)
        if start.carried is not None:
            process.restore(start.carried)
        elif batched:
            await self._onboard(start.liaison_id)
        else:
            loaded = await self._load(start.liaison_id, 0)
            process.policy = Policy.model_validate_json(loaded.policy_json)
            process.apply_fetched(loaded.events)
        while True:
            if self._policy_stale:
                await self._reload_policy(start.liaison_id)
            await self._catch_up(start.liaison_id)
            today = self._today()
            year, opened = process.cycle_due(today), False
            if year is not None and year not in self._refused_cycles:
                await self._open_cycle(start.liaison_id, year, today)
                await self._catch_up(start.liaison_id)
                opened = process.cycle_due(today) != year
                if not opened:  # refused (the domain said why): try again next year, not now
                    self._refused_cycles.add(year)
            due = process.due(today)
            if batched and due:
                await self._take_all(start.liaison_id, [(d, r.step) for d, r in due], today)
            else:
                for deadline, rung in due:
                    await self._take(start.liaison_id, deadline, rung.step, today)
            if process.finished:
                break
            if opened or workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                if not self._policy_stale:  # else reload first: the next run would not know
                    workflow.continue_as_new(
                        LiaisonWorkflowInput(liaison_id=start.liaison_id, carried=process.carry())
                    )
            self._next_wake = process.next_wake(today)
            timeout = None
            if self._next_wake is not None:
                timeout = max(wake_moment(self._next_wake) - workflow.now(), timedelta(seconds=1))
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: process.has_pending or self._policy_stale, timeout=timeout
                )
        state = process.state
        assert state is not None
        return LiaisonWorkflowResult(
            liaison_id=start.liaison_id,
            version=state.version,
            closed_reason=state.closed_reason.value if state.closed_reason else None,
        )

    def _today(self) -> date:
        return business_date(workflow.now())

    def _patched(self, patch: str) -> bool:
        """Whether the run takes a patch's new path: a run begun with `FRESH_RUNS` takes every
        patch before it unasked; a run begun before it asks, as it did (in the same order, so
        that its history replays)."""
        return self._fresh or workflow.patched(patch)

    async def _activity(
        self, name: str, request: object, answer: type[T], timeout: timedelta = ACTIVITY_TIMEOUT
    ) -> T:
        """Run one of the liaison's activities: within the workflow task on the worker that runs
        it (a local activity, `LOCAL_ACTIVITIES`), or, for runs begun before, scheduled on the
        task queue."""
        run = workflow.execute_local_activity if self._local else workflow.execute_activity
        answered: T = await run(name, request, result_type=answer, start_to_close_timeout=timeout)
        return answered

    async def _load(self, liaison_id: str, after: int) -> LoadLiaisonResult:
        request = LoadLiaisonInput(
            liaison_id=liaison_id, after_version=after, on=self._today().isoformat()
        )
        return await self._activity("load_liaison", request, LoadLiaisonResult)

    async def _onboard(self, liaison_id: str) -> None:
        """Load the liaison, its year's cycle opened if one was due (a refusal is remembered for
        the year, as `_open_cycle`'s is): its state, or, for runs begun before, its events. The
        answer decides, not the question: an older worker answers with the events."""
        today = self._today()
        request = LoadLiaisonInput(liaison_id=liaison_id, after_version=0, on=today.isoformat())
        timeout = ACTIVITY_TIMEOUT
        if self._patched(ONBOARD_FROM_STATE):
            takes_due = self._patched(ONBOARD_TAKES_DUE)
            request = OnboardInput(**vars(request), from_state=True, take_due=takes_due)
            timeout = ONBOARD_TIMEOUT if takes_due else ACTIVITY_TIMEOUT
        loaded = await self._activity("onboard_liaison", request, OnboardResult, timeout)
        process = self._process
        policy = Policy.model_validate_json(loaded.policy_json)
        if loaded.state_json is not None:
            process.start_from(LiaisonState.model_validate_json(loaded.state_json), policy)
        else:
            process.policy = policy
            process.apply_fetched(loaded.events)
        # Taken with the state (`take_due`); an older worker takes none.
        taken = [
            (Deadline.model_validate_json(r.deadline_json), Step(r.step)) for r in loaded.taken
        ]
        for deadline, step in taken:
            process.mark_taken(deadline, step)
        if loaded.untold:  # recorded, their notices not queued: `take_steps` queues them
            await self._take_all(liaison_id, taken, today)
        if loaded.cycle_year is not None and process.cycle_due(today) == loaded.cycle_year:
            self._refused_cycles.add(loaded.cycle_year)

    async def _reload_policy(self, liaison_id: str) -> None:
        """Take the policy in force today for the residence (with the province's overrides);
        events recorded meanwhile wait their turn in `_catch_up`."""
        self._policy_stale = False
        loaded = await self._load(liaison_id, self._process.version)
        self._process.policy = Policy.model_validate_json(loaded.policy_json)
        for message in loaded.events:
            self._process.offer(message)

    async def _catch_up(self, liaison_id: str) -> None:
        """Apply pending events in order, fetch any gap, then close what they resolved."""
        process = self._process
        applied = process.apply_ready()
        if process.has_gap:
            applied += process.apply_fetched((await self._load(liaison_id, process.version)).events)
            if process.has_gap:  # not in the store (yet): a later event's gap fetch reads them
                workflow.logger.warning("Dropping unordered events of liaison %s", liaison_id)
                process.pending.clear()
        if not applied:
            return
        last = applied[-1]
        for kind, subject in process.to_resolve():
            resolution = (
                f"{type(last).__name__} v{last.originator_version} "
                f"effective {last.effective_date.isoformat()}"
            )
            request = ResolveInput(
                liaison_id=liaison_id,
                kind=kind,
                subject=subject,
                resolution=resolution,
                liaison_version=process.version,
                on=self._today().isoformat(),
            )
            await self._activity("resolve_escalation", request, ResolveResult)
            process.mark_resolved(kind, subject)

    async def _open_cycle(self, liaison_id: str, year: int, today: date) -> None:
        version = self._process.version
        request = OpenCycleInput(
            liaison_id=liaison_id, year=year, on=today.isoformat(), after_version=version
        )
        result = await self._activity("open_cycle", request, OpenCycleResult)
        self._process.policy = Policy.model_validate_json(result.policy_json)
        self._process.apply_fetched(result.events)

    async def _take(self, liaison_id: str, deadline: Deadline, step: Step, today: date) -> None:
        request = TakeStepInput(
            liaison_id=liaison_id,
            deadline_json=deadline.model_dump_json(),
            step=step.value,
            on=today.isoformat(),
        )
        await self._activity("take_step", request, TakeStepResult)
        self._process.mark_taken(deadline, step)

    async def _take_all(
        self, liaison_id: str, rungs: list[tuple[Deadline, Step]], today: date
    ) -> None:
        """Take the rungs due together in one activity, in order (each its own command)."""
        says = self._patched(RUNGS_SAY_OPENS)
        request = TakeStepsInput(
            liaison_id=liaison_id,
            rungs=[
                Rung(
                    deadline_json=d.model_dump_json(),
                    step=s.value,
                    opens=says and not self._process.opened(d),
                )
                for d, s in rungs
            ],
            on=today.isoformat(),
        )
        timeout = ACTIVITY_TIMEOUT + STEP_TIMEOUT * len(rungs)
        await self._activity("take_steps", request, TakeStepsResult, timeout)
        for deadline, step in rungs:
            self._process.mark_taken(deadline, step)
