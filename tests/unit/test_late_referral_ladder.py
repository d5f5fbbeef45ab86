"""A late referral's ladder through the same use cases as a liaison's, keyed by the member; the
dispatcher starts and settles the member's watch, never for the bulk import's history."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.popo import POPOTrackingRecorder

from domain.deadlines import DeadlineKind
from domain.errors import HiddenRecord, WrongState
from domain.escalation import (
    ResolveEscalation,
    SettleEscalation,
    Step,
    TakeStep,
    referral_escalation_id,
    system_actor,
)
from domain.imported import as_importer
from domain.member import Member
from tests.unit.conftest import SUPERVISOR, World, k, refused
from workflows.dispatcher import LiaisonDispatch, unreferred_in_province

REGISTERED = date(2019, 1, 5)
LATE = date(2019, 3, 1)  # due on 4 February


def member_of(world: World, member_id: UUID) -> Member:
    return world.office.member_aggregate(member_id)


def step(world: World, member_id: UUID, which: Step, on: date = LATE, province: str = "P") -> Any:
    deadline = member_of(world, member_id).referral_due(world.office.policy(on, "W"))
    assert deadline is not None
    return world.office.execute(
        TakeStep(
            **k(system_actor(province), on), liaison_id=member_id, deadline=deadline, step=which
        )
    )


def test_the_ladder_is_keyed_by_the_member_and_escalates_to_the_workplaces_superior(
    world: World,
) -> None:
    member = world.register(on=REGISTERED)
    assert step(world, member, Step.REMINDER).unit_id == "W"
    assert step(world, member, Step.ESCALATED).unit_id == "P"
    escalation = world.office.escalation(referral_escalation_id(member))
    assert (escalation.kind, escalation.subject) == (DeadlineKind.REFERRAL, str(member))
    assert (escalation.unit_id, escalation.due_on) == ("W", date(2019, 2, 4))
    assert escalation.steps == ("ReminderSent", "Escalated")


def test_no_step_once_referred_or_exempted(world: World) -> None:
    referred, exempt = world.register(on=REGISTERED), world.register(on=REGISTERED)
    deadline = member_of(world, referred).referral_due(world.office.policy(LATE, "W"))
    world.refer(referred, on=date(2019, 2, 20))
    world.exempt_introduction(exempt, on=date(2019, 2, 20))
    for member in (referred, exempt):
        command = TakeStep(
            **k(system_actor("P"), LATE),
            liaison_id=member,
            deadline=deadline.model_copy(update={"subject": str(member)}),
            step=Step.MISSED,
        )
        refused(world.office, WrongState, lambda c=command: world.office.execute(c))
        assert referral_escalation_id(member) not in world.office.repository


def test_only_the_workflow_of_the_workplaces_province_records_the_ladder(world: World) -> None:
    member = world.register(on=REGISTERED)
    refused(world.office, HiddenRecord, lambda: step(world, member, Step.REMINDER, province="P2"))


def test_the_workflow_or_the_board_closes_it(world: World) -> None:
    closed, settled = world.register(on=REGISTERED), world.register(on=REGISTERED)
    for member in (closed, settled):
        step(world, member, Step.ESCALATED)
    world.refer(closed, on=date(2019, 3, 5))
    done = world.office.execute(
        ResolveEscalation(
            **k(system_actor("P"), date(2019, 3, 5)),
            liaison_id=closed,
            kind=DeadlineKind.REFERRAL,
            subject=str(closed),
            resolution="referred",
            liaison_version=3,
        )
    )
    assert done.resolved
    world.office.execute(
        SettleEscalation(
            **k(SUPERVISOR, date(2019, 3, 5), comment="Đã nhắc"),
            escalation_id=referral_escalation_id(settled),
        )
    )
    for member in (closed, settled):
        assert not world.office.escalation(referral_escalation_id(member)).is_open


def test_the_dispatcher_watches_members_but_not_the_imports(world: World) -> None:
    member = world.register(on=REGISTERED)
    world.refer(member, on=date(2019, 1, 10))
    exempt = world.register(on=REGISTERED)
    world.exempt_introduction(exempt, on=date(2019, 1, 10))
    events = [*world.office.events.get(member), *world.office.events.get(exempt)]  # type: ignore[attr-defined]
    imported = [e.model_copy(update={"actor": as_importer(e.actor)}) for e in events]
    watched: list[Any] = []
    dispatch = LiaisonDispatch(POPOTrackingRecorder(), lambda e: None, watch=watched.append)
    for position, event in enumerate([*imported, *events], start=1):
        dispatch.process_event(event, Tracking(notification_id=position, application_name="t"))
    names = [type(e).__name__ for e in watched]
    assert names == ["MemberRegistered", "LiaisonOpened", "MemberRegistered",
                     "ExemptedFromIntroduction"]  # fmt: skip
    assert all(e.actor.id == "clerk-w" for e in watched)


def test_a_provinces_change_wakes_its_members_awaiting_referral(world: World) -> None:
    """Those registered at its workplaces before the change and neither referred nor exempt
    (an exemption lifted counts as awaiting again); nobody of another province."""
    waiting, referred, exempt, lifted = (world.register(on=REGISTERED) for _ in range(4))
    other_workplace = world.register(on=REGISTERED, workplace="W2")
    world.refer(referred, on=date(2019, 1, 10))
    world.exempt_introduction(exempt, on=date(2019, 1, 10))
    world.exempt_introduction(lifted, on=date(2019, 1, 10))
    world.lift_introduction(lifted, on=date(2019, 1, 20))
    position = (world.office.recorder.max_notification_id() or 0) + 1
    world.register(on=REGISTERED)  # after the change: it reads the changed policy itself

    woken = unreferred_in_province(world.office, "P", (LATE,), position)
    assert sorted(woken) == sorted(str(m) for m in (waiting, lifted, other_workplace))
    assert unreferred_in_province(world.office, "P2", (LATE,), position) == []
