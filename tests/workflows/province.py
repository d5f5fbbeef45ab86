"""A small province in an in-memory office for workflow tests, with the policy pinned.

P  provincial committee ── X commune ── C1 residence cell
                       └── W workplace committee
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import Tracking
from eventsourcing.popo import POPOTrackingRecorder
from eventsourcing.utils import get_topic
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from application.office import LiaisonOffice
from application.outcome import Outcome
from domain import commands as cmd
from domain.deadlines import DeadlineKind
from domain.escalation import Escalation, escalation_id
from domain.meeting import AttendanceEntry
from domain.organisation import OrganisationTree, Unit, UnitKind
from domain.policy import REGULATION_76, REGULATION_213, DayCount, Policy, with_overrides
from domain.registry import RegulationBook
from domain.roles import Actor, Role
from domain.state import Attendance
from workflows.activities import LiaisonActivities
from workflows.dispatcher import POLICY_EVENTS, LiaisonDispatch, forward, policy_bridge
from workflows.liaison import LiaisonWorkflow
from workflows.outbox import InMemoryOutbox
from workflows.process import wake_moment

FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)
ADMIN = Actor(id="admin", role=Role.ADMINISTRATOR, unit_id="P")
CLERK = Actor(id="clerk", role=Role.WORKPLACE_CLERK, unit_id="W")
COMMUNE = Actor(id="commune", role=Role.COMMUNE_CLERK, unit_id="X")
SECRETARY = Actor(id="secretary", role=Role.CELL_SECRETARY, unit_id="C1")


def pinned(regulation: str, counting: DayCount = DayCount.CALENDAR) -> Policy:
    """Regulation 76 or 213 with its default deadlines, counted in calendar or working days."""
    base = REGULATION_76 if regulation == "76" else REGULATION_213
    return base.model_copy(
        update={"deadlines": base.deadlines.model_copy(update={"counting": counting})}
    )


class PinnedOffice(LiaisonOffice):
    """The office with one regulation whatever the date (the test server cannot go back to
    2019), and the province's recorded changes of its deadlines."""

    pinned_policy: Policy = REGULATION_213

    def policy(
        self,
        on: date,
        unit_id: str | None = None,
        *,
        province_on: date | None = None,
        tree: OrganisationTree | None = None,
        book: RegulationBook | None = None,
    ) -> Policy:
        if unit_id is None:
            return self.pinned_policy
        province = (tree or self.tree()).province_of(unit_id, province_on or on).id
        overrides = (book or self.regulation_book()).for_province(province)
        return with_overrides(self.pinned_policy, on, overrides)


@dataclass
class Province:
    """The office, the outbox and helpers that record commands and forward their events."""

    policy: Policy
    office: PinnedOffice = field(init=False)
    outbox: InMemoryOutbox = field(default_factory=InMemoryOutbox)
    forwarded: dict[UUID, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.office = PinnedOffice(env={}, clock=lambda: FAR_FUTURE)
        self.office.pinned_policy = self.policy
        establish_units(self.office)

    def refer(self, on: date, card: str = "12345678") -> UUID:
        return refer(self.office, on, card)

    def receive(self, liaison_id: UUID, on: date) -> None:
        self.office.execute(
            cmd.ReceiveAtCommune(**k(COMMUNE, on), liaison_id=liaison_id, cell_id="C1")
        )
        self.office.execute(cmd.ReceiveAtCell(**k(SECRETARY, on), liaison_id=liaison_id))

    def meet(self, liaison_id: UUID, on: date) -> None:
        entry = AttendanceEntry(liaison_id=liaison_id, attendance=Attendance.PRESENT)
        self.office.execute(
            cmd.RecordMeeting(**k(SECRETARY, on), cell_id="C1", attendance=(entry,))
        )

    def do(self, model: type[cmd.Command], actor: Actor, on: date, **fields: Any) -> Outcome:
        """Issue a command of that model as the actor, on that date."""
        return self.office.execute(model(**k(actor, on), **fields))

    async def forward_new(self, client: Client, liaison_id: UUID, task_queue: str) -> None:
        """Forward the liaison's events not yet forwarded, as the dispatcher would."""
        for event in self.office.history(liaison_id):
            if event.originator_version > self.forwarded.get(liaison_id, 0):
                await forward(client, event, task_queue)
                self.forwarded[liaison_id] = event.originator_version

    async def tell_policy(self, client: Client) -> None:
        """Send the province's last change of a deadline to its liaisons, as the dispatcher does
        (its projection, in the runner's thread, bridged to this loop)."""
        *_, notification = self.office.recorder.select_notifications(
            start=1, limit=1000, topics=[get_topic(cls) for cls in POLICY_EVENTS]
        )
        event = self.office.mapper.to_domain_event(notification)
        assert isinstance(event, POLICY_EVENTS), event
        tell = policy_bridge(client, self.office, asyncio.get_running_loop(), lambda: False)
        dispatch = LiaisonDispatch(POPOTrackingRecorder(), lambda e: None, tell=tell)
        tracking = Tracking(notification_id=notification.id, application_name=self.office.name)
        await asyncio.to_thread(dispatch.process_event, event, tracking)

    def steps(self, liaison_id: UUID, kind: DeadlineKind, subject: str) -> list[tuple[str, date]]:
        """The escalation events of a deadline: (event name, effective date), in order."""
        escalation = escalation_id(liaison_id, kind, subject)
        if escalation not in self.office.repository:
            return []
        return [(type(e).__name__, e.effective_date) for e in self.office.events.get(escalation)]  # type: ignore[attr-defined]

    def escalation(self, liaison_id: UUID, kind: DeadlineKind, subject: str) -> Escalation:
        return self.office.escalation(escalation_id(liaison_id, kind, subject))


def ladder(due: date) -> list[tuple[str, date]]:
    """The steps of a deadline due on `due` that nothing answers, as `Province.steps` lists them:
    opened with the reminder three days before, missed the day after, escalated a week after."""
    return [
        ("EscalationOpened", due - timedelta(days=3)),
        ("ReminderSent", due - timedelta(days=3)),
        ("DeadlineMissed", due + timedelta(days=1)),
        ("Escalated", due + timedelta(days=7)),
    ]


def k(actor: Actor, on: date) -> dict[str, Any]:
    return {"command_id": uuid4(), "actor": actor, "effective_date": on}


def establish_units(office: LiaisonOffice) -> None:
    """Establish P, X, C1 and W (the tree drawn above), in force since 2000."""
    for unit_id, kind, parent in (
        ("P", UnitKind.PROVINCIAL_COMMITTEE, None),
        ("X", UnitKind.COMMUNE_COMMITTEE, "P"),
        ("C1", UnitKind.RESIDENCE_CELL, "X"),
        ("W", UnitKind.WORKPLACE_COMMITTEE, "P"),
    ):
        unit = Unit(
            id=unit_id, name=unit_id, kind=kind, parent_id=parent, valid_from=date(2000, 1, 1)
        )
        office.execute(cmd.EstablishUnit(**k(ADMIN, date(2000, 1, 1)), unit=unit))


def refer(office: LiaisonOffice, on: date, card: str = "12345678") -> UUID:
    """Register a member of W and refer them to commune X; return the liaison id."""
    member = office.execute(
        cmd.RegisterMember(
            **k(CLERK, on),
            name="Nguyễn Văn An",
            birth_date=date(1980, 1, 1),
            party_card_number=card,
            workplace_unit_id="W",
        )
    ).member_id
    return office.execute(
        cmd.Refer(**k(CLERK, on), member_id=member, referral=cmd.Referral(residence_commune_id="X"))
    ).liaison_id


async def advance_to(env: WorkflowEnvironment, day: date) -> None:
    """Move the test server's clock to 07:00 in Vietnam on that day (before the day's wake)."""
    target = wake_moment(day) - timedelta(hours=1)
    now = await env.get_current_time()
    if target > now:
        await env.sleep(target - now)


@asynccontextmanager
async def running(
    env: WorkflowEnvironment, province: Province, task_queue: str
) -> AsyncIterator[None]:
    """A worker for the liaison workflow and its activities over the province's office."""
    activities = LiaisonActivities(province.office, province.outbox)
    async with Worker(
        env.client, task_queue=task_queue, workflows=[LiaisonWorkflow], activities=activities.all()
    ):
        yield


async def received(env: WorkflowEnvironment, policy: Policy, on: date) -> tuple[Province, UUID]:
    """A province under `policy` with a member referred and received on `on` (the clock moved
    there), no worker running yet."""
    province = Province(policy)
    await advance_to(env, on)
    liaison = province.refer(on)
    province.receive(liaison, on)
    return province, liaison


@asynccontextmanager
async def referred(
    env: WorkflowEnvironment, policy: Policy, task_queue: str, on: date
) -> AsyncIterator[tuple[Province, UUID]]:
    """A province under `policy` with a member referred on `on` (the clock moved there), a worker
    running and the referral forwarded to it."""
    province = Province(policy)
    await advance_to(env, on)
    liaison = province.refer(on)
    async with running(env, province, task_queue):
        await province.forward_new(env.client, liaison, task_queue)
        yield province, liaison
