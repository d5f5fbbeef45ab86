"""The order of a liaison's steps and the assessment window: refused, writing nothing."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from domain.errors import OutOfOrder, OutsideWindow
from domain.state import Attendance
from tests.unit.conftest import World, said


def _outside_the_window(world: World, liaison_id: UUID, on: date, late: str | None = None) -> str:
    """The assessment of `on`'s year made on `on`, refused as outside the assessment window:
    what the refusal says in Vietnamese."""
    error = world.refused(
        OutsideWindow,
        lambda: world.assess(liaison_id, on.year, "fulfilled_well", on=on, late=late),
    )
    return said(error, "vi")


def test_the_issues_out_of_order_year_is_refused_step_by_step(world: World) -> None:
    """Assessed in March, confirmed before it, reported back before that: each refused."""
    _, liaison_id = world.received(referred_on=date(2021, 1, 10))
    assert "01/11/2021" in _outside_the_window(world, liaison_id, date(2021, 3, 1))
    # Not even a reason lets an assessment come before its window.
    _outside_the_window(world, liaison_id, date(2021, 3, 1), late="x")
    world.assess(liaison_id, 2021, "fulfilled_well", on=date(2021, 11, 10))
    error = world.refused(OutOfOrder, lambda: world.confirm(liaison_id, 2021, on=date(2021, 11, 5)))
    assert said(error, "vi") == (
        "Không thể ghi “xác nhận kết quả nhận xét, đánh giá” ngày 05/11/2021 trước"
        " “nhận xét, đánh giá đảng viên” ngày 10/11/2021."
    )
    world.confirm(liaison_id, 2021, on=date(2021, 11, 12))
    world.refused(OutOfOrder, lambda: world.report(liaison_id, 2021, on=date(2021, 11, 11)))
    world.report(liaison_id, 2021, on=date(2021, 11, 12))  # the same day is in order
    record = world.assessment(liaison_id, 2021)
    assert (record.assessed_on, record.confirmed_on, record.reported_on) == (
        date(2021, 11, 10),
        date(2021, 11, 12),
        date(2021, 11, 12),
    )


def test_receipt_and_meetings_follow_the_step_before(world: World) -> None:
    member_id = world.register(on=date(2021, 1, 5))
    liaison_id = world.refer(member_id, commune="X1", on=date(2021, 1, 10))
    world.receive_commune(liaison_id, on=date(2021, 1, 20))
    error = world.refused(OutOfOrder, lambda: world.receive_cell(liaison_id, on=date(2021, 1, 15)))
    assert "20/01/2021" in said(error, "vi")
    assert "receive a referral at the commune" in said(error, "en")
    world.receive_cell(liaison_id, on=date(2021, 1, 25))
    world.refused(
        OutOfOrder,
        lambda: world.meeting("C1", [(liaison_id, Attendance.PRESENT)], on=date(2021, 1, 22)),
    )


def test_a_late_assessment_needs_its_reason_which_is_recorded(world: World) -> None:
    _, liaison_id = world.received(referred_on=date(2025, 1, 10))
    told = _outside_the_window(world, liaison_id, date(2025, 12, 20))
    assert "15/12/2025" in told
    assert "lý do chậm" in told
    world.assess(
        liaison_id, 2025, "fulfilled_well", on=date(2025, 12, 20), late="Chi bộ họp muộn vì lũ"
    )
    record = world.assessment(liaison_id, 2025)
    assert record.late_reason == "Chi bộ họp muộn vì lũ"


def test_a_reason_on_an_assessment_in_time_is_not_a_late_one(world: World) -> None:
    _, liaison_id = world.received(referred_on=date(2025, 1, 10))
    world.assess(liaison_id, 2025, "fulfilled_well", on=date(2025, 12, 15), late="không cần")
    record = world.assessment(liaison_id, 2025)
    assert record.late_reason is None
