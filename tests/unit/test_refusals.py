"""Every refusal: named, bilingual, and writing nothing at all."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain import commands as cmd
from domain import errors
from domain.errors import (
    Duplicate,
    FutureDate,
    GradeNotInScale,
    HiddenRecord,
    Malformed,
    OutOfScope,
    Refused,
    UnknownMember,
    UnknownUnit,
    WrongState,
)
from domain.meeting import AttendanceEntry
from domain.messages import Label
from domain.organisation import UnitKind
from domain.roles import Action, Actor, Role
from domain.state import Attendance, ClosingReason, Stage
from tests.unit.conftest import (
    ADMIN,
    CLERK_W,
    CLERK_W2,
    CLERK_WC,
    CLERK_XN,
    INSPECTOR,
    SEC_C1,
    SEC_C2,
    SEC_C3,
    SUPERVISOR,
    TODAY,
    World,
    actor,
    check_refusal,
    event_count,
    k,
    refer_command,
    refused,
    said,
    unit,
)

REFERRED = date(2026, 1, 10)
TOMORROW = TODAY + timedelta(days=1)


def test_every_refusal_class_has_its_own_code() -> None:
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, Refused)]
    # A record outside one's scope answers exactly as an unknown one, code included.
    assert HiddenRecord.code == UnknownMember.code
    subclasses = [c for c in classes if c not in (Refused, HiddenRecord)]
    assert len(subclasses) >= 9
    codes = [c.code for c in subclasses]
    assert len(set(codes)) == len(codes)
    assert Refused.code not in codes


def _referred(world: World) -> UUID:
    """A member registered and referred to the commune XN on REFERRED: their liaison."""
    return world.refer(world.register(on=REFERRED), commune="XN", on=REFERRED)


def _assessing(
    world: World, liaison_id: UUID, on: date, by: Actor | None = None
) -> Callable[[], None]:
    """The assessment of 2026 as fulfilled well, made on `on` by `by` (else the secretary)."""
    return lambda: world.assess(liaison_id, 2026, "fulfilled_well", on=on, by=by)


# Wrong state.


def test_assess_before_receipt(world: World) -> None:
    liaison_id = _referred(world)
    # Before a cell is assigned only someone above the commune can even try.
    world.refused(WrongState, _assessing(world, liaison_id, date(2026, 11, 10), SUPERVISOR))
    world.receive_commune(liaison_id, cell="C1", on=REFERRED)
    world.refused(WrongState, _assessing(world, liaison_id, date(2026, 11, 10), SEC_C1))


def test_receive_at_cell_before_the_commune(world: World) -> None:
    liaison_id = _referred(world)
    world.refused(
        WrongState,
        lambda: world.receive_cell(liaison_id, on=REFERRED, by=SUPERVISOR),
    )
    # A secretary cannot act on a liaison not yet assigned to their cell.
    world.refused(HiddenRecord, lambda: world.receive_cell(liaison_id, on=REFERRED, by=SEC_C1))


def test_receive_at_commune_twice(world: World) -> None:
    liaison_id = _referred(world)
    world.receive_commune(liaison_id, cell="C1", on=REFERRED)
    world.refused(Duplicate, lambda: world.receive_commune(liaison_id, on=REFERRED))


def test_receive_at_cell_twice(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    world.refused(Duplicate, lambda: world.receive_cell(liaison_id, on=REFERRED))


def test_confirm_before_assessment(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    world.refused(WrongState, lambda: world.confirm(liaison_id, 2026, on=REFERRED))


def test_confirm_twice(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    world.assess(liaison_id, 2026, "fulfilled_well", on=date(2026, 11, 10))
    world.confirm(liaison_id, 2026, on=date(2026, 11, 11))
    world.refused(Duplicate, lambda: world.confirm(liaison_id, 2026, on=date(2026, 11, 12)))


def test_report_back_before_confirmation(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    world.refused(WrongState, lambda: world.report(liaison_id, 2026, on=REFERRED))
    world.assess(liaison_id, 2026, "fulfilled_well", on=date(2026, 11, 10))
    world.refused(WrongState, lambda: world.report(liaison_id, 2026, on=date(2026, 11, 11)))


def test_report_back_twice(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    world.assess(liaison_id, 2026, "fulfilled_well", on=date(2026, 11, 10))
    world.confirm(liaison_id, 2026, on=date(2026, 11, 11))
    world.report(liaison_id, 2026, on=date(2026, 11, 12))
    world.refused(Duplicate, lambda: world.report(liaison_id, 2026, on=date(2026, 11, 13)))


def test_assess_twice(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    world.assess(liaison_id, 2026, "fulfilled_well", on=date(2026, 11, 10))
    world.refused(
        Duplicate,
        lambda: world.assess(liaison_id, 2026, "not_fulfilled_well", on=date(2026, 11, 11)),
    )


@pytest.mark.parametrize("year", [2024, 2027])
def test_assess_a_year_outside_the_cycle(world: World, year: int) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    world.refused(
        WrongState,
        lambda: world.assess(liaison_id, year, "fulfilled_well", on=date(2026, 11, 10)),
    )


def test_open_a_cycle_already_open(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    world.refused(Duplicate, lambda: world.open_cycle(liaison_id, 2026, on=REFERRED))
    world.refused(Duplicate, lambda: world.open_cycle(liaison_id, 2025, on=REFERRED))


def test_open_next_years_cycle_early(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    world.refused(Malformed, lambda: world.open_cycle(liaison_id, 2027, on=date(2026, 11, 1)))


def test_open_cycle_before_receipt(world: World) -> None:
    member_id = world.register(on=date(2025, 1, 10))
    liaison_id = world.refer(member_id, commune="X1", on=date(2025, 1, 10))
    world.refused(WrongState, lambda: world.open_cycle(liaison_id, 2026, on=date(2026, 1, 1)))


def test_request_before_receipt(world: World) -> None:
    liaison_id = _referred(world)
    world.refused(WrongState, lambda: world.request(liaison_id, on=REFERRED))


def test_provide_an_unknown_request(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    world.refused(WrongState, lambda: world.provide(liaison_id, uuid4(), on=REFERRED))


def test_provide_twice(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    request_id = world.request(liaison_id, on=REFERRED)
    world.provide(liaison_id, request_id, on=REFERRED)
    world.refused(Duplicate, lambda: world.provide(liaison_id, request_id, on=REFERRED))


def test_same_request_command_twice_is_one_request(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    command = cmd.RequestAssessment(
        **k(CLERK_W, REFERRED), liaison_id=liaison_id, purpose=cmd.RequestPurpose.CANDIDACY
    )
    first = world.office.execute(command).request_id
    count = event_count(world.office)
    assert world.office.execute(command).request_id == first
    assert event_count(world.office) == count
    assert len(world.office.state_of(liaison_id).requests) == 1


def test_exempt_twice_and_lift_when_not_exempt(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    world.refused(WrongState, lambda: world.lift(liaison_id, on=REFERRED))
    world.exempt(liaison_id, on=REFERRED)
    world.refused(Duplicate, lambda: world.exempt(liaison_id, on=REFERRED))


def test_propose_before_receipt_or_without_grounds(world: World) -> None:
    liaison_id = _referred(world)
    world.refused(
        WrongState,
        lambda: world.propose(liaison_id, "commendation", on=REFERRED, by=SUPERVISOR),
    )
    world.receive_commune(liaison_id, on=REFERRED)
    world.receive_cell(liaison_id, on=REFERRED)
    world.refused(
        Malformed,
        lambda: world.propose(liaison_id, "discipline", on=REFERRED, grounds=None),
    )


def test_introduction_exemption_refusals(world: World) -> None:
    member_id = world.register(on=REFERRED)
    world.refused(WrongState, lambda: world.lift_introduction(member_id, on=REFERRED))
    world.exempt_introduction(member_id, on=REFERRED)
    world.refused(Duplicate, lambda: world.exempt_introduction(member_id, on=REFERRED))
    # While it stands the member cannot be referred.
    world.refused(WrongState, lambda: world.refer(member_id, commune="XN", on=REFERRED))
    assert world.office.member(member_id).open_liaison_id is None


def test_exempt_from_introduction_after_referral(world: World) -> None:
    member_id = world.register(on=REFERRED)
    world.refer(member_id, commune="XN", on=REFERRED)
    world.refused(WrongState, lambda: world.exempt_introduction(member_id, on=REFERRED))


def test_commands_on_a_closed_liaison(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    world.assess(liaison_id, 2026, "fulfilled_well", on=date(2026, 11, 10))
    world.close(liaison_id, ClosingReason.RETIRED, on=date(2026, 11, 11))
    day = date(2026, 11, 12)
    attempts: list[Callable[[], object]] = [
        lambda: world.close(liaison_id, ClosingReason.DIED, on=day),
        lambda: world.confirm(liaison_id, 2026, on=day, by=CLERK_XN),
        lambda: world.report(liaison_id, 2026, on=day, by=CLERK_XN),
        lambda: world.meeting("C1", [(liaison_id, Attendance.PRESENT)], on=day),
        lambda: world.request(liaison_id, on=day),
        lambda: world.exempt(liaison_id, on=day),
        lambda: world.propose(liaison_id, "commendation", on=day),
        lambda: world.open_cycle(liaison_id, 2026, on=day),
        lambda: world.receive_cell(liaison_id, on=day),
        lambda: world.receive_commune(liaison_id, on=day, by=CLERK_XN),
    ]
    for attempt in attempts:
        world.refused(WrongState, attempt, match="closed")


def test_dates_before_the_referral(world: World) -> None:
    liaison_id = _referred(world)
    world.refused(
        Malformed,
        lambda: world.receive_commune(liaison_id, on=date(2026, 1, 9)),
    )
    world.receive_commune(liaison_id, on=date(2026, 1, 15))
    world.refused(Malformed, lambda: world.receive_cell(liaison_id, on=date(2026, 1, 14)))


def test_meeting_before_the_cell_received_the_member(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED, received_on=date(2026, 2, 1))
    world.refused(
        Malformed,
        lambda: world.meeting("C1", [(liaison_id, Attendance.PRESENT)], on=date(2026, 1, 20)),
    )


def test_close_with_successor_for_a_reason_that_is_not_a_move(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    world.refused(
        Malformed,
        lambda: world.close(
            liaison_id,
            ClosingReason.RETIRED,
            on=REFERRED,
            successor=cmd.Referral(residence_commune_id="XN"),
        ),
    )


def test_link_a_successor_to_an_open_or_non_move_liaison(world: World) -> None:
    member_id, liaison_id = world.received(referred_on=REFERRED)
    other_member, other_liaison = world.received(referred_on=REFERRED)
    world.close(other_liaison, ClosingReason.DIED, on=date(2026, 2, 1))
    # Predecessor still open: the member also has it open, so one refusal or another, never a write.
    world.refused(
        WrongState,
        lambda: world.refer(other_member, on=date(2026, 2, 2), predecessor_id=other_liaison),
    )
    world.close(liaison_id, ClosingReason.MOVED_RESIDENCE, on=date(2026, 2, 1))
    # Another member's liaison.
    world.refused(
        Malformed,
        lambda: world.refer(other_member, on=date(2026, 2, 2), predecessor_id=liaison_id),
    )
    # Already linked.
    world.refer(member_id, on=date(2026, 2, 2), predecessor_id=liaison_id)
    third = world.register(on=REFERRED)
    world.refused(UnknownMember, lambda: world.refer(third, predecessor_id=uuid4()))


def test_a_successor_referral_cannot_predate_the_move(world: World) -> None:
    """Otherwise the predecessor's history would hold an event before its own referral."""
    member_id, liaison_id = world.received(referred_on=REFERRED)
    world.close(liaison_id, ClosingReason.MOVED_RESIDENCE, on=date(2026, 5, 1))
    for on in (date(2026, 4, 30), date(2025, 1, 1)):
        world.refused(
            Malformed,
            lambda d=on: world.refer(member_id, on=d, predecessor_id=liaison_id),
        )
    assert world.office.state_of(liaison_id).successor_id is None
    assert world.office.member(member_id).open_liaison_id is None
    # Every date-filtered view of the predecessor still replays.
    assert world.office.state_of(liaison_id, as_of_date=date(2026, 4, 1)).stage is Stage.ATTENDING
    new_id = world.refer(member_id, on=date(2026, 5, 1), predecessor_id=liaison_id)
    assert world.office.state_of(liaison_id).successor_id == new_id


def test_a_linked_predecessor_cannot_be_linked_again(world: World) -> None:
    member_id, liaison_id = world.received(referred_on=REFERRED)
    world.close(liaison_id, ClosingReason.MOVED_RESIDENCE, on=date(2026, 2, 1))
    new_id = world.refer(member_id, on=date(2026, 2, 2), predecessor_id=liaison_id)
    world.close(new_id, ClosingReason.TRANSFERRED_WORKPLACE, on=date(2026, 3, 1))
    world.refused(
        WrongState,
        lambda: world.refer(member_id, on=date(2026, 3, 2), predecessor_id=liaison_id),
    )


# Out of scope.


def test_clerk_of_another_workplace_refers_a_member_of_w(world: World) -> None:
    member_id = world.register(on=REFERRED)
    world.refused(
        HiddenRecord,
        lambda: world.refer(member_id, commune="XN", on=REFERRED, by=CLERK_W2),
    )


def test_clerk_of_a_workplace_cell_refers_a_member_of_the_committee(world: World) -> None:
    member_id = world.register(on=REFERRED)
    world.refused(
        HiddenRecord,
        lambda: world.refer(member_id, commune="XN", on=REFERRED, by=CLERK_WC),
    )
    # ...but the committee's clerk covers the workplace cell below it.
    wc_member = world.register(workplace="WC", on=REFERRED, by=CLERK_W)
    liaison_id = world.refer(wc_member, commune="XN", on=REFERRED, by=CLERK_W)
    assert world.office.state_of(liaison_id).workplace_unit_id == "WC"


def test_clerk_of_another_workplace_cannot_register_or_close(world: World) -> None:
    world.refused(
        OutOfScope,
        lambda: world.register(workplace="W", on=REFERRED, by=CLERK_W2),
    )
    _, liaison_id = world.received(referred_on=REFERRED)
    world.refused(
        HiddenRecord,
        lambda: world.close(liaison_id, ClosingReason.RETIRED, on=REFERRED, by=CLERK_W2),
    )
    world.refused(HiddenRecord, lambda: world.exempt(liaison_id, on=REFERRED, by=CLERK_W2))
    world.refused(HiddenRecord, lambda: world.request(liaison_id, on=REFERRED, by=CLERK_W2))


def test_secretary_of_another_cell_records_a_meeting(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    world.refused(
        OutOfScope,
        lambda: world.meeting(
            "C1", [(liaison_id, Attendance.PRESENT)], on=date(2026, 3, 1), by=SEC_C3
        ),
    )
    world.refused(
        OutOfScope,
        lambda: world.meeting(
            "C1", [(liaison_id, Attendance.PRESENT)], on=date(2026, 3, 1), by=SEC_C2
        ),
    )


def test_secretary_of_another_cell_assesses(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    world.refused(HiddenRecord, _assessing(world, liaison_id, date(2026, 11, 1), SEC_C3))


def test_commune_clerk_of_another_province(world: World) -> None:
    liaison_id = _referred(world)
    world.refused(
        HiddenRecord,
        lambda: world.receive_commune(liaison_id, on=REFERRED, by=actor(Role.COMMUNE_CLERK, "Y")),
    )


@pytest.mark.parametrize(
    "role", [Role.WORKPLACE_CLERK, Role.CELL_SECRETARY, Role.INSPECTOR, Role.ADMINISTRATOR]
)
def test_roles_that_may_not_receive_at_commune(world: World, role: Role) -> None:
    liaison_id = _referred(world)
    error = world.refused(
        OutOfScope,
        lambda: world.receive_commune(liaison_id, on=REFERRED, by=actor(role, "P")),
    )
    # The role and the action by their labels, never their keys.
    shown = said(error, "vi") + said(error, "en")
    assert (error.message.params["role"], error.message.params["action"]) == (
        role,
        Action.RECEIVE_AT_COMMUNE,
    )
    assert role.value not in shown
    assert "receive_at_commune" not in shown


def _inspector_attempts(world: World, member_id: UUID, liaison_id: UUID) -> list[Any]:
    day = date(2026, 11, 1)
    by = INSPECTOR
    o = world.office
    return [
        lambda: (
            o.execute(
                cmd.EstablishUnit(**k(by, day), unit=unit("C9", UnitKind.RESIDENCE_CELL, "XN"))
            ).unit_id
        ),
        lambda: o.execute(
            cmd.OverridePolicy(**k(by, day), province_id="P", setting="receipt_days", value=20)
        ),
        lambda: world.register(on=day, by=by),
        lambda: world.exempt_introduction(member_id, on=day, by=by),
        lambda: world.refer(member_id, commune="XN", on=day, by=by),
        lambda: world.receive_commune(liaison_id, on=day, by=by),
        lambda: world.receive_cell(liaison_id, on=day, by=by),
        lambda: world.meeting("C1", [(liaison_id, Attendance.PRESENT)], on=day, by=by),
        _assessing(world, liaison_id, day, by),
        lambda: world.confirm(liaison_id, 2026, on=day, by=by),
        lambda: world.report(liaison_id, 2026, on=day, by=by),
        lambda: world.open_cycle(liaison_id, 2026, on=day, by=by),
        lambda: world.request(liaison_id, on=day, by=by),
        lambda: world.provide(liaison_id, uuid4(), on=day, by=by),
        lambda: world.exempt(liaison_id, on=day, by=by),
        lambda: world.lift(liaison_id, on=day, by=by),
        lambda: world.propose(liaison_id, "discipline", on=day, by=by),
        lambda: world.close(liaison_id, ClosingReason.DIED, on=day, by=by),
    ]


def test_inspector_may_not_write_anything(world: World) -> None:
    member_id, liaison_id = world.received(referred_on=REFERRED)
    unreferred = world.register(on=REFERRED)
    attempts = _inspector_attempts(world, unreferred, liaison_id)
    assert len(attempts) == 18
    for attempt in attempts:
        error = world.refused(OutOfScope, attempt)
        assert error.message.params["role"] is Role.INSPECTOR
    # ...and may still read everything.
    assert world.office.timeline(member_id)


def test_actor_of_an_unknown_or_abolished_unit(world: World) -> None:
    member_id = world.register(on=REFERRED)
    world.refused(
        UnknownUnit,
        lambda: world.refer(member_id, on=REFERRED, by=actor(Role.WORKPLACE_CLERK, "NOPE")),
    )
    # The district D is gone since 2025-07-01 and had no successor.
    world.refused(
        UnknownUnit,
        lambda: world.refer(member_id, on=REFERRED, by=actor(Role.SUPERVISOR, "D")),
    )


# Unknown member, liaison, unit.


def test_unknown_member(world: World) -> None:
    world.refused(UnknownMember, lambda: world.refer(uuid4(), on=REFERRED))
    world.refused(UnknownMember, lambda: world.exempt_introduction(uuid4(), on=REFERRED))
    world.refused(UnknownMember, lambda: world.lift_introduction(uuid4(), on=REFERRED))


def test_unknown_liaison(world: World) -> None:
    nowhere = uuid4()
    o = world.office
    for attempt in [
        lambda: o.execute(
            cmd.ReceiveAtCommune(**k(CLERK_XN, REFERRED), liaison_id=nowhere, cell_id="C1")
        ),
        lambda: o.execute(cmd.ReceiveAtCell(**k(SEC_C1, REFERRED), liaison_id=nowhere)),
        lambda: (
            o.execute(
                cmd.Close(**k(CLERK_W, REFERRED), liaison_id=nowhere, reason=ClosingReason.DIED)
            ).successor_id
        ),
        lambda: world.meeting(
            "C1", [(nowhere, Attendance.PRESENT)], on=date(2026, 3, 1), by=SEC_C1
        ),
    ]:
        refused(o, UnknownMember, attempt)


def test_a_member_id_is_not_a_liaison_id(world: World) -> None:
    member_id = world.register(on=REFERRED)
    world.refused(
        UnknownMember,
        lambda: world.office.execute(
            cmd.ReceiveAtCell(**k(SEC_C1, REFERRED), liaison_id=member_id)
        ),
    )


def test_unknown_units(world: World) -> None:
    world.refused(UnknownUnit, lambda: world.register(workplace="NOPE", on=REFERRED))
    member_id = world.register(on=REFERRED)
    world.refused(UnknownUnit, lambda: world.refer(member_id, commune="NOPE"))
    liaison_id = world.refer(member_id, commune="XN", on=REFERRED)
    world.refused(
        UnknownUnit,
        lambda: world.receive_commune(liaison_id, cell="NOPE", on=REFERRED),
    )


def test_units_not_in_force_on_the_date(world: World) -> None:
    member_id = world.register(on=date(2019, 1, 5))
    # XN did not exist in 2019.
    world.refused(UnknownUnit, lambda: world.refer(member_id, commune="XN"))


def test_units_of_the_wrong_kind(world: World) -> None:
    world.refused(Malformed, lambda: world.register(workplace="XN", on=REFERRED))
    member_id = world.register(on=REFERRED)
    world.refused(Malformed, lambda: world.refer(member_id, commune="C1", on=REFERRED))
    world.refused(Malformed, lambda: world.refer(member_id, commune="W", on=REFERRED))
    world.refused(Malformed, lambda: world.refer(member_id, commune="D"))
    liaison_id = world.refer(member_id, commune="XN", on=REFERRED)
    # A commune is not a cell; a cell of another commune is not this commune's.
    world.refused(Malformed, lambda: world.receive_commune(liaison_id, cell="XN", on=REFERRED))
    world.refused(Malformed, lambda: world.receive_commune(liaison_id, cell="Y1", on=REFERRED))


# Dates in the future.


def test_today_is_vietnams_date_not_utcs(world: World) -> None:
    """At 20:00 UTC it is 03:00 the next day in Vietnam: that day is today, the one after is not."""
    world.office.clock = lambda: datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
    member_id = world.register(on=TOMORROW)
    assert world.office.member(member_id).member_id == member_id
    world.refused(FutureDate, lambda: world.register(on=date(2026, 11, 24)))


def test_future_dates(world: World) -> None:
    world.refused(FutureDate, lambda: world.register(on=TOMORROW))
    member_id = world.register(on=REFERRED)
    world.refused(FutureDate, lambda: world.refer(member_id, commune="XN", on=TOMORROW))
    _, liaison_id = world.received(referred_on=REFERRED)
    world.refused(
        FutureDate,
        lambda: world.meeting("C1", [(liaison_id, Attendance.PRESENT)], on=TOMORROW),
    )
    world.refused(FutureDate, _assessing(world, liaison_id, date(2027, 1, 1)))
    world.refused(
        FutureDate,
        lambda: world.close(liaison_id, ClosingReason.RETIRED, on=TOMORROW),
    )


def test_today_is_not_the_future(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    world.meeting("C1", [(liaison_id, Attendance.PRESENT)], on=world.today)
    assert world.office.state_of(liaison_id).last_meeting_on == world.today


# Grade not in scale.


@pytest.mark.parametrize("grade", ["good", "excellent", "", "FULFILLED_WELL"])
def test_grade_not_in_scale(world: World, grade: str) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    error = world.refused(
        GradeNotInScale,
        lambda: world.assess(liaison_id, 2026, grade, on=date(2026, 11, 10)),
    )
    assert "213" in said(error, "vi")
    assert error.message.params["choices"] == (
        Label("grade", "fulfilled_well"),
        Label("grade", "not_fulfilled_well"),
    )


def test_on_demand_grade_not_in_scale(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    request_id = world.request(liaison_id, on=REFERRED)
    world.refused(
        GradeNotInScale,
        lambda: world.provide(liaison_id, request_id, on=REFERRED, grade="fair"),
    )


# Duplicates.


def test_same_party_card_registered_twice(world: World) -> None:
    world.register("75010774", on=REFERRED)
    world.refused(Duplicate, lambda: world.register("75010774", on=REFERRED))
    # The card number is compared without surrounding space.
    world.refused(Duplicate, lambda: world.register(" 75010774 ", on=REFERRED))
    world.refused(
        Duplicate,
        lambda: world.register("75010774", workplace="W2", on=REFERRED),
    )


def test_second_open_referral_for_the_same_member(world: World) -> None:
    member_id = world.register(on=REFERRED)
    world.refer(member_id, commune="XN", on=REFERRED)
    world.refused(Duplicate, lambda: world.refer(member_id, commune="Y", on=REFERRED))


def test_same_command_id_with_different_content(world: World) -> None:
    member_id = world.register(on=REFERRED)
    command = refer_command(member_id, REFERRED)
    first = world.office.execute(command).liaison_id
    for change in [
        {"referral": cmd.Referral(residence_commune_id="Y")},
        {"effective_date": date(2026, 1, 11)},
        {"comment": "khác"},
        {"actor": CLERK_W.model_copy(update={"id": "someone-else"})},
    ]:
        world.refused(
            Duplicate,
            lambda c=change: world.office.execute(command.model_copy(update=c)).liaison_id,
        )
    # A different kind of command under the same id is refused too.
    world.refused(
        Duplicate,
        lambda: world.office.execute(
            cmd.ReceiveAtCell(
                command_id=command.command_id,
                actor=SEC_C1,
                effective_date=REFERRED,
                liaison_id=first,
            )
        ),
    )


def test_same_command_id_and_content_writes_nothing_even_when_now_refusable(world: World) -> None:
    """A retry returns the first result, even though the same command would now be refused.

    (The same command twice records once, also when it comes back through its JSON form.)"""
    member_id = world.register(on=REFERRED)
    command = refer_command(member_id, REFERRED)
    first = world.office.execute(command).liaison_id
    before = event_count(world.office)
    assert world.office.execute(command).liaison_id == first
    assert world.office.execute(cmd.Refer.model_validate(command.model_dump())).liaison_id == first
    assert event_count(world.office) == before
    assert world.office.member(member_id).liaison_ids == (first,)


def test_establish_a_unit_twice(world: World) -> None:
    world.refused(
        Duplicate,
        lambda: (
            world.office.execute(
                cmd.EstablishUnit(
                    **k(ADMIN, REFERRED), unit=unit("C1", UnitKind.RESIDENCE_CELL, "XN")
                )
            ).unit_id
        ),
    )


# Malformed payloads.


def test_parse_command_names_the_missing_field() -> None:
    payload = {
        "command_id": str(uuid4()),
        "actor": {"id": "clerk", "role": "workplace_clerk", "unit_id": "W"},
        "effective_date": "2026-01-10",
        "referral": {"residence_commune_id": "XN"},
    }
    with pytest.raises(Malformed) as info:
        cmd.parse_command(cmd.Refer, payload)
    check_refusal(info.value)
    assert info.value.field == "member_id"
    assert said(info.value, "vi") == "Cần điền “Đảng viên”."
    assert said(info.value, "en") == "Member is required."


@pytest.mark.parametrize(
    ("kind", "changes", "field"),
    [
        (cmd.Refer, {"member_id": "not-a-uuid"}, "member_id"),
        (cmd.Refer, {"effective_date": "2026-13-40"}, "effective_date"),
        (
            cmd.Refer,
            {"referral": {"residence_commune_id": "XN", "residence_kind": "x"}},
            "referral.residence_kind",
        ),
        (cmd.Refer, {"surprise": 1}, "surprise"),
        (cmd.Refer, {"actor": {"id": "a", "role": "king", "unit_id": "W"}}, "actor.role"),
        (cmd.RegisterMember, {"party_card_number": "12/34"}, "party_card_number"),
        (cmd.RegisterMember, {"name": ""}, "name"),
        (cmd.RegisterMember, {"citizen_id": "12ab"}, "citizen_id"),
        (cmd.Assess, {"year": 1999}, "year"),
        (
            cmd.RecordMeeting,
            {"attendance": [{"liaison_id": "x", "attendance": "present"}]},
            "attendance.0.liaison_id",
        ),
        (cmd.Close, {"reason": "bored"}, "reason"),
    ],
)
def test_parse_command_names_the_bad_field(
    kind: type[cmd.Command], changes: dict[str, Any], field: str
) -> None:
    base: dict[str, Any] = {
        "command_id": str(uuid4()),
        "actor": {"id": "clerk", "role": "workplace_clerk", "unit_id": "W"},
        "effective_date": "2026-01-10",
        "member_id": str(uuid4()),
        "liaison_id": str(uuid4()),
        "referral": {"residence_commune_id": "XN"},
        "name": "An",
        "birth_date": "1980-01-01",
        "party_card_number": "75010774",
        "workplace_unit_id": "W",
        "year": 2026,
        "grade": "fulfilled_well",
        "cell_id": "C1",
        "attendance": [{"liaison_id": str(uuid4()), "attendance": "present"}],
        "reason": "retired",
    }
    fields = set(kind.model_fields) | {"surprise"}
    payload = {key: value for key, value in {**base, **changes}.items() if key in fields}
    with pytest.raises(Malformed) as info:
        cmd.parse_command(kind, payload)
    check_refusal(info.value)
    assert info.value.field == field
    # pydantic's own words ("Input should be …") never reach a person.
    for language in ("vi", "en"):
        assert "Input" not in said(info.value, language)  # type: ignore[arg-type]
    # The same payload, repaired, parses.
    repaired = {key: value for key, value in base.items() if key in kind.model_fields}
    assert isinstance(cmd.parse_command(kind, repaired), kind)


def test_meeting_absent_with_reason_needs_the_reason(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    entry = AttendanceEntry(liaison_id=liaison_id, attendance=Attendance.ABSENT_WITH_REASON)
    world.refused(
        Malformed,
        lambda: world.meeting("C1", [entry], on=date(2026, 3, 1)),
        match="reason",
    )


def test_meeting_listing_a_member_twice(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    world.refused(
        Malformed,
        lambda: world.meeting(
            "C1",
            [(liaison_id, Attendance.PRESENT), (liaison_id, Attendance.ABSENT_WITHOUT_REASON)],
            on=date(2026, 3, 1),
        ),
        match="twice",
    )


def test_exemption_reason_not_a_category(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    world.refused(Malformed, lambda: world.exempt(liaison_id, on=REFERRED, reason="lazy"))
    world.refused(
        Malformed,
        # An introduction-only reason is not a reason for exemption from activities.
        lambda: world.exempt(liaison_id, on=REFERRED, reason="secret_mission"),
    )
    member_id = world.register(on=REFERRED)
    world.refused(
        Malformed,
        lambda: world.exempt_introduction(member_id, on=REFERRED, reason="travelling"),
    )


def test_a_refused_command_can_be_retried_with_the_same_id(world: World) -> None:
    """A refusal writes no receipt: fixing the cause and resending the same command succeeds."""
    _, liaison_id = world.received(referred_on=REFERRED)
    command = cmd.ConfirmAssessment(
        **k(CLERK_XN, date(2026, 11, 12)), liaison_id=liaison_id, year=2026
    )
    world.refused(WrongState, lambda: world.office.execute(command))
    world.assess(liaison_id, 2026, "fulfilled_well", on=date(2026, 11, 10))
    world.office.execute(command)
    record = world.assessment(liaison_id, 2026)
    assert record.confirmed_on == date(2026, 11, 12)


def test_nothing_is_dated_before_the_cell_received_the_member(world: World) -> None:
    _, liaison_id = world.received(referred_on=date(2026, 1, 10), received_on=date(2026, 2, 1))
    world.refused(Malformed, _assessing(world, liaison_id, date(2026, 1, 20)))
    world.refused(Malformed, lambda: world.request(liaison_id, on=date(2026, 1, 31)))


def test_an_actor_cannot_pose_as_the_bulk_import(world: World) -> None:
    """Imported history is not signalled to workflows, so no command may carry its mark."""
    member_id = world.register(on=date(2026, 1, 5))
    impostor = Actor(id="import:clerk", role=Role.WORKPLACE_CLERK, unit_id="W")
    world.refused(
        errors.OutOfScope,
        lambda: (
            world.office.execute(
                cmd.Refer(
                    command_id=uuid4(),
                    actor=impostor,
                    effective_date=date(2026, 1, 6),
                    member_id=member_id,
                    referral=cmd.Referral(residence_commune_id="XN"),
                )
            ).liaison_id
        ),
    )


@pytest.mark.parametrize(
    ("changes", "field", "vi"),
    [
        (
            {"party_card_number": "7501O774"},
            "party_card_number",
            "chỉ gồm chữ số, như in trên thẻ; “7501O774” không đúng.",
        ),
        ({"party_card_number": "AB-1234"}, "party_card_number", "chỉ gồm chữ số"),
        ({"party_card_number": "７５０１０７７４"}, "party_card_number", "chỉ gồm chữ số"),
        (
            {"citizen_id": "03608500123"},
            "citizen_id",
            "gồm đúng 12 chữ số (số CCCD); “03608500123” không đúng.",
        ),
        ({"citizen_id": "03608500123O"}, "citizen_id", "gồm đúng 12 chữ số"),
    ],
)
def test_party_card_and_citizen_id_in_their_real_formats(
    world: World, changes: dict[str, str], field: str, vi: str
) -> None:
    """A letter O typed for a zero, a card with letters, an 11-digit CCCD: refused, saying why."""
    payload = {
        "command_id": uuid4(),
        "actor": CLERK_W,
        "effective_date": REFERRED,
        "name": "Lê Văn Thẻ",
        "birth_date": date(1980, 1, 1),
        "party_card_number": "75010774",
        "citizen_id": "036085001234",
        "workplace_unit_id": "W",
        **changes,
    }
    before = event_count(world.office)
    with pytest.raises(Malformed) as info:
        world.office.execute(cmd.parse_command(cmd.RegisterMember, payload))
    assert info.value.field == field
    assert vi in said(info.value, "vi")
    assert event_count(world.office) == before
    fixed = {**payload, field: None if field == "citizen_id" else "75010774"}
    world.office.execute(cmd.parse_command(cmd.RegisterMember, fixed))
    assert world.office.member_by_card("75010774").name == "Lê Văn Thẻ"
