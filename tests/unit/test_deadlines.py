"""What a liaison awaits, by stage, under the policy of the day; exemptions suspend the cycle."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from domain import commands as cmd
from domain.deadlines import (
    DeadlineKind,
    add_months,
    annual_assessment_deadline,
    open_deadlines,
    stage_of,
)
from domain.roles import Action
from domain.state import Attendance, ClosingReason
from tests.unit.conftest import ADMIN, World, k

REFERRED = date(2026, 1, 10)
CYCLE_KINDS = {DeadlineKind.MEETING, DeadlineKind.ANNUAL_ASSESSMENT}


def kinds(world: World, liaison_id: object, on: date) -> set[DeadlineKind]:
    return {d.kind for d in world.office.deadlines(liaison_id, on)}  # type: ignore[arg-type]


def by_kind(world: World, liaison_id: object, on: date) -> dict[DeadlineKind, object]:
    return {d.kind: d for d in world.office.deadlines(liaison_id, on)}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 3, 15), 6, date(2026, 9, 15)),
        (date(2026, 12, 1), 1, date(2027, 1, 1)),
        (date(2026, 7, 10), 18, date(2028, 1, 10)),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_receipt_awaits_the_commune_then_the_cell(world: World) -> None:
    member_id = world.register(on=REFERRED)
    liaison_id = world.refer(member_id, commune="XN", on=REFERRED)
    [deadline] = world.office.deadlines(liaison_id, REFERRED)
    assert deadline.kind is DeadlineKind.RECEIPT
    assert (deadline.opens_on, deadline.due_on) == (REFERRED, date(2026, 2, 9))
    assert (deadline.awaited, deadline.unit_id) == (Action.RECEIVE_AT_COMMUNE, "XN")
    assert not deadline.is_overdue(date(2026, 2, 9))
    assert deadline.is_overdue(date(2026, 2, 10))

    world.receive_commune(liaison_id, cell="C2", on=date(2026, 1, 20))
    [deadline] = world.office.deadlines(liaison_id, date(2026, 1, 20))
    assert deadline.kind is DeadlineKind.RECEIPT
    assert deadline.due_on == date(2026, 2, 9)  # still counted from the referral
    assert (deadline.awaited, deadline.unit_id) == (Action.RECEIVE_AT_CELL, "C2")

    world.receive_cell(liaison_id, on=date(2026, 1, 25))
    assert kinds(world, liaison_id, date(2026, 1, 25)) == {DeadlineKind.MEETING}


def test_deadlines_as_of_an_earlier_date(world: World) -> None:
    """`deadlines(id, on)` looks at the liaison as it stood on that date."""
    _, liaison_id = world.received(referred_on=REFERRED, received_on=date(2026, 2, 1))
    assert kinds(world, liaison_id, date(2026, 1, 15)) == {DeadlineKind.RECEIPT}
    assert kinds(world, liaison_id, date(2026, 2, 1)) == {DeadlineKind.MEETING}


def test_meeting_every_six_months_from_the_last(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED, received_on=date(2026, 1, 31))
    meeting = by_kind(world, liaison_id, date(2026, 2, 1))[DeadlineKind.MEETING]
    assert (meeting.opens_on, meeting.due_on) == (date(2026, 1, 31), date(2026, 7, 31))  # type: ignore[attr-defined]
    assert meeting.awaited is Action.RECORD_MEETING  # type: ignore[attr-defined]
    assert meeting.unit_id == "C1"  # type: ignore[attr-defined]
    world.meeting("C1", [(liaison_id, Attendance.ABSENT_WITHOUT_REASON)], on=date(2026, 4, 15))
    meeting = by_kind(world, liaison_id, date(2026, 4, 15))[DeadlineKind.MEETING]
    assert meeting.due_on == date(2026, 10, 15)  # type: ignore[attr-defined]


def test_annual_assessment_window(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    assert DeadlineKind.ANNUAL_ASSESSMENT not in kinds(world, liaison_id, date(2026, 10, 31))
    assessment = by_kind(world, liaison_id, date(2026, 11, 1))[DeadlineKind.ANNUAL_ASSESSMENT]
    assert (assessment.opens_on, assessment.due_on) == (date(2026, 11, 1), date(2026, 12, 15))  # type: ignore[attr-defined]
    assert (assessment.awaited, assessment.subject) == (Action.ASSESS, "2026")  # type: ignore[attr-defined]
    assert assessment.is_overdue(date(2026, 12, 16))  # type: ignore[attr-defined]


def test_no_assessment_awaited_from_a_member_received_in_the_window(world: World) -> None:
    _, liaison_id = world.received(referred_on=date(2026, 11, 2))
    assert kinds(world, liaison_id, date(2026, 11, 20)) == {DeadlineKind.MEETING}


def test_report_back_after_assessment(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    world.assess(liaison_id, 2026, "fulfilled_well", on=date(2026, 11, 10))
    report = by_kind(world, liaison_id, date(2026, 11, 10))[DeadlineKind.REPORT_BACK]
    assert (report.opens_on, report.due_on) == (date(2026, 11, 10), date(2026, 11, 20))  # type: ignore[attr-defined]
    assert (report.awaited, report.unit_id, report.subject) == (Action.REPORT_BACK, "XN", "2026")  # type: ignore[attr-defined]
    assert DeadlineKind.ANNUAL_ASSESSMENT not in kinds(world, liaison_id, date(2026, 11, 10))
    world.confirm(liaison_id, 2026, on=date(2026, 11, 12))
    assert DeadlineKind.REPORT_BACK in kinds(world, liaison_id, date(2026, 11, 12))
    world.report(liaison_id, 2026, on=date(2026, 11, 14))
    assert kinds(world, liaison_id, date(2026, 11, 14)) == {DeadlineKind.MEETING}


def test_report_back_due_by_the_end_of_the_year(world: World) -> None:
    _, liaison_id = world.received(referred_on=date(2025, 1, 10))
    world.assess(liaison_id, 2025, "fulfilled_well", on=date(2025, 12, 28), late="Họp muộn")
    report = by_kind(world, liaison_id, date(2025, 12, 28))[DeadlineKind.REPORT_BACK]
    assert report.due_on == date(2025, 12, 31)  # type: ignore[attr-defined]


def test_late_assessment_report_back_is_not_due_before_it_was_made(world: World) -> None:
    _, liaison_id = world.received(referred_on=date(2025, 1, 10))
    world.open_cycle(liaison_id, 2026, on=date(2026, 1, 1))
    world.assess(liaison_id, 2025, "fulfilled_well", on=date(2026, 1, 5), late="Họp muộn")
    report = by_kind(world, liaison_id, date(2026, 1, 5))[DeadlineKind.REPORT_BACK]
    assert report.due_on == date(2026, 1, 5)  # type: ignore[attr-defined]


def test_on_demand_request_deadline(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    request_id = world.request(liaison_id, on=date(2026, 5, 1))
    on_demand = by_kind(world, liaison_id, date(2026, 5, 2))[DeadlineKind.ON_DEMAND_ASSESSMENT]
    assert (on_demand.due_on, on_demand.subject) == (date(2026, 5, 16), str(request_id))  # type: ignore[attr-defined]
    assert on_demand.awaited is Action.PROVIDE_ASSESSMENT  # type: ignore[attr-defined]
    world.provide(liaison_id, request_id, on=date(2026, 5, 10))
    assert DeadlineKind.ON_DEMAND_ASSESSMENT not in kinds(world, liaison_id, date(2026, 5, 10))


# Exemptions.


def test_exempt_liaison_has_no_meeting_or_assessment_deadline(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    world.exempt(liaison_id, on=date(2026, 2, 1), reason="student_away")
    for on in (date(2026, 2, 1), date(2026, 8, 1), date(2026, 11, 15), date(2026, 12, 31)):
        assert not kinds(world, liaison_id, on) & CYCLE_KINDS
    # On-demand requests still work and are still awaited.
    request_id = world.request(liaison_id, on=date(2026, 3, 1))
    assert kinds(world, liaison_id, date(2026, 3, 1)) == {DeadlineKind.ON_DEMAND_ASSESSMENT}
    world.provide(liaison_id, request_id, on=date(2026, 3, 5))
    request = world.office.state_of(liaison_id).request(request_id)
    assert request is not None
    assert request.provided_on == date(2026, 3, 5)
    # Before the exemption the cycle was awaited.
    assert DeadlineKind.MEETING in kinds(world, liaison_id, date(2026, 1, 31))


def test_lifting_the_exemption_brings_the_cycle_back(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    world.exempt(liaison_id, on=date(2026, 2, 1))
    world.lift(liaison_id, on=date(2026, 10, 1))
    assert kinds(world, liaison_id, date(2026, 11, 2)) == CYCLE_KINDS
    # Meetings are counted again from the day the exemption ended, not from before it.
    [meeting] = [
        d
        for d in world.office.deadlines(liaison_id, date(2026, 11, 2))
        if d.kind is DeadlineKind.MEETING
    ]
    assert meeting.due_on == date(2027, 4, 1)
    assert not meeting.is_overdue(date(2026, 11, 2))


def test_exemption_before_receipt_keeps_the_receipt_deadline(world: World) -> None:
    member_id = world.register(on=REFERRED)
    liaison_id = world.refer(member_id, commune="XN", on=REFERRED)
    world.exempt(liaison_id, on=REFERRED)
    assert kinds(world, liaison_id, REFERRED) == {DeadlineKind.RECEIPT}
    world.receive_commune(liaison_id, on=date(2026, 1, 12))
    world.receive_cell(liaison_id, on=date(2026, 1, 13))
    assert kinds(world, liaison_id, date(2026, 11, 2)) == set()


# Closing.


@pytest.mark.parametrize("reason", list(ClosingReason))
def test_a_closed_liaison_awaits_a_re_referral_or_its_closing_slips(
    world: World, reason: ClosingReason
) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    request_id = world.request(liaison_id, on=date(2026, 10, 20))
    world.assess(liaison_id, 2026, "fulfilled_well", on=date(2026, 11, 1))
    assert request_id
    world.close(liaison_id, reason, on=date(2026, 11, 5))
    deadlines = world.office.deadlines(liaison_id, date(2026, 11, 20))
    if reason in {ClosingReason.MOVED_RESIDENCE, ClosingReason.TRANSFERRED_WORKPLACE}:
        [deadline] = deadlines
        assert deadline.kind is DeadlineKind.REREFERRAL
        assert (deadline.opens_on, deadline.due_on) == (date(2026, 11, 5), date(2026, 12, 5))
        assert deadline.awaited is Action.REFER
    elif reason is ClosingReason.RETIRED:
        assert deadlines == []
    else:  # 30 working days after 5 November 2026 (a Thursday): 17 December
        [deadline] = deadlines
        assert deadline.kind is DeadlineKind.CLOSING_SLIP
        assert (deadline.opens_on, deadline.due_on) == (date(2026, 11, 5), date(2026, 12, 17))
        assert (deadline.awaited, deadline.unit_id) == (Action.SEND_CLOSING_SLIP, "W")


def test_rereferral_days_override(world: World) -> None:
    world.office.execute(
        cmd.OverridePolicy(
            **k(ADMIN, date(2026, 1, 1)), province_id="P", setting="rereferral_days", value=10
        )
    )
    _, liaison_id = world.received(referred_on=REFERRED)
    world.close(liaison_id, ClosingReason.MOVED_RESIDENCE, on=date(2026, 6, 1))
    [deadline] = world.office.deadlines(liaison_id, date(2026, 6, 2))
    assert deadline.due_on == date(2026, 6, 11)


def test_meeting_interval_override(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    world.office.execute(
        cmd.OverridePolicy(
            **k(ADMIN, date(2026, 2, 1)),
            province_id="P",
            setting="meeting_interval_months",
            value=3,
        )
    )
    meeting = by_kind(world, liaison_id, date(2026, 2, 1))[DeadlineKind.MEETING]
    assert meeting.due_on == date(2026, 4, 10)  # type: ignore[attr-defined]


def test_open_deadlines_is_a_pure_function_of_state_policy_and_date(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    state = world.office.state_of(liaison_id)
    policy = world.office.policy(date(2026, 11, 2), "C1")
    first = open_deadlines(state, policy, date(2026, 11, 2))
    assert open_deadlines(state, policy, date(2026, 11, 2)) == first
    assert {d.kind for d in first} == CYCLE_KINDS
    # Deadlines that have not opened yet are left out.
    assert {d.kind for d in open_deadlines(state, policy, date(2026, 1, 9))} == set()
    assert stage_of(state) is state.stage


def test_a_registered_member_awaits_referral_until_referred_or_exempted(world: World) -> None:
    referred, exempted = world.register(on=REFERRED), world.register(on=REFERRED)
    for member_id in (referred, exempted):
        due = world.office.referral_due(member_id)
        assert due is not None
        assert (due.kind, due.opens_on, due.due_on) == (
            DeadlineKind.REFERRAL,
            REFERRED,
            date(2026, 2, 9),
        )
        assert (due.awaited, due.unit_id, due.subject) == (Action.REFER, "W", str(member_id))
    world.refer(referred, commune="XN", on=date(2026, 2, 1))
    world.exempt_introduction(exempted, on=date(2026, 2, 1))
    assert world.office.referral_due(referred) is None
    assert world.office.referral_due(exempted) is None


def test_referral_days_override(world: World) -> None:
    world.office.execute(
        cmd.OverridePolicy(
            **k(ADMIN, date(2026, 1, 1)), province_id="P", setting="referral_days", value=10
        )
    )
    due = world.office.referral_due(world.register(on=REFERRED))
    assert due is not None
    assert due.due_on == date(2026, 1, 20)


def test_the_annual_assessment_alone_is_the_one_open_deadlines_lists(world: World) -> None:
    days = (date(2026, 1, 9), date(2026, 10, 31), date(2026, 11, 1), date(2026, 12, 31))
    listed_on: list[bool] = []

    def check(liaison_id: UUID) -> None:
        state = world.office.state_of(liaison_id)
        for on in days:
            policy = world.office.policy(on, state.residence_commune_id)
            annual = [
                d
                for d in open_deadlines(state, policy, on)
                if d.kind is DeadlineKind.ANNUAL_ASSESSMENT
            ]
            assert annual_assessment_deadline(state, policy, on) == (annual or [None])[0]
            listed_on.append(bool(annual))

    member_id = world.register(on=REFERRED)
    liaison_id = world.refer(member_id, commune="XN", on=REFERRED)
    check(liaison_id)  # referred, not received
    world.receive_commune(liaison_id, on=date(2026, 1, 12))
    world.receive_cell(liaison_id, on=date(2026, 1, 13))
    check(liaison_id)  # in its cycle: awaited from 1 November
    world.exempt(liaison_id, on=date(2026, 2, 1))
    check(liaison_id)
    world.lift(liaison_id, on=date(2026, 10, 1))
    check(liaison_id)
    world.assess(liaison_id, 2026, "fulfilled_well", on=date(2026, 11, 2))
    check(liaison_id)  # assessed: no longer awaited
    world.close(liaison_id, ClosingReason.DIED, on=date(2026, 11, 5))
    check(liaison_id)
    _, late = world.received(referred_on=date(2026, 11, 2))
    check(late)  # received in the window: none that year
    assert any(listed_on)
    assert not all(listed_on)
