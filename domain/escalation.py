"""Escalations: the ladder of one missed deadline (reminder, missed, escalated, resolved).

One `Escalation` aggregate per (liaison, deadline kind, subject), its id derived with uuid5, and
every step's command id derived from that id, so a retried step can never be recorded twice.
The ladder: a reminder to the unit that must act `reminder_lead_days` before the due date (not
before the deadline opens); the deadline is recorded missed the day after it falls due; the
superior committee (the parent unit) is told `escalation_grace_days` after the due date, which puts
the liaison on the board's list of open escalations until the awaited event arrives.

A registered member not yet referred has no liaison: the ladder of their referral deadline
(`DeadlineKind.REFERRAL`, whose subject is the member's id) is keyed by the member, whose id
stands in the `liaison_id` fields (`watches_member`, `referral_escalation_id`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import BaseAggregate
from pydantic import BaseModel, ConfigDict

from domain import commands as cmd
from domain.deadlines import Deadline, DeadlineKind
from domain.errors import WrongState
from domain.events import Creation, Recorded
from domain.policy import Deadlines
from domain.roles import Actor, Role
from domain.stamp import Stamp

ESCALATION_NAMESPACE = UUID("6f1c2d0e-8a47-4b5e-9c3d-1e2f3a4b5c6d")
SYSTEM_ACTOR_ID = "liaison-workflow"


class Step(StrEnum):
    """A rung of the escalation ladder."""

    REMINDER = "reminder"
    MISSED = "missed"
    ESCALATED = "escalated"


class ScheduledStep(BaseModel):
    """A rung and the business date it is due to be taken."""

    model_config = ConfigDict(frozen=True)

    step: Step
    on: date


class Notice(BaseModel):
    """One notice to a unit about one step of one deadline of one liaison (or, for a late
    referral, of one member, whose id stands in `liaison_id`), as the outbox keeps it."""

    model_config = ConfigDict(frozen=True)

    id: UUID
    liaison_id: UUID
    step: Step
    deadline_kind: str
    subject: str
    unit_id: str
    due_on: date
    effective_date: date
    title: str
    """The title's message id (its parameters are `params`)."""
    body: str
    """The body's message id (its parameters are `params`)."""
    params: dict[str, Any] = {}
    """The parameters of title and body, as JSON (`domain.messages.encode`)."""
    sent_at: datetime | None = None


def escalation_id(liaison_id: UUID, kind: DeadlineKind, subject: str) -> UUID:
    """The id of the escalation of one deadline of one liaison (the same on every retry)."""
    return uuid5(ESCALATION_NAMESPACE, f"{liaison_id}/{kind.value}/{subject}")


def referral_escalation_id(member_id: UUID) -> UUID:
    """The id of the escalation of a member's late referral (keyed by the member)."""
    return escalation_id(member_id, DeadlineKind.REFERRAL, str(member_id))


def watches_member(kind: DeadlineKind) -> bool:
    """True for a deadline kind whose ladder is keyed by the member, not by a liaison."""
    return kind is DeadlineKind.REFERRAL


def step_command_id(escalation: UUID, step: str) -> UUID:
    """The command id of one step of an escalation: a retry is a duplicate, recorded once."""
    return uuid5(escalation, step)


def system_actor(province_id: str) -> Actor:
    """The workflow acting for a province (a supervisor's scope, recorded as the system)."""
    return Actor(id=SYSTEM_ACTOR_ID, role=Role.SUPERVISOR, unit_id=province_id)


def ladder(deadline: Deadline, rules: Deadlines) -> list[ScheduledStep]:
    """When each rung of a deadline's ladder is due, in order."""
    reminder = max(deadline.opens_on, deadline.due_on - timedelta(days=rules.reminder_lead_days))
    missed = deadline.due_on + timedelta(days=1)
    escalated = max(missed, deadline.due_on + timedelta(days=rules.escalation_grace_days))
    return [
        ScheduledStep(step=Step.REMINDER, on=reminder),
        ScheduledStep(step=Step.MISSED, on=missed),
        ScheduledStep(step=Step.ESCALATED, on=escalated),
    ]


class TakeStep(cmd.Command):
    """Record one rung of the ladder of a liaison's deadline."""

    liaison_id: UUID
    deadline: Deadline
    step: Step


class ResolveEscalation(cmd.Command):
    """Close the escalation of a deadline: the awaited event arrived, or it no longer applies."""

    liaison_id: UUID
    kind: DeadlineKind
    subject: str
    resolution: str
    liaison_version: int


class SettleEscalation(cmd.Command):
    """A superior board closes an open escalation of its subtree, saying how (giải quyết)."""

    escalation_id: UUID
    comment: cmd.Text


class EscalationOpened(Recorded, Creation):
    """A deadline of a liaison needed its first step: the ladder began."""

    liaison_id: UUID
    kind: DeadlineKind
    subject: str
    due_on: date
    unit_id: str
    awaited: str

    def apply(self, aggregate: Any) -> None:
        aggregate.liaison_id, aggregate.kind, aggregate.subject = (
            self.liaison_id,
            self.kind,
            self.subject,
        )
        aggregate.due_on, aggregate.unit_id, aggregate.awaited = (
            self.due_on,
            self.unit_id,
            self.awaited,
        )
        aggregate.steps, aggregate.superior_unit_id, aggregate.resolved_on = (), None, None


class StepTaken(Recorded):
    """A rung of the ladder (base of the three step events)."""

    due_on: date
    unit_id: str

    def apply(self, aggregate: Any) -> None:
        aggregate.steps = (*aggregate.steps, type(self).__name__)


class ReminderSent(StepTaken):
    """Nhắc nhở: the unit that must act was reminded of the coming due date."""


class DeadlineMissed(StepTaken):
    """Quá hạn: the due date passed without the awaited event."""


class Escalated(StepTaken):
    """Báo cáo cấp trên: the superior committee was told; the board lists it until resolved."""

    superior_unit_id: str

    def apply(self, aggregate: Any) -> None:
        super().apply(aggregate)
        aggregate.superior_unit_id = self.superior_unit_id


class EscalationResolved(Recorded):
    """The awaited event arrived (or the deadline no longer applies); the escalation is closed."""

    resolution: str
    liaison_version: int

    def apply(self, aggregate: Any) -> None:
        aggregate.resolved_on = self.effective_date


STEP_EVENTS: dict[Step, type[StepTaken]] = {
    Step.REMINDER: ReminderSent,
    Step.MISSED: DeadlineMissed,
    Step.ESCALATED: Escalated,
}


class Escalation(BaseAggregate[UUID]):
    """The ladder of one deadline of one liaison, from its first step until it is resolved."""

    liaison_id: UUID
    kind: DeadlineKind
    subject: str
    due_on: date
    unit_id: str
    awaited: str
    steps: tuple[str, ...]
    superior_unit_id: str | None
    resolved_on: date | None

    def __init__(self) -> None:
        """State comes from the events (see their `apply`)."""

    @classmethod
    def open(cls, stamp: Stamp, liaison_id: UUID, deadline: Deadline) -> Escalation:
        """Begin the ladder of a deadline."""
        return cls._create(
            EscalationOpened,
            id=escalation_id(liaison_id, deadline.kind, deadline.subject),
            liaison_id=liaison_id,
            kind=deadline.kind,
            subject=deadline.subject,
            due_on=deadline.due_on,
            unit_id=deadline.unit_id,
            awaited=deadline.awaited.value,
            **stamp.fields(),
        )

    @property
    def is_open(self) -> bool:
        """True until resolved."""
        return self.resolved_on is None

    def take(self, stamp: Stamp, step: Step, deadline: Deadline, superior: str | None) -> None:
        """Record a rung; a resolved escalation takes no more steps."""
        if self.resolved_on is not None:
            raise WrongState(
                "The escalation of “{deadline}” was resolved on {day}.",
                deadline=self.kind,
                day=self.resolved_on,
            )
        extra = {"superior_unit_id": superior or deadline.unit_id} if step is Step.ESCALATED else {}
        self.trigger_event(
            STEP_EVENTS[step],
            due_on=deadline.due_on,
            unit_id=deadline.unit_id,
            **extra,
            **stamp.fields(),
        )

    def resolve(self, stamp: Stamp, resolution: str, liaison_version: int) -> None:
        """Close the escalation."""
        if not self.is_open:
            raise WrongState("The escalation is already resolved.")
        self.trigger_event(
            EscalationResolved,
            resolution=resolution,
            liaison_version=liaison_version,
            **stamp.fields(),
        )
