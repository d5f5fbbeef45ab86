"""Activities: thin adapters from the liaison workflow to the domain application and the outbox.

Each records through the office with a command id derived from what it does, so a retry after a
crash finds the receipt and records nothing twice; a domain refusal is returned, not retried.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from contextlib import AbstractContextManager
from datetime import date
from typing import Generic, NamedTuple, Protocol, TypeVar
from uuid import UUID, uuid5

from temporalio import activity

from domain import commands as cmd
from domain.deadlines import Deadline, DeadlineKind
from domain.errors import Refused
from domain.escalation import (
    ResolveEscalation,
    Step,
    TakeStep,
    escalation_id,
    ladder,
    step_command_id,
)
from domain.liaison_events import LiaisonEvent, replay
from domain.organisation import OrganisationTree
from domain.policy import Deadlines, Policy
from domain.roles import Actor
from domain.state import LiaisonState
from workflows.messages import (
    LoadLiaisonInput,
    LoadLiaisonResult,
    OnboardInput,
    OnboardResult,
    OpenCycleInput,
    OpenCycleResult,
    ResolveInput,
    ResolveResult,
    Rung,
    TakeStepInput,
    TakeStepResult,
    TakeStepsInput,
    TakeStepsResult,
    to_message,
)
from workflows.outbox import Notification, Outbox
from workflows.process import LiaisonProcess, cycle_due

T = TypeVar("T")
OfficePort = TypeVar("OfficePort")


def _due(state: LiaisonState, policy: Policy, on: date) -> list[tuple[Deadline, Step]]:
    """The rungs a fresh run finds due on `on` (none taken yet), in the order it takes them.
    As a run that awaits closing slips works them out (`LiaisonProcess`'s default): every run
    that asks `take_due` began after `CLOSING_SLIPS`; a patch that changes what is due must
    send its answer in `OnboardInput`."""
    process = LiaisonProcess()
    process.start_from(state, policy)
    return [(deadline, rung.step) for deadline, rung in process.due(on)]


Then = Callable[[Callable[[UUID], LiaisonState]], Sequence[cmd.Command]]
"""More commands for a batch, worked out from a liaison's state as the batch's first left it
(asked again on the store's state when the batch is carried out one command at a time: it must
have no effect but its answer)."""


def _steps(
    liaison_id: UUID, on: date, rungs: list[tuple[Deadline, Step]], actor: Actor
) -> list[cmd.Command]:
    """A `TakeStep` command for each rung, by the system actor, its id the rung's own."""
    return [
        TakeStep(
            command_id=step_command_id(
                escalation_id(liaison_id, deadline.kind, deadline.subject), step.value
            ),
            actor=actor,
            effective_date=on,
            liaison_id=liaison_id,
            deadline=deadline,
            step=step,
        )
        for deadline, step in rungs
    ]


def _told(
    outcomes: Sequence[Recorded | Refused], rungs: list[tuple[Deadline, Step]]
) -> list[str | Refused]:
    """For each rung, the unit its step told, or the refusal."""
    return [
        o if isinstance(o, Refused) else o.unit_id or deadline.unit_id
        for o, (deadline, _) in zip(outcomes, rungs, strict=True)
    ]


def _fresh_run(_: UUID) -> bool:
    """`execute_together`'s `unopened` for a fresh run's first activity: it knows of no
    escalation opened (an import opens none; for a run onboarded again, or an activity retried
    after its save, the save fails on the ids and each rung is looked up)."""
    return True


def _opening(
    liaison_id: UUID, rungs: list[Rung], parsed: list[tuple[Deadline, Step]]
) -> Callable[[UUID], bool] | None:
    """The escalations of the rungs the run says it opens (`Rung.opens`), as `unopened`."""
    ids = frozenset(
        escalation_id(liaison_id, d.kind, d.subject)
        for rung, (d, _) in zip(rungs, parsed, strict=True)
        if rung.opens
    )
    return ids.__contains__ if ids else None


class _Telling(NamedTuple):
    """What a recorded rung's notification is made of: the liaison, the tree, the rules."""

    state: LiaisonState
    tree: OrganisationTree
    rules: Deadlines


class Recorded(Protocol):
    """What a command's outcome tells the workflow."""

    @property
    def unit_id(self) -> str | None:
        """The unit a step told (the superior's, once escalated)."""

    @property
    def resolved(self) -> bool:
        """True when an open escalation was closed."""


class Application(Protocol):
    """The port the activities record and read through (the Liaison application implements it;
    the worker, as composition root, passes it in)."""

    def execute(self, command: cmd.Command) -> Recorded: ...

    def execute_together(
        self,
        commands: Sequence[cmd.Command],
        then: Then | None = None,
        unopened: Callable[[UUID], bool] | None = None,
    ) -> Sequence[Recorded | Refused]: ...

    def history(self, liaison_id: UUID) -> list[LiaisonEvent]: ...

    def events_after(self, liaison_id: UUID, version: int) -> list[LiaisonEvent]: ...

    def state_of(self, liaison_id: UUID) -> LiaisonState: ...

    def policy(
        self, on: date, unit_id: str | None = None, *, tree: OrganisationTree | None = None
    ) -> Policy: ...

    def system_actor_for(
        self,
        liaison_id: UUID,
        on: date,
        tree: OrganisationTree | None = None,
        *,
        state: LiaisonState | None = None,
    ) -> Actor: ...

    def tree(self) -> OrganisationTree: ...

    def holding_references(self) -> AbstractContextManager[None]: ...


class Activities(Generic[OfficePort]):
    """Activities over one office (through the port `OfficePort`) and one outbox; the office's
    synchronous work runs on `threads` (the event loop's default executor when None)."""

    def __init__(self, office: OfficePort, outbox: Outbox, threads: Executor | None = None) -> None:
        self.office = office
        self.outbox = outbox
        self.threads = threads

    async def _call(self, work: Callable[[], T]) -> T:
        # The eventsourcing application is synchronous (its PostgreSQL recorder pools connections);
        # as `asyncio.to_thread` does, the activity's context (its logger, its trace) goes along.
        context = contextvars.copy_context()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.threads, functools.partial(context.run, work))

    async def _resolve(self, record: Callable[[], bool], escalation: UUID) -> ResolveResult:
        """Close an escalation (`record` says whether an open one closed); a domain refusal is
        logged and answered as nothing closed."""
        try:
            return ResolveResult(resolved=await self._call(record))
        except Refused as refusal:
            activity.logger.info("Resolving %s refused: %s", escalation, refusal.en)
            return ResolveResult(resolved=False)


class LiaisonActivities(Activities[Application]):
    """The activities of the liaison workflow, over one office and one outbox."""

    async def _call(self, work: Callable[[], T]) -> T:
        """Run the office's work, the organisation and the regulation book read once for all
        its commands and reads (`holding_references`)."""

        def holding() -> T:
            with self.office.holding_references():
                return work()

        return await super()._call(holding)

    @activity.defn(name="load_liaison")
    async def load_liaison(self, request: LoadLiaisonInput) -> LoadLiaisonResult:
        """The liaison's events after a version, and the policy in force for its residence."""

        def read() -> LoadLiaisonResult:
            liaison_id, on = UUID(request.liaison_id), date.fromisoformat(request.on)
            events = self.office.history(liaison_id)
            return self._loaded(events, replay(events), on, request.after_version)

        return await self._call(read)

    def _loaded(
        self,
        events: list[LiaisonEvent],
        state: LiaisonState,
        on: date,
        after_version: int,
        policy: Policy | None = None,
    ) -> LoadLiaisonResult:
        """The events after a version, and the policy in force on a date for the residence (as
        given, when the caller has worked it out already)."""
        policy = policy or self.office.policy(on, state.residence_commune_id)
        newer = [to_message(e) for e in events if e.originator_version > after_version]
        return LoadLiaisonResult(events=newer, policy_json=policy.model_dump_json())

    @activity.defn(name="take_step")
    async def take_step(self, request: TakeStepInput) -> TakeStepResult:
        """Record a rung of a deadline's ladder, then queue its notification to the unit told and,
        once the deadline is missed, a copy to the member's workplace committee (whose referral
        it is); a rung taken after its day says it is late."""
        liaison_id, on = UUID(request.liaison_id), date.fromisoformat(request.on)
        rung = Rung(deadline_json=request.deadline_json, step=request.step)
        return (await self._take(liaison_id, on, [rung]))[0]

    @activity.defn(name="take_steps")
    async def take_steps(self, request: TakeStepsInput) -> TakeStepsResult:
        """The rungs due on a date, in order, as `take_step` takes one: each recorded by its own
        command (its own event and receipt) by the same system actor, read once, all saved in
        one transaction (`execute_together`), and the liaison, tree and policy then read once
        for all their notifications. A liaison onboarded late has several rungs due at once."""
        liaison_id, on = UUID(request.liaison_id), date.fromisoformat(request.on)
        return TakeStepsResult(results=await self._take(liaison_id, on, request.rungs))

    def _record_steps(
        self,
        liaison_id: UUID,
        on: date,
        rungs: list[tuple[Deadline, Step]],
        known: _Telling | None = None,
        unopened: Callable[[UUID], bool] | None = None,
    ) -> tuple[list[str | Refused], _Telling | None]:
        """Record the rungs in one transaction (each its own command, event and receipt), by
        the system actor read once; for each, the unit told or the refusal, and, where one was
        recorded, what its notification needs (the liaison, tree and rules read once, or taken
        as `known` from a caller that has read them: the steps change the escalations, not the
        liaison). `unopened`: as `execute_together` takes it."""
        try:
            tree = known.tree if known else self.office.tree()
            state = known.state if known else self.office.state_of(liaison_id)
            actor = self.office.system_actor_for(liaison_id, on, tree, state=state)
        except Refused as refusal:  # no such liaison: no rung can be recorded
            return [refusal] * len(rungs), None
        outcomes = self.office.execute_together(
            _steps(liaison_id, on, rungs, actor), unopened=unopened
        )
        told = _told(outcomes, rungs)
        if all(isinstance(unit, Refused) for unit in told):
            return told, None
        if known is not None:
            return told, known
        policy = self.office.policy(on, state.residence_commune_id, tree=tree)
        return told, _Telling(state, tree, policy.deadlines)

    async def _take(self, liaison_id: UUID, on: date, rungs: list[Rung]) -> list[TakeStepResult]:
        """Record the rungs, then queue the notifications of those recorded. The tree is read
        once for the actor and the notifications (every read of it waits its turn: a storm's
        activities queued on it)."""
        parsed = [(Deadline.model_validate_json(r.deadline_json), Step(r.step)) for r in rungs]
        units, telling = await self._call(
            functools.partial(
                self._record_steps,
                liaison_id,
                on,
                parsed,
                unopened=_opening(liaison_id, rungs, parsed),
            )
        )
        return await self._tell(liaison_id, on, parsed, units, telling)

    async def _tell(
        self,
        liaison_id: UUID,
        on: date,
        parsed: list[tuple[Deadline, Step]],
        units: list[str | Refused],
        telling: _Telling | None,
    ) -> list[TakeStepResult]:
        """Each rung's result, its refusal logged; the notifications of those recorded queued."""
        results: list[TakeStepResult] = []
        for (deadline, step), unit in zip(parsed, units, strict=True):
            if isinstance(unit, Refused):
                escalation = escalation_id(liaison_id, deadline.kind, deadline.subject)
                activity.logger.info("Step %s of %s refused: %s", step, escalation, unit.en)
                results.append(TakeStepResult(recorded=False, refusal=unit.code))
                continue
            results.append(TakeStepResult(recorded=True, unit_id=unit))
            if telling is not None:
                await self._notify(telling, liaison_id, deadline, step, on, unit)
        return results

    async def _notify(
        self,
        telling: _Telling,
        liaison_id: UUID,
        deadline: Deadline,
        step: Step,
        on: date,
        unit_id: str,
    ) -> None:
        """Queue a recorded rung's notification (and the workplace's copy once missed)."""
        state, tree, rules = telling
        escalation = escalation_id(liaison_id, deadline.kind, deadline.subject)
        doer = tree.unit(deadline.unit_id).name if deadline.unit_id in tree else None
        scheduled = next(rung.on for rung in ladder(deadline, rules) if rung.step is step)
        notice = Notification.of_step(
            uuid5(escalation, f"notify:{step.value}"),
            state, deadline, step, unit_id, on, doer, scheduled,
        )  # fmt: skip
        await self.outbox.write(notice)
        workplace = state.workplace_unit_id
        if step is not Step.REMINDER and workplace not in (unit_id, deadline.unit_id):
            copy = notice.copy_to(uuid5(escalation, f"notify:{step.value}:workplace"), workplace)
            await self.outbox.write(copy)

    @activity.defn(name="resolve_escalation")
    async def resolve_escalation(self, request: ResolveInput) -> ResolveResult:
        """Close an open escalation because the awaited event arrived (or no longer applies)."""
        liaison_id, on = UUID(request.liaison_id), date.fromisoformat(request.on)
        escalation = escalation_id(liaison_id, DeadlineKind(request.kind), request.subject)

        def record() -> bool:
            return self.office.execute(
                ResolveEscalation(
                    command_id=step_command_id(escalation, "resolved"),
                    actor=self.office.system_actor_for(liaison_id, on),
                    effective_date=on,
                    liaison_id=liaison_id,
                    kind=DeadlineKind(request.kind),
                    subject=request.subject,
                    resolution=request.resolution,
                    liaison_version=request.liaison_version,
                )
            ).resolved

        return await self._resolve(record, escalation)

    def _open(
        self, liaison_id: UUID, year: int, on: date, actor: Actor | None = None
    ) -> str | None:
        """Open the year's annual cycle (as `actor`, when the caller knows it); the domain's
        refusal code, if it refused. Carried out as a batch of one (`execute_together`): its
        receipt is not looked up first, a retry fails on its id and then answers as before."""
        return self._open_then(liaison_id, year, on, actor)[0]

    def _open_then(
        self,
        liaison_id: UUID,
        year: int,
        on: date,
        actor: Actor | None,
        then: Then | None = None,
        unopened: Callable[[UUID], bool] | None = None,
    ) -> tuple[str | None, Sequence[Recorded | Refused]]:
        """`_open`, and the outcomes of the commands `then` works out from the state the cycle
        left (or, refused, the state before), saved with it (`unopened`: as
        `execute_together` takes it)."""
        try:
            opening = cmd.OpenCycle(
                command_id=uuid5(liaison_id, f"open-cycle:{year}"),
                actor=actor or self.office.system_actor_for(liaison_id, on),
                effective_date=on,
                liaison_id=liaison_id,
                year=year,
            )
        except Refused as refusal:  # the actor: no such liaison
            return refusal.code, []
        outcome, *following = self.office.execute_together([opening], then, unopened)
        return (outcome.code if isinstance(outcome, Refused) else None), following

    @activity.defn(name="open_cycle")
    async def open_cycle(self, request: OpenCycleInput) -> OpenCycleResult:
        """Open the year's annual cycle; return the events since and the year's policy."""
        liaison_id, on = UUID(request.liaison_id), date.fromisoformat(request.on)
        refusal = await self._call(functools.partial(self._open, liaison_id, request.year, on))
        loaded = await self.load_liaison(
            LoadLiaisonInput(
                liaison_id=request.liaison_id, after_version=request.after_version, on=request.on
            )
        )
        return OpenCycleResult(**vars(loaded), refusal=refusal)

    @activity.defn(name="onboard_liaison")
    async def onboard_liaison(self, request: OnboardInput) -> OnboardResult:
        """A fresh run's first activity: the liaison's state (`from_state`) or its events (as
        `load_liaison` answers, for runs begun before), and its policy, after opening the annual
        cycle of the year of `on` where the liaison awaits one (`cycle_due`, as the workflow
        decides it), so that a liaison started in a new year loads and opens its cycle in one
        activity. The state, not a decade of events, keeps the run's history short and its
        first task cheap. With `take_due` (and the state), the rungs then due (`LiaisonProcess
        .due`, as the workflow works them out for a fresh run) are taken as `take_steps` takes
        them, in the same activity, and named in `taken`: the run marks them taken rather than
        asking for them in a second activity."""
        liaison_id, on = UUID(request.liaison_id), date.fromisoformat(request.on)
        due: list[tuple[Deadline, Step]] = []

        def read() -> tuple[OnboardResult, list[str | Refused], _Telling | None]:
            if request.from_state:  # the aggregate, as the cycle's command then finds it cached
                events, state = [], self.office.state_of(liaison_id)
            else:
                events = self.office.history(liaison_id)
                state = replay(events)
            tree = self.office.tree()  # once, for the actor and the policy
            # The residence, and so the policy, is the same before and after the cycle opens.
            policy = self.office.policy(on, state.residence_commune_id, tree=tree)
            year, refusal = cycle_due(state, on), None
            take_due = request.from_state and request.take_due
            told: list[str | Refused] = []
            if year is not None:
                actor = self.office.system_actor_for(liaison_id, on, tree, state=state)
                opened: list[LiaisonState] = []

                def rungs_due(decided: Callable[[UUID], LiaisonState]) -> list[cmd.Command]:
                    opened[:] = [decided(liaison_id)]  # as the cycle left it (saved with them)
                    due[:] = _due(opened[0], policy, on)
                    return _steps(liaison_id, on, due, actor)

                then = rungs_due if take_due else None
                refusal, outcomes = self._open_then(liaison_id, year, on, actor, then, _fresh_run)
                told = _told(outcomes, due)
                if opened:  # the state the rungs were worked out on, saved with them
                    state = opened[0]
                elif refusal is None:  # the events the cycle added, not the history again
                    added = self.office.events_after(liaison_id, state.version)
                    events = [*events, *added]
                    for event in added:
                        state = event.evolve(state)
            if not request.from_state:
                loaded = self._loaded(events, state, on, request.after_version, policy)
                return OnboardResult(**vars(loaded), cycle_year=year, refusal=refusal), [], None
            known = _Telling(state, tree, policy.deadlines)
            if year is None and take_due:
                due[:] = _due(state, policy, on)
                if due:
                    told, _ = self._record_steps(liaison_id, on, due, known, _fresh_run)
            answer = OnboardResult(
                events=[],
                policy_json=policy.model_dump_json(),
                cycle_year=year,
                refusal=refusal,
                state_json=state.model_dump_json(),
                taken=[Rung(deadline_json=d.model_dump_json(), step=s.value) for d, s in due],
            )
            recorded = any(not isinstance(unit, Refused) for unit in told)
            return answer, told, known if recorded else None

        answer, told, telling = await self._call(read)
        if due:
            try:
                await self._tell(liaison_id, on, due, told, telling)
            except Exception:  # the rungs are saved: a retry would decide them again, anew
                activity.logger.warning(
                    "Notices of liaison %s's rungs not queued: left to take_steps", liaison_id,
                    exc_info=True,
                )  # fmt: skip
                answer.untold = True
        return answer

    def all(self) -> list[Callable[..., object]]:
        """Every activity, for the worker."""
        return [
            self.load_liaison,
            self.onboard_liaison,
            self.take_step,
            self.take_steps,
            self.resolve_escalation,
            self.open_cycle,
        ]
