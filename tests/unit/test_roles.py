"""Roles and scope: the permission matrix, and each role acting through the office."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import HiddenRecord, OutOfScope
from domain.organisation import OrganisationTree
from domain.roles import ALLOWED, Action, Role, authorise, may
from domain.state import ClosingReason, Stage
from tests.unit.conftest import (
    ADMIN,
    CLERK_W,
    CLERK_XN,
    COMMITTEE_W,
    INSPECTOR,
    SEC_C1,
    SUPERVISOR,
    World,
    actor,
    check_refusal,
    said,
)

ON = date(2026, 3, 1)
WRITES = frozenset(Action) - {Action.READ}


@pytest.fixture
def tree(world: World) -> OrganisationTree:
    return world.office.tree()


def test_every_role_may_read_and_only_the_inspector_only_reads() -> None:
    for role in Role:
        assert Action.READ in ALLOWED[role]
    assert ALLOWED[Role.INSPECTOR] == {Action.READ}
    for role in set(Role) - {Role.INSPECTOR}:
        assert ALLOWED[role] & WRITES, role


def test_the_matrix() -> None:
    clerk, commune, cell = (
        ALLOWED[Role.WORKPLACE_CLERK],
        ALLOWED[Role.COMMUNE_CLERK],
        ALLOWED[Role.CELL_SECRETARY],
    )
    assert {Action.REFER, Action.REGISTER_MEMBER, Action.CLOSE, Action.REQUEST_ASSESSMENT} <= clerk
    assert not {Action.RECEIVE_AT_COMMUNE, Action.ASSESS, Action.RECORD_MEETING} & clerk
    assert {Action.RECEIVE_AT_COMMUNE, Action.CONFIRM_ASSESSMENT, Action.REPORT_BACK} <= commune
    assert not {Action.REFER, Action.ASSESS, Action.RECEIVE_AT_CELL} & commune
    assert {Action.RECEIVE_AT_CELL, Action.RECORD_MEETING, Action.ASSESS, Action.PROPOSE} <= cell
    assert not {Action.CONFIRM_ASSESSMENT, Action.REFER, Action.CLOSE} & cell
    # Only supervisors and administrators open cycles; only administrators manage.
    assert {r for r in Role if Action.OPEN_CYCLE in ALLOWED[r]} == {
        Role.SUPERVISOR,
        Role.ADMINISTRATOR,
    }
    assert {r for r in Role if Action.MANAGE_ORGANISATION in ALLOWED[r]} == {Role.ADMINISTRATOR}
    # A province's deadlines: its administrators and supervisors (the subtree says whose).
    assert {r for r in Role if Action.OVERRIDE_POLICY in ALLOWED[r]} == {
        Role.SUPERVISOR,
        Role.ADMINISTRATOR,
    }
    # An administrator manages but does not do the liaison work.
    assert (
        not {Action.REFER, Action.ASSESS, Action.RECEIVE_AT_COMMUNE} & ALLOWED[Role.ADMINISTRATOR]
    )
    assert clerk | commune | cell <= ALLOWED[Role.COMMITTEE_MEMBER] | {Action.READ}
    assert ALLOWED[Role.COMMITTEE_MEMBER] <= ALLOWED[Role.SUPERVISOR]


def test_may_checks_role_and_subtree(tree: OrganisationTree) -> None:
    assert may(CLERK_W, Action.REFER, "W", tree, ON)
    assert may(CLERK_W, Action.REFER, "WC", tree, ON)
    assert not may(CLERK_W, Action.REFER, "W2", tree, ON)
    assert not may(CLERK_W, Action.RECEIVE_AT_COMMUNE, "W", tree, ON)
    assert may(CLERK_XN, Action.RECEIVE_AT_COMMUNE, "X1", tree, ON)
    assert may(SEC_C1, Action.ASSESS, "C1", tree, ON)
    assert not may(SEC_C1, Action.ASSESS, "C2", tree, ON)
    assert not may(SEC_C1, Action.ASSESS, "XN", tree, ON)
    assert may(SUPERVISOR, Action.ASSESS, "C3", tree, ON)
    assert not may(SUPERVISOR, Action.ASSESS, "Y1", tree, ON)
    assert may(INSPECTOR, Action.READ, "C1", tree, ON)
    assert not may(INSPECTOR, Action.READ, "Y1", tree, ON)
    assert not may(INSPECTOR, Action.REFER, "W", tree, ON)


def test_scope_on_a_date(tree: OrganisationTree) -> None:
    x1 = actor(Role.COMMUNE_CLERK, "X1")
    x2 = actor(Role.COMMUNE_CLERK, "X2")
    assert may(x1, Action.CONFIRM_ASSESSMENT, "C1", tree, date(2019, 5, 1))
    assert not may(x2, Action.CONFIRM_ASSESSMENT, "C1", tree, date(2019, 5, 1))
    assert may(x2, Action.CONFIRM_ASSESSMENT, "C1", tree, date(2026, 1, 1))
    district = actor(Role.SUPERVISOR, "D")
    assert may(district, Action.ASSESS, "C3", tree, date(2019, 5, 1))
    assert not may(district, Action.ASSESS, "C3", tree, date(2026, 1, 1))


def test_authorise_refusals_are_named(tree: OrganisationTree) -> None:
    with pytest.raises(OutOfScope) as role_error:
        authorise(SEC_C1, Action.REFER, ("W",), tree, ON)
    check_refusal(role_error.value)
    assert role_error.value.message.params["role"] is Role.CELL_SECRETARY
    with pytest.raises(OutOfScope) as scope_error:
        authorise(CLERK_W, Action.REFER, ("W2",), tree, ON)
    check_refusal(scope_error.value)
    # Named nowhere: the units concerned may be another district's (issue 11).
    assert "W2" not in said(scope_error.value, "en")
    assert "W2" not in said(scope_error.value, "vi")
    # Any one of the units concerned is enough.
    authorise(CLERK_W, Action.REFER, ("W2", "W"), tree, ON)


def test_committee_member_works_on_both_sides_of_its_own_subtree(world: World) -> None:
    member_id = world.register(on=ON, by=COMMITTEE_W)
    liaison_id = world.refer(member_id, commune="XN", on=ON, by=COMMITTEE_W)
    # The residence side of XN is outside W's subtree.
    world.refused(
        OutOfScope,
        lambda: world.receive_commune(liaison_id, on=ON, by=COMMITTEE_W),
    )
    world.close(liaison_id, ClosingReason.RETIRED, on=ON, by=COMMITTEE_W)
    assert world.office.stage(liaison_id) is Stage.CLOSED


def test_supervisor_of_the_province_does_everything_in_it(world: World) -> None:
    member_id = world.register(on=date(2025, 2, 1), by=SUPERVISOR)
    liaison_id = world.refer(member_id, commune="XN", on=date(2025, 8, 1), by=SUPERVISOR)
    world.receive_commune(liaison_id, on=date(2025, 8, 2), by=SUPERVISOR)
    world.receive_cell(liaison_id, on=date(2025, 8, 3), by=SUPERVISOR)
    world.assess(liaison_id, 2025, "fulfilled_well", on=date(2025, 11, 5), by=SUPERVISOR)
    world.confirm(liaison_id, 2025, on=date(2025, 11, 6), by=SUPERVISOR)
    world.report(liaison_id, 2025, on=date(2025, 11, 7), by=SUPERVISOR)
    world.open_cycle(liaison_id, 2026, on=date(2026, 1, 1), by=SUPERVISOR)
    state = world.office.state_of(liaison_id)
    assert state.stage is Stage.ATTENDING
    assert state.cycle_year == 2026
    assert {e.actor.id for e in world.office.history(liaison_id)} == {"supervisor"}


def test_supervisor_of_another_province_is_out_of_scope(world: World) -> None:
    _, liaison_id = world.received(referred_on=ON)
    other = actor(Role.SUPERVISOR, "P2")
    for attempt in (
        lambda: world.assess(liaison_id, 2026, "fulfilled_well", on=date(2026, 11, 5), by=other),
        lambda: world.open_cycle(liaison_id, 2026, on=ON, by=other),
        lambda: world.close(liaison_id, ClosingReason.DIED, on=ON, by=other),
    ):
        world.refused(HiddenRecord, attempt)


def test_administrator_opens_cycles_but_does_not_refer(world: World) -> None:
    _, liaison_id = world.received(referred_on=date(2025, 3, 1))
    world.open_cycle(liaison_id, 2026, on=date(2026, 1, 1), by=ADMIN)
    assert world.office.state_of(liaison_id).cycle_year == 2026
    member_id = world.register(on=ON)
    world.refused(OutOfScope, lambda: world.refer(member_id, on=ON, by=ADMIN))


@pytest.mark.parametrize("role", [Role.WORKPLACE_CLERK, Role.COMMUNE_CLERK, Role.CELL_SECRETARY])
def test_open_cycle_is_not_for_clerks_or_secretaries(world: World, role: Role) -> None:
    _, liaison_id = world.received(referred_on=date(2025, 3, 1))
    world.refused(
        OutOfScope,
        lambda: world.open_cycle(liaison_id, 2026, on=date(2026, 1, 1), by=actor(role, "P")),
    )


def test_workplace_side_acts_on_the_workplace_not_the_residence(world: World) -> None:
    _, liaison_id = world.received(referred_on=ON)
    # The cell secretary may not exempt, request or close; the workplace clerk may.
    for attempt in (
        lambda: world.exempt(liaison_id, on=ON, by=SEC_C1),
        lambda: world.request(liaison_id, on=ON, by=SEC_C1),
        lambda: world.close(liaison_id, ClosingReason.RETIRED, on=ON, by=SEC_C1),
    ):
        world.refused(OutOfScope, attempt)
    request_id = world.request(liaison_id, on=ON, by=CLERK_W)
    # Only the residence answers the request.
    world.refused(
        OutOfScope,
        lambda: world.provide(liaison_id, request_id, on=ON, by=CLERK_W),
    )
    world.provide(liaison_id, request_id, on=ON, by=SEC_C1)
