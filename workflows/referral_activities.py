"""Activities of the late-referral workflow: thin adapters to the domain application and outbox.

As the liaison's (`workflows.activities`): each records with a command id derived from the
member's referral escalation and the step, and each notice's id likewise, so a retry records
nothing twice; a domain refusal is returned, not retried.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Protocol
from uuid import UUID, uuid5

from temporalio import activity

from domain import commands as cmd
from domain.deadlines import Deadline, DeadlineKind
from domain.errors import Refused, UnknownUnit
from domain.escalation import (
    ResolveEscalation,
    Step,
    TakeStep,
    ladder,
    referral_escalation_id,
    step_command_id,
    system_actor,
)
from domain.member import Member
from domain.organisation import OrganisationTree
from domain.policy import Policy
from domain.roles import Actor
from workflows.activities import Activities, Recorded
from workflows.messages import ResolveResult, TakeStepResult
from workflows.outbox import Notification
from workflows.referral import (
    ReferralStepInput,
    ResolveReferralInput,
    WatchReferralInput,
    WatchReferralResult,
)


class MemberOffice(Protocol):
    """The port these activities record and read through (the Liaison application)."""

    def execute(self, command: cmd.Command) -> Recorded: ...

    def member_aggregate(self, member_id: UUID) -> Member: ...

    def policy(self, on: date, unit_id: str | None = None) -> Policy: ...

    def tree(self) -> OrganisationTree: ...


class ReferralActivities(Activities[MemberOffice]):
    """The activities of the late-referral workflow, over one office and one outbox."""

    def _actor(self, member: Member, on: date) -> Actor:
        """The workflow acting in the province of the member's workplace."""
        return system_actor(self.office.tree().province_of(member.workplace_unit_id, on).id)

    @activity.defn(name="watch_referral")
    async def watch_referral(self, request: WatchReferralInput) -> WatchReferralResult:
        """The member's referral deadline under the policy in force for their workplace, and
        its ladder; none once they were referred or exempted from introduction."""

        def read() -> WatchReferralResult:
            member = self.office.member_aggregate(UUID(request.member_id))
            on, version = date.fromisoformat(request.on), member.version
            try:
                policy = self.office.policy(on, member.workplace_unit_id)
            except UnknownUnit:  # the workplace ended with no successor: nobody left to remind
                activity.logger.warning(
                    "Workplace %s of member %s is not in force on %s; referral no longer watched",
                    member.workplace_unit_id, member.id, on,
                )  # fmt: skip
                gone = f"Member v{version}: workplace not in force"
                return WatchReferralResult(None, resolution=gone, member_version=version)
            deadline = member.referral_due(policy)
            if deadline is None:
                how = "referred" if member.liaison_ids else "exempt from introduction"
                done = f"Member v{version}: {how}"
                return WatchReferralResult(None, resolution=done, member_version=version)
            rungs = ladder(deadline, policy.deadlines)
            return WatchReferralResult(
                deadline.model_dump_json(),
                steps=[r.step.value for r in rungs],
                days=[r.on.isoformat() for r in rungs],
                member_version=member.version,
            )

        return await self._call(read)

    @activity.defn(name="take_referral_step")
    async def take_referral_step(self, request: ReferralStepInput) -> TakeStepResult:
        """Record a rung of the member's referral ladder (refused once they were referred or
        exempted), then queue its notice to the unit told: the workplace, or its superior."""
        member_id, on = UUID(request.member_id), date.fromisoformat(request.on)
        deadline = Deadline.model_validate_json(request.deadline_json)
        step = Step(request.step)
        escalation = referral_escalation_id(member_id)

        def record() -> tuple[str, Member]:
            member = self.office.member_aggregate(member_id)
            outcome = self.office.execute(
                TakeStep(
                    command_id=step_command_id(escalation, step.value),
                    actor=self._actor(member, on),
                    effective_date=on,
                    liaison_id=member_id,
                    deadline=deadline,
                    step=step,
                )
            )
            return outcome.unit_id or deadline.unit_id, member

        try:
            unit_id, member = await self._call(record)
        except Refused as refusal:
            activity.logger.info("Step %s of %s refused: %s", step, escalation, refusal.en)
            return TakeStepResult(recorded=False, refusal=refusal.code)
        tree = await self._call(self.office.tree)
        doer = tree.unit(deadline.unit_id).name if deadline.unit_id in tree else None
        notice = Notification.of_step(
            uuid5(escalation, f"notify:{step.value}"), (member_id, member.name),
            deadline, step, unit_id, on, doer, date.fromisoformat(request.scheduled),
        )  # fmt: skip
        await self.outbox.write(notice)
        return TakeStepResult(recorded=True, unit_id=unit_id)

    @activity.defn(name="resolve_referral")
    async def resolve_referral(self, request: ResolveReferralInput) -> ResolveResult:
        """Close the member's open referral escalation: they were referred or exempted."""
        member_id, on = UUID(request.member_id), date.fromisoformat(request.on)
        escalation = referral_escalation_id(member_id)

        def record() -> bool:
            member = self.office.member_aggregate(member_id)
            return self.office.execute(
                ResolveEscalation(
                    command_id=step_command_id(escalation, "resolved"),
                    actor=self._actor(member, on),
                    effective_date=on,
                    liaison_id=member_id,
                    kind=DeadlineKind.REFERRAL,
                    subject=str(member_id),
                    resolution=request.resolution,
                    liaison_version=request.member_version,
                )
            ).resolved

        return await self._resolve(record, escalation)

    def all(self) -> list[Callable[..., object]]:
        """Every activity, for the worker."""
        return [self.watch_referral, self.take_referral_step, self.resolve_referral]
