"""A board's worklist: each open deadline as the step it waits for now, for whose role it is."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from domain.deadlines import DeadlineKind
from domain.roles import Action, Role
from domain.worklist import Task, open_tasks, tasks_of
from tests.unit.conftest import CLERK_W, CLERK_W2, SEC_C1, TODAY, World, actor

CLERK_XN = actor(Role.COMMUNE_CLERK, "XN", "clerk-xn")


def tasks(world: World, liaisons: list[UUID], on: date = TODAY) -> list[Task]:
    """The open tasks of these liaisons, under each one's policy in force (as the board asks)."""
    office = world.office
    states = [office.liaison(i).state for i in liaisons]
    return open_tasks(states, lambda s: office.policy(on, s.residence_commune_id), on)


def steps(found: list[Task]) -> list[tuple[Action, str]]:
    return [(t.step, t.member_name) for t in found]


def test_each_role_gets_its_own_steps_most_urgent_first(world: World) -> None:
    tree = world.office.tree()
    attending = world.register(name="Nguyễn Văn An", on=date(2026, 1, 5))
    a = world.refer(attending, commune="XN", on=date(2026, 1, 10))
    world.receive_commune(a, cell="C1", on=date(2026, 1, 20), by=CLERK_XN)
    world.receive_cell(a, on=date(2026, 1, 25), by=SEC_C1)
    late = world.register(name="Trần Thị Bích", on=date(2026, 1, 5))
    b = world.refer(late, commune="XN", on=date(2026, 10, 1))
    fresh = world.register(name="Lê Văn Cường", on=date(2026, 1, 5))
    c = world.refer(fresh, commune="XN", on=date(2026, 11, 20))
    found = tasks(world, [c, a, b])
    assert [t.deadline.due_on for t in found] == sorted(t.deadline.due_on for t in found)
    assert steps(tasks_of(CLERK_XN, found, tree, TODAY)) == [
        (Action.RECEIVE_AT_COMMUNE, "Trần Thị Bích"),  # due 31 October: 22 days overdue
        (Action.RECEIVE_AT_COMMUNE, "Lê Văn Cường"),  # due 20 December
    ]
    late_task = tasks_of(CLERK_XN, found, tree, TODAY)[0]
    assert (late_task.days_left(TODAY), late_task.days_waited(TODAY)) == (-22, 52)
    assert steps(tasks_of(SEC_C1, found, tree, TODAY)) == [
        (Action.RECORD_MEETING, "Nguyễn Văn An"),  # due 25 July
        (Action.ASSESS, "Nguyễn Văn An"),  # due 15 December
    ]
    assert tasks_of(CLERK_W, found, tree, TODAY) == []  # its steps are others' to take
    assert tasks_of(CLERK_W2, found, tree, TODAY) == []


def test_a_report_back_waits_for_the_confirmation_first(world: World) -> None:
    tree = world.office.tree()
    member = world.register(on=date(2026, 1, 5))
    liaison = world.refer(member, commune="XN", on=date(2026, 1, 10))
    world.receive_commune(liaison, cell="C1", on=date(2026, 1, 20), by=CLERK_XN)
    world.receive_cell(liaison, on=date(2026, 1, 25), by=SEC_C1)
    world.assess(liaison, 2026, "fulfilled_well", on=date(2026, 11, 20), by=SEC_C1)

    def commune_steps() -> list[Action]:
        return [t.step for t in tasks_of(CLERK_XN, tasks(world, [liaison]), tree, TODAY)]

    assert commune_steps() == [Action.CONFIRM_ASSESSMENT]
    [report] = [t for t in tasks(world, [liaison]) if t.deadline.kind is DeadlineKind.REPORT_BACK]
    assert report.deadline.due_on == date(2026, 11, 30)  # open_deadlines' date, not restated
    world.confirm(liaison, 2026, on=date(2026, 11, 21), by=CLERK_XN)
    assert commune_steps() == [Action.REPORT_BACK]
    world.report(liaison, 2026, on=TODAY, by=CLERK_XN)
    assert commune_steps() == []
    assert [t.step for t in tasks_of(SEC_C1, tasks(world, [liaison]), tree, TODAY)] == [
        Action.RECORD_MEETING
    ]
