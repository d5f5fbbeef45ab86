"""Every transition of a liaison, closing by every reason, successors, timeline and history."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from domain import commands as cmd
from domain.deadlines import DeadlineKind
from domain.errors import UnknownMember
from domain.state import ENDINGS, MOVES, Attendance, ClosingReason, Stage
from tests.unit.conftest import (
    CLERK_W,
    CLERK_XN,
    SEC_C1,
    World,
    event_count,
    k,
    stored_topics,
)

REFERRED = date(2026, 1, 10)


def test_register_member_records_the_member(world: World) -> None:
    before = event_count(world.office)
    member_id = world.register("75010774", on=date(2026, 1, 5))
    view = world.office.member(member_id)
    assert view.party_card_number == "75010774"
    assert view.workplace_unit_id == "W"
    assert view.open_liaison_id is None
    assert view.liaison_ids == ()
    assert world.office.member_by_card(" 75010774 ").member_id == member_id
    # The member and the command receipt.
    assert event_count(world.office) == before + 2


def test_refer_opens_a_liaison_at_referred(world: World) -> None:
    member_id = world.register(on=REFERRED)
    liaison_id = world.refer(member_id, commune="XN", on=REFERRED)
    state = world.office.state_of(liaison_id)
    assert state.stage is Stage.REFERRED
    assert state.member_id == member_id
    assert state.residence_commune_id == "XN"
    assert state.workplace_unit_id == "W"
    assert state.referred_on == REFERRED
    assert state.regulation_at_referral == "213"
    assert world.office.member(member_id).open_liaison_id == liaison_id
    assert world.office.member(member_id).liaison_ids == (liaison_id,)


def test_refer_to_a_merged_commune_lands_on_its_successor(world: World) -> None:
    """A referral in 2026 naming the old commune X1 is recorded against the ward XN."""
    member_id = world.register(on=REFERRED)
    liaison_id = world.refer(member_id, commune="X1", on=REFERRED)
    assert world.office.state_of(liaison_id).residence_commune_id == "XN"


def test_receive_at_commune_assigns_the_cell(world: World) -> None:
    member_id = world.register(on=REFERRED)
    liaison_id = world.refer(member_id, commune="XN", on=REFERRED)
    world.receive_commune(liaison_id, cell="C3", on=date(2026, 1, 15), by=CLERK_XN)
    state = world.office.state_of(liaison_id)
    assert state.stage is Stage.RECEIVED_BY_COMMUNE
    assert state.cell_id == "C3"
    assert state.commune_received_on == date(2026, 1, 15)
    assert state.cell_received_on is None


def test_receive_at_cell_opens_the_first_cycle(world: World) -> None:
    member_id = world.register(on=REFERRED)
    liaison_id = world.refer(member_id, commune="XN", on=REFERRED)
    world.receive_commune(liaison_id, cell="C1", on=date(2026, 1, 15))
    world.receive_cell(liaison_id, on=date(2026, 1, 20))
    state = world.office.state_of(liaison_id)
    assert state.stage is Stage.ATTENDING
    assert state.cell_received_on == date(2026, 1, 20)
    assert state.cycle_year == 2026
    assert state.cycle_opened_on == date(2026, 1, 20)


def test_full_year_attending_assessed_confirmed_reported(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    world.meeting("C1", [(liaison_id, Attendance.PRESENT)], on=date(2026, 3, 1))
    assert world.office.stage(liaison_id) is Stage.ATTENDING
    assert [m.held_on for m in world.office.state_of(liaison_id).meetings] == [date(2026, 3, 1)]

    world.assess(liaison_id, 2026, "fulfilled_well", on=date(2026, 11, 10))
    state = world.office.state_of(liaison_id)
    assert state.stage is Stage.ASSESSED
    record = state.assessment(2026)
    assert record is not None
    assert (record.grade, record.regulation, record.assessed_on) == (
        "fulfilled_well",
        "213",
        date(2026, 11, 10),
    )
    assert record.confirmed_on is None

    world.confirm(liaison_id, 2026, on=date(2026, 11, 12))
    state = world.office.state_of(liaison_id)
    assert state.stage is Stage.ASSESSED
    assert state.assessment(2026).confirmed_on == date(2026, 11, 12)  # type: ignore[union-attr]

    world.report(liaison_id, 2026, on=date(2026, 11, 15))
    state = world.office.state_of(liaison_id)
    assert state.stage is Stage.REPORTED_BACK
    assert state.assessment(2026).reported_on == date(2026, 11, 15)  # type: ignore[union-attr]


def test_cell_secretary_may_report_back(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    world.assess(liaison_id, 2026, "fulfilled_well", on=date(2026, 11, 10))
    world.confirm(liaison_id, 2026, on=date(2026, 11, 12))
    world.report(liaison_id, 2026, on=date(2026, 11, 13), by=SEC_C1)
    assert world.office.stage(liaison_id) is Stage.REPORTED_BACK


def test_open_cycle_returns_to_attending(world: World) -> None:
    _, liaison_id = world.received(referred_on=date(2025, 2, 1))
    world.assess(liaison_id, 2025, "fulfilled_well", on=date(2025, 11, 10))
    world.confirm(liaison_id, 2025, on=date(2025, 11, 12))
    world.report(liaison_id, 2025, on=date(2025, 11, 15))
    assert world.office.stage(liaison_id) is Stage.REPORTED_BACK
    world.open_cycle(liaison_id, 2026, on=date(2026, 1, 1))
    state = world.office.state_of(liaison_id)
    assert state.stage is Stage.ATTENDING
    assert state.cycle_year == 2026
    assert state.cycle_opened_on == date(2026, 1, 1)
    # The previous year's record is kept.
    assert state.assessment(2025) is not None


def test_last_years_assessment_may_follow_the_new_cycle(world: World) -> None:
    """A cycle opened in January does not stop the late assessment of the year before."""
    _, liaison_id = world.received(referred_on=date(2025, 2, 1))
    world.open_cycle(liaison_id, 2026, on=date(2026, 1, 1))
    world.assess(liaison_id, 2025, "fulfilled_well", on=date(2026, 1, 5), late="Họp muộn")
    state = world.office.state_of(liaison_id)
    assert state.assessment(2025) is not None
    # The stage follows the open cycle (2026), which is not assessed yet.
    assert state.stage is Stage.ATTENDING


def test_on_demand_request_and_answer(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    request_id = world.request(
        liaison_id, on=date(2026, 4, 1), purpose=cmd.RequestPurpose.APPOINTMENT
    )
    state = world.office.state_of(liaison_id)
    request = state.request(request_id)
    assert request is not None
    assert (request.purpose, request.requested_on, request.provided_on) == (
        "appointment",
        date(2026, 4, 1),
        None,
    )
    world.provide(liaison_id, request_id, on=date(2026, 4, 10), grade="not_fulfilled_well")
    request = world.office.state_of(liaison_id).request(request_id)
    assert request is not None
    assert (request.provided_on, request.grade) == (date(2026, 4, 10), "not_fulfilled_well")
    # The annual cycle is untouched.
    assert world.office.stage(liaison_id) is Stage.ATTENDING


def test_on_demand_answer_without_grade(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    request_id = world.request(liaison_id, on=date(2026, 4, 1))
    world.provide(liaison_id, request_id, on=date(2026, 4, 3), grade=None)
    request = world.office.state_of(liaison_id).request(request_id)
    assert request is not None
    assert request.provided_on == date(2026, 4, 3)
    assert request.grade is None


@pytest.mark.parametrize("kind", ["commendation", "discipline"])
def test_proposals(world: World, kind: str) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    world.propose(liaison_id, kind, on=date(2026, 5, 1))
    state = world.office.state_of(liaison_id)
    assert state.proposals == ((kind, date(2026, 5, 1)),)
    assert state.stage is Stage.ATTENDING
    event = world.office.timeline(state.member_id)[-1]
    assert event.event == f"{kind.capitalize()}Proposed"
    assert event.comment == "Gương mẫu ở khu dân cư"


def test_exemption_from_activities_and_lifting(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    world.exempt(liaison_id, on=date(2026, 3, 1), reason="full_time_study")
    state = world.office.state_of(liaison_id)
    assert state.is_exempt_from_activities
    assert (state.exempt_reason, state.exempt_since) == ("full_time_study", date(2026, 3, 1))
    world.lift(liaison_id, on=date(2026, 6, 1))
    state = world.office.state_of(liaison_id)
    assert not state.is_exempt_from_activities
    assert state.exempt_since is None
    world.meeting("C1", [(liaison_id, Attendance.PRESENT)], on=date(2026, 6, 15))
    assert len(world.office.state_of(liaison_id).meetings) == 1


def test_exemption_from_activities_before_receipt(world: World) -> None:
    """A workplace may decide miễn sinh hoạt as soon as the member is referred."""
    member_id = world.register(on=REFERRED)
    liaison_id = world.refer(member_id, commune="XN", on=REFERRED)
    world.exempt(liaison_id, on=date(2026, 1, 12), reason="barracks_or_official_housing")
    state = world.office.state_of(liaison_id)
    assert state.stage is Stage.REFERRED
    assert state.is_exempt_from_activities


def test_exemption_from_introduction_and_lifting(world: World) -> None:
    member_id = world.register(on=REFERRED)
    world.exempt_introduction(member_id, on=date(2026, 1, 6), reason="combat_readiness")
    assert world.office.member(member_id).exempt_from_introduction == "combat_readiness"
    world.lift_introduction(member_id, on=date(2026, 2, 1))
    assert world.office.member(member_id).exempt_from_introduction is None
    liaison_id = world.refer(member_id, commune="XN", on=date(2026, 2, 2))
    assert world.office.stage(liaison_id) is Stage.REFERRED


# Closing.


@pytest.mark.parametrize("reason", list(ClosingReason))
def test_close_by_every_reason(world: World, reason: ClosingReason) -> None:
    member_id, liaison_id = world.received(referred_on=REFERRED)
    assert world.close(liaison_id, reason, on=date(2026, 9, 1)) is None
    state = world.office.state_of(liaison_id)
    assert state.stage is Stage.CLOSED
    assert (state.closed_reason, state.closed_on, state.successor_id) == (
        reason,
        date(2026, 9, 1),
        None,
    )
    member = world.office.member(member_id)
    assert member.open_liaison_id is None
    assert member.liaison_ids == (liaison_id,)
    kinds = {d.kind for d in world.office.deadlines(liaison_id, date(2026, 9, 2))}
    expected = {DeadlineKind.CLOSING_SLIP} if reason in ENDINGS else set()
    assert kinds == ({DeadlineKind.REREFERRAL} if reason in MOVES else expected)


@pytest.mark.parametrize("reason", sorted(MOVES))
def test_move_with_successor_opens_the_new_liaison(world: World, reason: ClosingReason) -> None:
    member_id, liaison_id = world.received(referred_on=REFERRED)
    successor_id = world.close(
        liaison_id,
        reason,
        on=date(2026, 9, 1),
        successor=cmd.Referral(residence_commune_id="XN", residence_kind="temporary"),
    )
    assert successor_id is not None
    closed = world.office.state_of(liaison_id)
    assert closed.stage is Stage.CLOSED
    assert closed.successor_id == successor_id
    opened = world.office.state_of(successor_id)
    assert opened.stage is Stage.REFERRED
    assert opened.member_id == member_id
    assert opened.predecessor_id == liaison_id
    assert opened.referred_on == date(2026, 9, 1)
    assert opened.residence_kind == "temporary"
    member = world.office.member(member_id)
    assert member.open_liaison_id == successor_id
    assert member.liaison_ids == (liaison_id, successor_id)
    # No re-referral is awaited once the successor exists.
    assert world.office.deadlines(liaison_id, date(2026, 9, 2)) == []


def test_move_to_another_workplace_refers_from_there(world: World) -> None:
    member_id, liaison_id = world.received(referred_on=REFERRED)
    successor_id = world.close(
        liaison_id,
        ClosingReason.TRANSFERRED_WORKPLACE,
        on=date(2026, 9, 1),
        successor=cmd.Referral(residence_commune_id="XN", workplace_unit_id="WC"),
    )
    assert successor_id is not None
    assert world.office.state_of(successor_id).workplace_unit_id == "WC"
    assert world.office.member(member_id).workplace_unit_id == "WC"


def test_move_without_successor_then_refer_links_it(world: World) -> None:
    member_id, liaison_id = world.received(referred_on=REFERRED)
    world.close(liaison_id, ClosingReason.MOVED_RESIDENCE, on=date(2026, 9, 1))
    [deadline] = world.office.deadlines(liaison_id, date(2026, 9, 2))
    assert deadline.kind is DeadlineKind.REREFERRAL
    assert deadline.due_on == date(2026, 10, 1)
    assert deadline.unit_id == "W"

    new_id = world.refer(member_id, commune="Y", on=date(2026, 9, 20), predecessor_id=liaison_id)
    old = world.office.state_of(liaison_id)
    assert old.successor_id == new_id
    assert world.office.state_of(new_id).predecessor_id == liaison_id
    assert world.office.state_of(new_id).residence_commune_id == "Y"
    assert world.office.timeline(member_id)[-2].event == "SuccessorReferred"
    assert world.office.deadlines(liaison_id, date(2026, 9, 21)) == []
    assert world.office.member(member_id).open_liaison_id == new_id


def test_retried_close_returns_the_same_successor(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    command = cmd.Close(
        **k(CLERK_W, date(2026, 9, 1)),
        liaison_id=liaison_id,
        reason=ClosingReason.MOVED_RESIDENCE,
        successor=cmd.Referral(residence_commune_id="XN"),
    )
    successor_id = world.office.execute(command).successor_id
    count = event_count(world.office)
    assert world.office.execute(command).successor_id == successor_id
    assert event_count(world.office) == count


# Timeline and history.


def test_timeline_lists_every_event_in_order_with_the_stage_after(world: World) -> None:
    member_id, liaison_id = world.received(
        referred_on=date(2026, 1, 10), received_on=date(2026, 1, 20)
    )
    world.meeting("C1", [(liaison_id, Attendance.RELATIVE_SENT)], on=date(2026, 3, 1))
    world.assess(liaison_id, 2026, "fulfilled_well", on=date(2026, 11, 10))
    world.confirm(liaison_id, 2026, on=date(2026, 11, 12))
    world.report(liaison_id, 2026, on=date(2026, 11, 15))
    successor_id = world.close(
        liaison_id,
        ClosingReason.MOVED_RESIDENCE,
        on=date(2026, 11, 20),
        successor=cmd.Referral(residence_commune_id="Y"),
    )
    timeline = world.office.timeline(member_id)
    assert [(e.event, e.stage_after) for e in timeline] == [
        ("Referred", Stage.REFERRED),
        ("ReceivedByCommune", Stage.RECEIVED_BY_COMMUNE),
        ("ReceivedByCell", Stage.ATTENDING),
        ("MeetingAttendanceRecorded", Stage.ATTENDING),
        ("Assessed", Stage.ASSESSED),
        ("AssessmentConfirmed", Stage.ASSESSED),
        ("ReportedBack", Stage.REPORTED_BACK),
        ("Closed", Stage.CLOSED),
        ("Referred", Stage.REFERRED),
    ]
    assert [e.liaison_id for e in timeline] == [liaison_id] * 8 + [successor_id]
    assert [e.version for e in timeline[:8]] == list(range(1, 9))
    assert [e.effective_date for e in timeline[:8]] == sorted(e.effective_date for e in timeline)[
        :8
    ]
    assert timeline[3].details["attendance"] == "relative_sent"
    assert timeline[4].details["grade"] == "fulfilled_well"
    assert timeline[4].actor_id == "sec-c1"
    assert timeline[4].role == "cell_secretary"
    assert timeline[4].regulation == "213"
    assert timeline[7].details["reason"] == "moved_residence"
    assert timeline[7].details["successor_id"] == str(successor_id)


def test_state_as_of_date_and_version(world: World) -> None:
    _, liaison_id = world.received(referred_on=date(2026, 1, 10), received_on=date(2026, 1, 10))
    world.meeting("C1", [(liaison_id, Attendance.PRESENT)], on=date(2026, 3, 1))
    world.assess(liaison_id, 2026, "fulfilled_well", on=date(2026, 11, 10))
    office = world.office
    assert office.state_of(liaison_id, as_of_date=date(2026, 1, 10)).stage is Stage.ATTENDING
    assert office.state_of(liaison_id, as_of_date=date(2026, 2, 1)).meetings == ()
    assert len(office.state_of(liaison_id, as_of_date=date(2026, 3, 1)).meetings) == 1
    assert office.state_of(liaison_id, as_of_date=date(2026, 11, 9)).stage is Stage.ATTENDING
    assert office.state_of(liaison_id, as_of_date=date(2026, 11, 10)).stage is Stage.ASSESSED
    assert office.state_of(liaison_id, as_of_version=1).stage is Stage.REFERRED
    assert office.state_of(liaison_id, as_of_version=2).stage is Stage.RECEIVED_BY_COMMUNE
    assert office.state_of(liaison_id, as_of_version=2).version == 2
    assert office.state_of(liaison_id).version == 5
    assert office.state_of(liaison_id) == office.liaison(liaison_id).state
    assert [type(e).__name__ for e in office.history(liaison_id, as_of_version=3)] == [
        "Referred",
        "ReceivedByCommune",
        "ReceivedByCell",
    ]
    with pytest.raises(UnknownMember):
        office.state_of(liaison_id, as_of_date=date(2026, 1, 9))
    with pytest.raises(UnknownMember):
        office.state_of(uuid4())


def test_every_event_carries_its_stamp(world: World) -> None:
    _, liaison_id = world.received(referred_on=REFERRED)
    events = world.office.history(liaison_id)
    assert [e.actor.id for e in events] == ["clerk-w", "clerk-xn", "sec-c1"]
    assert all(e.effective_date == REFERRED and e.regulation == "213" for e in events)
    assert len({e.command_id for e in events}) == 3
    topics = stored_topics(world.office)
    assert sum(t.endswith("ReceiptRecorded") for t in topics) >= 3
