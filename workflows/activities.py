"""Activities: thin adapters from the liaison workflow to the domain application and the outbox.

Each records through the office with a command id derived from what it does, so a retry after a
crash finds the receipt and records nothing twice; a domain refusal is returned, not retried.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from typing import Generic, Protocol, TypeVar
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
from domain.policy import Policy
from domain.roles import Actor
from domain.state import LiaisonState
from workflows.messages import (
    LoadLiaisonInput,
    LoadLiaisonResult,
    OpenCycleInput,
    OpenCycleResult,
    ResolveInput,
    ResolveResult,
    TakeStepInput,
    TakeStepResult,
    to_message,
)
from workflows.outbox import Notification, Outbox

T = TypeVar("T")
OfficePort = TypeVar("OfficePort")


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

    def history(self, liaison_id: UUID) -> list[LiaisonEvent]: ...

    def state_of(self, liaison_id: UUID) -> LiaisonState: ...

    def policy(self, on: date, unit_id: str | None = None) -> Policy: ...

    def system_actor_for(self, liaison_id: UUID, on: date) -> Actor: ...

    def tree(self) -> OrganisationTree: ...


class Activities(Generic[OfficePort]):
    """Activities over one office (through the port `OfficePort`) and one outbox."""

    def __init__(self, office: OfficePort, outbox: Outbox) -> None:
        self.office = office
        self.outbox = outbox

    async def _call(self, work: Callable[[], T]) -> T:
        # The eventsourcing application is synchronous (its PostgreSQL recorder pools connections).
        return await asyncio.to_thread(work)

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

    @activity.defn(name="load_liaison")
    async def load_liaison(self, request: LoadLiaisonInput) -> LoadLiaisonResult:
        """The liaison's events after a version, and the policy in force for its residence."""

        def read() -> LoadLiaisonResult:
            liaison_id, on = UUID(request.liaison_id), date.fromisoformat(request.on)
            events = self.office.history(liaison_id)
            state = replay(events)
            policy = self.office.policy(on, state.residence_commune_id)
            newer = [to_message(e) for e in events if e.originator_version > request.after_version]
            return LoadLiaisonResult(events=newer, policy_json=policy.model_dump_json())

        return await self._call(read)

    @activity.defn(name="take_step")
    async def take_step(self, request: TakeStepInput) -> TakeStepResult:
        """Record a rung of a deadline's ladder, then queue its notification to the unit told and,
        once the deadline is missed, a copy to the member's workplace committee (whose referral
        it is); a rung taken after its day says it is late."""
        liaison_id, on = UUID(request.liaison_id), date.fromisoformat(request.on)
        deadline = Deadline.model_validate_json(request.deadline_json)
        step = Step(request.step)
        escalation = escalation_id(liaison_id, deadline.kind, deadline.subject)

        def record() -> str:
            return (
                self.office.execute(
                    TakeStep(
                        command_id=step_command_id(escalation, step.value),
                        actor=self.office.system_actor_for(liaison_id, on),
                        effective_date=on,
                        liaison_id=liaison_id,
                        deadline=deadline,
                        step=step,
                    )
                ).unit_id
                or deadline.unit_id
            )

        try:
            unit_id = await self._call(record)
        except Refused as refusal:
            activity.logger.info("Step %s of %s refused: %s", step, escalation, refusal.en)
            return TakeStepResult(recorded=False, refusal=refusal.code)
        state = await self._call(lambda: self.office.state_of(liaison_id))
        tree = await self._call(self.office.tree)
        doer = tree.unit(deadline.unit_id).name if deadline.unit_id in tree else None
        rules = (
            await self._call(lambda: self.office.policy(on, state.residence_commune_id))
        ).deadlines
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
        return TakeStepResult(recorded=True, unit_id=unit_id)

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

    @activity.defn(name="open_cycle")
    async def open_cycle(self, request: OpenCycleInput) -> OpenCycleResult:
        """Open the year's annual cycle; return the events since and the year's policy."""
        liaison_id, on = UUID(request.liaison_id), date.fromisoformat(request.on)

        def record() -> str | None:
            try:
                self.office.execute(
                    cmd.OpenCycle(
                        command_id=uuid5(liaison_id, f"open-cycle:{request.year}"),
                        actor=self.office.system_actor_for(liaison_id, on),
                        effective_date=on,
                        liaison_id=liaison_id,
                        year=request.year,
                    )
                )
            except Refused as refusal:
                return refusal.code
            return None

        refusal = await self._call(record)
        loaded = await self.load_liaison(
            LoadLiaisonInput(
                liaison_id=request.liaison_id, after_version=request.after_version, on=request.on
            )
        )
        return OpenCycleResult(
            events=loaded.events, policy_json=loaded.policy_json, refusal=refusal
        )

    def all(self) -> list[Callable[..., object]]:
        """Every activity, for the worker."""
        return [self.load_liaison, self.take_step, self.resolve_escalation, self.open_cycle]
