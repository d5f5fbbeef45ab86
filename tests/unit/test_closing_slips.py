"""The closing slips: after an expulsion, a removal from the rolls or a death the workplace sends
them up within 30 working days (`closing_slip_days`, a province may change it); until then the
liaison awaits them like any other deadline, and the command that records them is guarded."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from domain import commands as cmd
from domain.deadlines import DeadlineKind
from domain.errors import Duplicate, HiddenRecord, OutOfOrder, OutOfScope, UnknownMember, WrongState
from domain.roles import Action, Role
from domain.state import ClosingReason
from domain.worklist import open_tasks, tasks_of
from tests.unit.conftest import (
    ADMIN,
    CLERK_W,
    CLERK_W2,
    CLERK_X1,
    SEC_C1,
    World,
    actor,
    event_count,
    k,
    refused,
)

CLOSED = date(2026, 9, 3)
DUE = date(2026, 10, 15)  # 30 working days after Thursday 3 September 2026


def slips(world: World, liaison_id: UUID, on: date, by: object = CLERK_W) -> None:
    world.office.execute(cmd.SendClosingSlip(**k(by, on), liaison_id=liaison_id))  # type: ignore[arg-type]


def closed(world: World, reason: ClosingReason = ClosingReason.DIED) -> UUID:
    _, liaison_id = world.received(referred_on=date(2026, 1, 10))
    world.close(liaison_id, reason, on=CLOSED)
    return liaison_id


@pytest.mark.parametrize(
    "reason", [ClosingReason.EXPELLED, ClosingReason.REMOVED_FROM_ROLLS, ClosingReason.DIED]
)
def test_the_slips_are_awaited_then_sent(world: World, reason: ClosingReason) -> None:
    liaison_id = closed(world, reason)
    [deadline] = world.office.deadlines(liaison_id, CLOSED)
    assert (deadline.kind, deadline.due_on) == (DeadlineKind.CLOSING_SLIP, DUE)
    assert (deadline.awaited, deadline.unit_id) == (Action.SEND_CLOSING_SLIP, "W")
    assert not deadline.is_overdue(DUE)
    assert deadline.is_overdue(date(2026, 10, 16))
    slips(world, liaison_id, date(2026, 10, 1))
    assert world.office.state_of(liaison_id).closing_slip_sent_on == date(2026, 10, 1)
    assert world.office.deadlines(liaison_id, date(2026, 10, 1)) == []
    # As it stood before the slips went, the deadline is still there.
    assert [d.kind for d in world.office.deadlines(liaison_id, date(2026, 9, 30))] == [
        DeadlineKind.CLOSING_SLIP
    ]


def test_a_province_may_change_the_days(world: World) -> None:
    world.office.execute(
        cmd.OverridePolicy(
            **k(ADMIN, date(2026, 1, 1)), province_id="P", setting="closing_slip_days", value=10
        )
    )
    [deadline] = world.office.deadlines(closed(world), CLOSED)
    assert deadline.due_on == date(2026, 9, 17)  # ten working days


def test_the_workplace_clerk_finds_the_slips_on_the_worklist(world: World) -> None:
    liaison_id = closed(world)
    state = world.office.state_of(liaison_id)
    tasks = open_tasks([state], lambda s: world.office.policy(CLOSED, "X1"), CLOSED)
    tree = world.office.tree()
    assert [t.step for t in tasks_of(CLERK_W, tasks, tree, CLOSED)] == [Action.SEND_CLOSING_SLIP]
    assert tasks_of(CLERK_W2, tasks, tree, CLOSED) == []
    assert tasks_of(SEC_C1, tasks, tree, CLOSED) == []


@pytest.mark.parametrize("reason", [ClosingReason.RETIRED, ClosingReason.MOVED_RESIDENCE])
def test_refused_for_a_liaison_that_ended_otherwise(world: World, reason: ClosingReason) -> None:
    liaison_id = closed(world, reason)
    refused(world.office, WrongState, lambda: slips(world, liaison_id, CLOSED))


def test_refused_for_an_open_liaison(world: World) -> None:
    _, liaison_id = world.received(referred_on=date(2026, 1, 10))
    refused(world.office, WrongState, lambda: slips(world, liaison_id, CLOSED))


def test_refused_before_the_liaison_closed(world: World) -> None:
    liaison_id = closed(world)
    refused(world.office, OutOfOrder, lambda: slips(world, liaison_id, date(2026, 9, 2)))


def test_refused_twice(world: World) -> None:
    liaison_id = closed(world)
    slips(world, liaison_id, CLOSED)
    refused(world.office, Duplicate, lambda: slips(world, liaison_id, date(2026, 9, 4)))


def test_the_same_command_twice_records_once(world: World) -> None:
    liaison_id = closed(world)
    command = cmd.SendClosingSlip(**k(CLERK_W, CLOSED), liaison_id=liaison_id)
    world.office.execute(command)
    before = event_count(world.office)
    world.office.execute(command)
    assert event_count(world.office) == before


@pytest.mark.parametrize(
    "who", [CLERK_X1, SEC_C1, actor(Role.INSPECTOR, "P")], ids=["commune", "cell", "inspector"]
)
def test_refused_to_a_role_that_does_not_send_slips(world: World, who: object) -> None:
    liaison_id = closed(world)
    refused(world.office, OutOfScope, lambda: slips(world, liaison_id, CLOSED, by=who))


@pytest.mark.parametrize(
    "who", [CLERK_W2, actor(Role.WORKPLACE_CLERK, "P2")], ids=["workplace", "province"]
)
def test_a_neighbour_is_told_there_is_no_such_liaison(world: World, who: object) -> None:
    liaison_id = closed(world)
    refused(world.office, HiddenRecord, lambda: slips(world, liaison_id, CLOSED, by=who))


def test_refused_for_an_unknown_liaison(world: World) -> None:
    refused(world.office, UnknownMember, lambda: slips(world, uuid4(), CLOSED))
