"""A cell's meeting reaches each listed member's liaison, in bounded saves, exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from application.office import MAX_EVENTS_PER_SAVE, LiaisonOffice
from domain import commands as cmd
from domain.errors import Duplicate, Malformed, UnknownMember, WrongState
from domain.meeting import AttendanceEntry
from domain.organisation import UnitKind
from domain.roles import Role
from domain.state import Attendance, ClosingReason, Stage
from tests.unit.conftest import (
    ADMIN,
    CLERK_W,
    SEC_C1,
    World,
    actor,
    event_count,
    k,
    said,
    unit,
)

HELD = date(2026, 3, 1)


@pytest.fixture
def saves(office: LiaisonOffice) -> Iterator[list[int]]:
    """The number of new events in each save the office makes."""
    sizes: list[int] = []
    original = office.save

    def save(*objs: Any, **kwargs: Any) -> Any:
        sizes.append(sum(len(getattr(o, "pending_events", ())) for o in objs if o is not None))
        return original(*objs, **kwargs)

    office.save = save  # type: ignore[method-assign]
    yield sizes
    office.save = original  # type: ignore[method-assign]


def members_of(world: World, cell: str, count: int, on: date = date(2026, 1, 10)) -> list[UUID]:
    return [world.received(cell=cell, referred_on=on)[1] for _ in range(count)]


def test_one_meeting_reaches_every_listed_member(world: World) -> None:
    a, b, c, d = members_of(world, "C1", 4)
    before = event_count(world.office)
    meeting_id = world.meeting(
        "C1",
        [
            (a, Attendance.PRESENT),
            (b, Attendance.ABSENT_WITH_REASON),
            (c, Attendance.ABSENT_WITHOUT_REASON),
            (d, Attendance.RELATIVE_SENT),
        ],
        on=HELD,
    )
    # One MeetingHeld, its note in the cell's book, one attendance per member, one receipt.
    assert event_count(world.office) == before + 1 + 1 + 4 + 1
    expected = {
        a: Attendance.PRESENT,
        b: Attendance.ABSENT_WITH_REASON,
        c: Attendance.ABSENT_WITHOUT_REASON,
        d: Attendance.RELATIVE_SENT,
    }
    for liaison_id, attendance in expected.items():
        [record] = world.office.state_of(liaison_id).meetings
        assert (record.meeting_id, record.held_on, record.attendance) == (
            meeting_id,
            HELD,
            attendance,
        )
        last = world.office.history(liaison_id)[-1]
        assert type(last).__name__ == "MeetingAttendanceRecorded"
    meeting: Any = world.office.repository.get(meeting_id)
    assert meeting.cell_id == "C1"
    assert [e.liaison_id for e in meeting.attendance] == [a, b, c, d]
    assert meeting.attendance[1].absence_reason == "ốm"


def test_a_relative_sent_is_not_presence(world: World) -> None:
    [liaison_id] = members_of(world, "C1", 1)
    world.meeting("C1", [(liaison_id, Attendance.RELATIVE_SENT)], on=HELD)
    [record] = world.office.state_of(liaison_id).meetings
    assert record.attendance is Attendance.RELATIVE_SENT
    assert record.attendance is not Attendance.PRESENT
    assert record.attendance.value == "relative_sent"
    timeline = world.office.timeline(world.office.state_of(liaison_id).member_id)
    assert timeline[-1].details["attendance"] == "relative_sent"


def test_ad_hoc_meetings_are_recorded_too(world: World) -> None:
    [liaison_id] = members_of(world, "C1", 1)
    first = world.meeting("C1", [(liaison_id, Attendance.PRESENT)], on=HELD)
    second = world.meeting("C1", [(liaison_id, Attendance.PRESENT)], on=HELD, ad_hoc=True)
    assert first != second
    state = world.office.state_of(liaison_id)
    assert [m.meeting_id for m in state.meetings] == [first, second]
    [held] = world.office.events.get(second)
    assert held.ad_hoc is True  # type: ignore[attr-defined]
    [held] = world.office.events.get(first)
    assert held.ad_hoc is False  # type: ignore[attr-defined]


def test_meeting_of_the_merged_ward_reaches_cells_by_their_own_id(world: World) -> None:
    """A cell under X1 meets after the merger; its members' liaisons were referred to X1."""
    _, liaison_id = world.received(cell="C1", referred_on=date(2025, 3, 1))
    world.meeting("C1", [(liaison_id, Attendance.PRESENT)], on=HELD)
    assert len(world.office.state_of(liaison_id).meetings) == 1


def test_a_member_of_another_cell_is_refused_and_nothing_is_written(world: World) -> None:
    [ours] = members_of(world, "C1", 1)
    [theirs] = members_of(world, "C2", 1)
    refusal = world.refused(
        UnknownMember,
        lambda: world.meeting(
            "C1", [(ours, Attendance.PRESENT), (theirs, Attendance.PRESENT)], on=HELD
        ),
    )
    assert world.office.state_of(ours).meetings == ()
    # Worded as for an id that does not exist, naming nobody: the other cell's member is hidden.
    name = world.office.state_of(theirs).member_name
    assert name not in said(refusal, "en") + said(refusal, "vi")
    unknown = world.refused(
        UnknownMember,
        lambda: world.meeting(
            "C1", [(ours, Attendance.PRESENT), (uuid4(), Attendance.PRESENT)], on=HELD
        ),
    )
    assert (unknown.code, said(unknown, "en"), said(unknown, "vi")) == (
        refusal.code,
        said(refusal, "en"),
        said(refusal, "vi"),
    )


def test_an_exempt_member_cannot_be_listed(world: World) -> None:
    a, b = members_of(world, "C1", 2)
    world.exempt(b, on=date(2026, 2, 1))
    world.refused(
        WrongState,
        lambda: world.meeting("C1", [(a, Attendance.PRESENT), (b, Attendance.PRESENT)], on=HELD),
        match="exempt",
    )
    assert world.office.state_of(a).meetings == ()
    world.lift(b, on=date(2026, 2, 20))
    world.meeting("C1", [(a, Attendance.PRESENT), (b, Attendance.PRESENT)], on=HELD)
    assert len(world.office.state_of(b).meetings) == 1


def test_a_member_not_yet_received_by_the_cell(world: World) -> None:
    member_id = world.register(on=date(2026, 1, 10))
    liaison_id = world.refer(member_id, commune="XN", on=date(2026, 1, 10))
    world.receive_commune(liaison_id, cell="C1", on=date(2026, 1, 12))
    world.refused(
        WrongState,
        lambda: world.meeting("C1", [(liaison_id, Attendance.PRESENT)], on=HELD),
    )


def test_same_meeting_command_twice_records_once(world: World) -> None:
    a, b = members_of(world, "C1", 2)
    command = cmd.RecordMeeting(
        **k(SEC_C1, HELD),
        cell_id="C1",
        attendance=(
            AttendanceEntry(liaison_id=a, attendance=Attendance.PRESENT),
            AttendanceEntry(liaison_id=b, attendance=Attendance.RELATIVE_SENT),
        ),
    )
    meeting_id = world.office.execute(command).meeting_id
    count = event_count(world.office)
    assert world.office.execute(command).meeting_id == meeting_id
    assert event_count(world.office) == count
    assert len(world.office.state_of(a).meetings) == 1


@pytest.mark.parametrize("size", [150, MAX_EVENTS_PER_SAVE - 2, MAX_EVENTS_PER_SAVE - 1])
def test_large_meetings_stay_within_the_save_limit(
    world: World, saves: list[int], size: int
) -> None:
    liaisons = members_of(world, "C1", size)
    office = world.office
    sizes = saves
    sizes.clear()
    command = cmd.RecordMeeting(
        **k(SEC_C1, HELD),
        cell_id="C1",
        attendance=tuple(
            AttendanceEntry(
                liaison_id=liaison_id,
                attendance=Attendance.RELATIVE_SENT if i % 10 == 0 else Attendance.PRESENT,
            )
            for i, liaison_id in enumerate(liaisons)
        ),
    )
    before = event_count(office)
    meeting_id = office.execute(command).meeting_id
    assert sizes, "nothing was saved"
    assert max(sizes) <= MAX_EVENTS_PER_SAVE
    # The meeting, its note in the book, each member, the command's receipt, and a receipt for
    # each earlier save.
    receipts = len(sizes)
    assert sum(sizes) == size + 2 + receipts
    assert event_count(office) == before + size + 2 + receipts
    if size > MAX_EVENTS_PER_SAVE:
        assert len(sizes) > 1
    for i, liaison_id in enumerate(liaisons):
        [record] = office.state_of(liaison_id).meetings
        assert record.meeting_id == meeting_id
        expected = Attendance.RELATIVE_SENT if i % 10 == 0 else Attendance.PRESENT
        assert record.attendance is expected
        assert office.stage(liaison_id) is Stage.ATTENDING

    sizes.clear()
    assert office.execute(command).meeting_id == meeting_id
    assert event_count(office) == before + size + 2 + receipts
    assert sum(sizes) == 0


def test_a_partly_delivered_meeting_is_completed_by_the_retry(world: World) -> None:
    """If a batch was saved but the final save never happened, the retry delivers the rest once."""
    liaisons = members_of(world, "C1", 120)
    office = world.office
    command = cmd.RecordMeeting(
        **k(SEC_C1, HELD),
        cell_id="C1",
        attendance=tuple(
            AttendanceEntry(liaison_id=i, attendance=Attendance.PRESENT) for i in liaisons
        ),
    )
    original = office.save
    calls = {"n": 0}

    def failing_last_save(*objs: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if any(getattr(o, "fingerprint", "") for o in objs):  # the command's own receipt
            raise ConnectionError("the connection dropped")
        return original(*objs, **kwargs)

    office.save = failing_last_save  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        office.execute(command)
    office.save = original  # type: ignore[method-assign]
    delivered = sum(1 for i in liaisons if office.state_of(i).meetings)
    assert 0 < delivered < len(liaisons)

    before = event_count(office)
    assert office.execute(command).meeting_id == office.execute(command).meeting_id
    assert event_count(office) == before + (len(liaisons) - delivered) + 1
    for liaison_id in liaisons:
        assert len(office.state_of(liaison_id).meetings) == 1


# Rosters: a regular meeting accounts for every member the cell received and still expects.


def named(world: World, cell: str, *names: str, on: date = date(2026, 1, 10)) -> list[UUID]:
    return [world.received(cell=cell, referred_on=on, name=name)[1] for name in names]


def test_an_empty_roster_is_refused_naming_everyone_expected(world: World) -> None:
    named(world, "C1", "Lê Thị Hoa", "Trần Văn Bình")
    refusal = world.refused(Malformed, lambda: world.meeting("C1", [], on=HELD))
    for language in ("en", "vi"):
        assert "Lê Thị Hoa, Trần Văn Bình" in said(refusal, language)
    assert "Danh sách điểm danh còn thiếu" in said(refusal, "vi")
    assert "leaves out" in said(refusal, "en")


def test_a_partial_roster_is_refused_naming_who_is_missing(world: World) -> None:
    hoa, binh, _ = named(world, "C1", "Lê Thị Hoa", "Trần Văn Bình", "Phạm Thu Cúc")
    refusal = world.refused(
        Malformed,
        lambda: world.meeting(
            "C1", [(hoa, Attendance.PRESENT), (binh, Attendance.RELATIVE_SENT)], on=HELD
        ),
    )
    for language in ("en", "vi"):
        text = said(refusal, language)
        assert "Phạm Thu Cúc" in text
        assert "Lê Thị Hoa" not in text
        assert "Trần Văn Bình" not in text
    assert world.office.state_of(hoa).meetings == ()


def test_a_long_list_of_missing_members_is_counted(world: World) -> None:
    names = [f"Đảng viên {n:02d}" for n in range(13)]
    named(world, "C1", *names)
    refusal = world.refused(Malformed, lambda: world.meeting("C1", [], on=HELD))
    assert "13 members, among them Đảng viên 00" in said(refusal, "en")
    assert "thiếu 13 đảng viên, trong đó có Đảng viên 00" in said(refusal, "vi")
    assert "Đảng viên 12" not in said(refusal, "en")


def test_all_present_except_the_exceptions(world: World) -> None:
    hoa, binh, cuc = named(world, "C1", "Lê Thị Hoa", "Trần Văn Bình", "Phạm Thu Cúc")
    outcome = world.office.execute(
        cmd.RecordMeeting(
            **k(SEC_C1, HELD),
            cell_id="C1",
            attendance=(
                AttendanceEntry(
                    liaison_id=binh,
                    attendance=Attendance.ABSENT_WITH_REASON,
                    absence_reason="công tác",
                ),
            ),
            others_present=True,
        )
    )
    assert (outcome.present, outcome.listed) == (2, 3)
    marks = {i: world.office.state_of(i).meetings[0].attendance for i in (hoa, binh, cuc)}
    assert marks == {
        hoa: Attendance.PRESENT,
        binh: Attendance.ABSENT_WITH_REASON,
        cuc: Attendance.PRESENT,
    }
    meeting: Any = world.office.repository.get(outcome.meeting_id)
    assert len(meeting.attendance) == 3  # the record lists each member, not "all the others"


def test_who_the_cell_does_not_expect_need_not_be_listed(world: World) -> None:
    hoa, exempt, closed = named(world, "C1", "Lê Thị Hoa", "Miễn Sinh Hoạt", "Đã Nghỉ Hưu")
    world.exempt(exempt, on=date(2026, 2, 1))
    world.close(closed, ClosingReason.RETIRED, on=date(2026, 2, 10))
    [late] = named(world, "C1", "Đến Sau", on=date(2026, 4, 1))
    # On 1 March: Hoa only (the exempt, the retired, and one received in April are not expected).
    world.meeting("C1", [(hoa, Attendance.PRESENT)], on=HELD)
    # On 15 January, before the exemption and the retirement, all three were expected.
    refusal = world.refused(
        Malformed,
        lambda: world.meeting("C1", [(hoa, Attendance.PRESENT)], on=date(2026, 1, 15)),
    )
    assert "Miễn Sinh Hoạt" in said(refusal, "en")
    assert "Đã Nghỉ Hưu" in said(refusal, "vi")
    assert "Đến Sau" not in said(refusal, "en")
    assert world.office.state_of(late).meetings == ()


def test_an_ad_hoc_meeting_may_gather_some_members(world: World) -> None:
    hoa, _ = named(world, "C1", "Lê Thị Hoa", "Trần Văn Bình")
    world.meeting("C1", [(hoa, Attendance.PRESENT)], on=HELD, ad_hoc=True)
    assert len(world.office.state_of(hoa).meetings) == 1


def test_a_second_regular_meeting_on_the_same_day_is_refused(world: World) -> None:
    [hoa] = named(world, "C1", "Lê Thị Hoa")
    world.meeting("C1", [(hoa, Attendance.PRESENT)], on=HELD)
    refusal = world.refused(
        Duplicate,
        lambda: world.meeting("C1", [(hoa, Attendance.ABSENT_WITHOUT_REASON)], on=HELD),
    )
    assert said(refusal, "vi").startswith("C1 đã có buổi sinh hoạt định kỳ ngày 01/03/2026")
    assert "already held its regular meeting on 2026-03-01" in refusal.en
    assert "họp bất thường" in said(refusal, "vi")
    assert [m.attendance for m in world.office.state_of(hoa).meetings] == [Attendance.PRESENT]
    # Another cell may meet that day, and the same cell the next day or ad hoc.
    [other] = named(world, "C2", "Trần Văn Bình")
    world.meeting("C2", [(other, Attendance.PRESENT)], on=HELD)
    world.meeting("C1", [(hoa, Attendance.PRESENT)], on=HELD, ad_hoc=True)
    world.meeting("C1", [(hoa, Attendance.PRESENT)], on=date(2026, 3, 2))
    assert len(world.office.state_of(hoa).meetings) == 3


def test_the_merged_cell_accounts_for_its_predecessors_members(world: World) -> None:
    [hoa] = named(world, "C1", "Lê Thị Hoa")
    world.office.execute(
        cmd.SucceedUnits(
            **k(ADMIN, date(2026, 2, 1)),
            predecessor_ids=("C1", "C2"),
            successor=unit("C12", UnitKind.RESIDENCE_CELL, "XN", valid_from=date(2026, 2, 1)),
        )
    )
    secretary = actor(Role.CELL_SECRETARY, "C12")
    refusal = world.refused(Malformed, lambda: world.meeting("C12", [], on=HELD, by=secretary))
    assert "Lê Thị Hoa" in said(refusal, "en")
    world.meeting("C12", [(hoa, Attendance.PRESENT)], on=HELD, by=secretary)


def test_a_birth_date_in_the_future_is_refused(world: World) -> None:
    refusal = world.refused(
        Malformed,
        lambda: world.office.execute(
            cmd.RegisterMember(
                **k(CLERK_W, date(2026, 11, 1)),
                name="Sinh Năm Sau",
                birth_date=date(2030, 5, 1),
                party_card_number="99999999",
                workplace_unit_id="W",
            )
        ),
    )
    assert said(refusal, "vi") == "Ngày sinh 01/05/2030 là một ngày trong tương lai."
    assert said(refusal, "en") == "The date of birth 1 May 2030 lies in the future."
    assert refusal.field == "birth_date"
